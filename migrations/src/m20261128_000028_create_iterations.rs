//! Follow-up iterations: child jobs of a delivered order, each with its own description, needs
//! (modalities, purposes, uses), stage, due time and price (the price is a quote in the money
//! ledger carrying the iteration's id, so it is stored once).
//!
//! Fresh consent for an iteration is a consent record carrying the iteration's id. The
//! one-live-consent-per-party-per-account rule then holds separately for the order's own
//! consents and for each iteration's: the unique index is split in two (a NULL iteration id
//! would otherwise make every order consent distinct).

use sea_orm_migration::{prelude::*, schema::*};

use crate::one_of;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Iterations {
    Table,
    Id,
    OrderId,
    Number,
    Description,
    Needs,
    Status,
    DueAt,
    StartedAt,
    DeliveredAt,
    CancelledAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Consents {
    Table,
    IterationId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Iterations::Table)
                    .col(pk_uuid(Iterations::Id))
                    .col(uuid(Iterations::OrderId))
                    .col(integer(Iterations::Number))
                    .col(text(Iterations::Description))
                    .col(json(Iterations::Needs))
                    .col(string(Iterations::Status).check(one_of(
                        Iterations::Status,
                        &[
                            "awaiting_consent",
                            "ready",
                            "in_production",
                            "quality_check",
                            "delivered",
                            "cancelled",
                        ],
                    )))
                    .col(timestamp_with_time_zone_null(Iterations::DueAt))
                    .col(timestamp_with_time_zone_null(Iterations::StartedAt))
                    .col(timestamp_with_time_zone_null(Iterations::DeliveredAt))
                    .col(timestamp_with_time_zone_null(Iterations::CancelledAt))
                    .col(uuid(Iterations::CreatedBy))
                    .col(timestamp_with_time_zone(Iterations::CreatedAt))
                    .col(timestamp_with_time_zone(Iterations::UpdatedAt))
                    .col(integer(Iterations::Version).default(1))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Iterations::Table, Iterations::OrderId)
                            .to(Alias::new("orders"), Alias::new("id")),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_iterations_number")
                    .table(Iterations::Table)
                    .col(Iterations::OrderId)
                    .col(Iterations::Number)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Consents::Table)
                    .add_column(uuid_null(Consents::IterationId))
                    .to_owned(),
            )
            .await?;
        // One call, so the drop and both creates run on one connection in order (separate
        // calls may land on pooled SQLite connections that have not seen the drop yet).
        manager
            .get_connection()
            .execute_unprepared(
                "DROP INDEX ux_consents_live_by_account; \
                 CREATE UNIQUE INDEX ux_consents_live_by_order_account ON consents \
                 (order_id, party, signer_user_id) \
                 WHERE withdrawn_at IS NULL AND signer_user_id IS NOT NULL AND iteration_id IS NULL; \
                 CREATE UNIQUE INDEX ux_consents_live_by_iteration_account ON consents \
                 (iteration_id, party, signer_user_id) \
                 WHERE withdrawn_at IS NULL AND signer_user_id IS NOT NULL AND iteration_id IS NOT NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "DROP INDEX ux_consents_live_by_iteration_account; \
                 DROP INDEX ux_consents_live_by_order_account; \
                 CREATE UNIQUE INDEX ux_consents_live_by_account ON consents \
                 (order_id, party, signer_user_id) \
                 WHERE withdrawn_at IS NULL AND signer_user_id IS NOT NULL",
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Consents::Table)
                    .drop_column(Consents::IterationId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Iterations::Table).to_owned())
            .await
    }
}
