//! The board reads open orders by stage, assignee and risk, sorted by the delivery promise:
//! the current stage's name is kept on the order (set as stages advance) and each filter has an
//! index ending in (promised_at, id), the board's keyset order.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    CurrentStage,
    AssigneeId,
    AtRisk,
    Overdue,
    PromisedAt,
}

const INDEXES: [(&str, Orders); 4] = [
    ("ix_orders_board_stage", Orders::CurrentStage),
    ("ix_orders_board_assignee", Orders::AssigneeId),
    ("ix_orders_board_at_risk", Orders::AtRisk),
    ("ix_orders_board_overdue", Orders::Overdue),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Orders::Table)
                    .add_column(string_null(Orders::CurrentStage))
                    .to_owned(),
            )
            .await?;
        for (name, column) in INDEXES {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Orders::Table)
                        .col(column)
                        .col(Orders::PromisedAt)
                        .col(Orders::Id)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in INDEXES {
            manager
                .drop_index(Index::drop().name(name).table(Orders::Table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Orders::Table)
                    .drop_column(Orders::CurrentStage)
                    .to_owned(),
            )
            .await
    }
}
