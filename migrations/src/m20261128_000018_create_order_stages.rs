//! An order's production stages, copied from its template when production starts: each with
//! its target, start, due time and completion. Internal notes live beside them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OrderStages {
    Table,
    Id,
    OrderId,
    Position,
    Name,
    TargetHours,
    StartedAt,
    DueAt,
    CompletedAt,
    CompletedBy,
}

#[derive(DeriveIden)]
enum OrderNotes {
    Table,
    Id,
    OrderId,
    AuthorId,
    Body,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OrderStages::Table)
                    .col(pk_uuid(OrderStages::Id))
                    .col(uuid(OrderStages::OrderId))
                    .col(integer(OrderStages::Position))
                    .col(string(OrderStages::Name))
                    .col(integer(OrderStages::TargetHours))
                    .col(timestamp_with_time_zone_null(OrderStages::StartedAt))
                    .col(timestamp_with_time_zone_null(OrderStages::DueAt))
                    .col(timestamp_with_time_zone_null(OrderStages::CompletedAt))
                    .col(uuid_null(OrderStages::CompletedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OrderStages::Table, OrderStages::OrderId)
                            .to(Alias::new("orders"), Alias::new("id")),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_order_stages_position")
                    .table(OrderStages::Table)
                    .col(OrderStages::OrderId)
                    .col(OrderStages::Position)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrderNotes::Table)
                    .col(pk_uuid(OrderNotes::Id))
                    .col(uuid(OrderNotes::OrderId))
                    .col(uuid(OrderNotes::AuthorId))
                    .col(text(OrderNotes::Body))
                    .col(timestamp_with_time_zone(OrderNotes::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OrderNotes::Table, OrderNotes::OrderId)
                            .to(Alias::new("orders"), Alias::new("id")),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_order_notes_order")
                    .table(OrderNotes::Table)
                    .col(OrderNotes::OrderId)
                    .col(OrderNotes::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OrderNotes::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(OrderStages::Table).to_owned())
            .await
    }
}
