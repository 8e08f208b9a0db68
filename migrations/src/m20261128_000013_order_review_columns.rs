//! What screening, consent review and withdrawal record on the order itself: the state a
//! `needs_info` or `on_hold` returns to, why it is on hold, the delivery due times set when the
//! order is queued, and when a withdrawal stopped it and its erasure falls due.
//!
//! SQLite's ALTER TABLE adds one column at a time, so each column is its own statement.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    ResumeStatus,
    HoldReason,
    QueuedAt,
    DueAt,
    PromisedAt,
    WithdrawnAt,
    ErasureDueAt,
}

fn columns() -> Vec<ColumnDef> {
    vec![
        string_null(Orders::ResumeStatus),
        string_null(Orders::HoldReason),
        timestamp_with_time_zone_null(Orders::QueuedAt),
        timestamp_with_time_zone_null(Orders::DueAt),
        timestamp_with_time_zone_null(Orders::PromisedAt),
        timestamp_with_time_zone_null(Orders::WithdrawnAt),
        timestamp_with_time_zone_null(Orders::ErasureDueAt),
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
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Orders::ResumeStatus,
            Orders::HoldReason,
            Orders::QueuedAt,
            Orders::DueAt,
            Orders::PromisedAt,
            Orders::WithdrawnAt,
            Orders::ErasureDueAt,
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
