//! What production records on the order: its stage template, who works on it, the current
//! stage, the SLA flags the sweeper sets, the sweeper's lease on it, when a hold began, and the
//! quality-check sign-off. Plus the indexes the board and the sweeper read through.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    TemplateId,
    AssigneeId,
    StageIndex,
    AtRisk,
    Overdue,
    SlaNextCheckAt,
    SlaLeaseOwner,
    SlaLeaseUntil,
    HeldAt,
    QcSignedOffAt,
    QcSignedOffBy,
    Status,
    PromisedAt,
    Id,
}

fn columns() -> Vec<ColumnDef> {
    vec![
        uuid_null(Orders::TemplateId),
        uuid_null(Orders::AssigneeId),
        integer_null(Orders::StageIndex),
        boolean(Orders::AtRisk).default(false).take(),
        boolean(Orders::Overdue).default(false).take(),
        timestamp_with_time_zone_null(Orders::SlaNextCheckAt),
        string_null(Orders::SlaLeaseOwner),
        timestamp_with_time_zone_null(Orders::SlaLeaseUntil),
        timestamp_with_time_zone_null(Orders::HeldAt),
        timestamp_with_time_zone_null(Orders::QcSignedOffAt),
        uuid_null(Orders::QcSignedOffBy),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for mut column in columns() {
            manager
                .alter_table(
                    Table::alter()
                        .table(Orders::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        // The sweeper's work queue: orders whose SLA must be looked at again, soonest first.
        manager
            .create_index(
                Index::create()
                    .name("ix_orders_sla_next_check")
                    .table(Orders::Table)
                    .col(Orders::SlaNextCheckAt)
                    .to_owned(),
            )
            .await?;
        // The board: by status, then due time, with the id as tie-breaker for keyset pages.
        manager
            .create_index(
                Index::create()
                    .name("ix_orders_status_promised")
                    .table(Orders::Table)
                    .col(Orders::Status)
                    .col(Orders::PromisedAt)
                    .col(Orders::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["ix_orders_sla_next_check", "ix_orders_status_promised"] {
            manager
                .drop_index(Index::drop().name(name).table(Orders::Table).to_owned())
                .await?;
        }
        for column in [
            Orders::TemplateId,
            Orders::AssigneeId,
            Orders::StageIndex,
            Orders::AtRisk,
            Orders::Overdue,
            Orders::SlaNextCheckAt,
            Orders::SlaLeaseOwner,
            Orders::SlaLeaseUntil,
            Orders::HeldAt,
            Orders::QcSignedOffAt,
            Orders::QcSignedOffBy,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Orders::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
