//! The money ledger of an order (PRODUCT.md, "Money"): quotes, deposits, payments and refunds in
//! integer minor units (fen) with an ISO 4217 currency code, recorded by staff.
//!
//! Entries are never edited: a mistake is corrected by a new entry, and every total (quoted,
//! paid, balance due) is derived from the entries when read, never stored. `iteration_id` names
//! a follow-up iteration an entry belongs to; it has no foreign key because iterations arrive
//! in a later migration.

use sea_orm_migration::{prelude::*, schema::*};

use crate::one_of;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    OrderId,
    IterationId,
    Kind,
    AmountMinor,
    Currency,
    Note,
    RecordedBy,
    RecordedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Payments::Table)
                    .col(pk_uuid(Payments::Id))
                    .col(uuid(Payments::OrderId))
                    .col(uuid_null(Payments::IterationId))
                    .col(string(Payments::Kind).check(one_of(
                        Payments::Kind,
                        &["quote", "deposit", "payment", "refund"],
                    )))
                    .col(
                        big_integer(Payments::AmountMinor)
                            .check(Expr::col(Payments::AmountMinor).gt(0)),
                    )
                    .col(string_len(Payments::Currency, 3).check(Expr::cust(
                        "length(currency) = 3 AND currency = upper(currency)",
                    )))
                    .col(string_len_null(Payments::Note, 500))
                    .col(uuid(Payments::RecordedBy))
                    .col(timestamp_with_time_zone(Payments::RecordedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Payments::Table, Payments::OrderId)
                            .to(Alias::new("orders"), Alias::new("id")),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_payments_order")
                    .table(Payments::Table)
                    .col(Payments::OrderId)
                    .col(Payments::RecordedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Payments::Table).to_owned())
            .await
    }
}
