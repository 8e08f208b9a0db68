//! When retention removed a deliverable's original upload. Once the family has its labeled
//! copy, the unlabeled original is the studio's working file only: it goes with the order's raw
//! samples, `delivery.sample_retention_days` after delivery (kept as long as the samples are
//! kept for follow-up work). The labeled copy stays.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Deliverables {
    Table,
    OriginalPurgedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Deliverables::Table)
                    .add_column(timestamp_with_time_zone_null(
                        Deliverables::OriginalPurgedAt,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Deliverables::Table)
                    .drop_column(Deliverables::OriginalPurgedAt)
                    .to_owned(),
            )
            .await
    }
}
