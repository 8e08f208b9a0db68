//! Retention and erasure (PRODUCT.md, "Delivery, retention, erasure").
//!
//! `erasure_reason` is set with `erasure_due_at` by whatever asked for the erasure (a
//! withdrawal, the customer, an approved data-rights request); the erasure job carries it out.
//! `keep_samples`: the customer chose to keep the raw samples for follow-up iterations, so the
//! retention purge leaves them. `samples_purged_at`: when the purge removed them. `erased_at`:
//! when the order's objects were deleted and its personal data scrubbed — the row stays as a
//! tombstone. `erasures` holds what each erasure deleted and scrubbed, and when: the source
//! of the certificate of destruction (object keys and counts only, never personal data).

use sea_orm_migration::{prelude::*, schema::*};

use crate::one_of;

const ERASURE_REASONS: &[&str] = &["withdrawal", "customer_request", "data_rights_request"];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    KeepSamples,
    SamplesPurgedAt,
    ErasureReason,
    ErasedAt,
}

#[derive(DeriveIden)]
enum Erasures {
    Table,
    Id,
    OrderId,
    Reason,
    RequestedAt,
    CompletedAt,
    ObjectsDeleted,
    RecordsScrubbed,
    PrefixEmptyAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            boolean(Orders::KeepSamples).default(false).to_owned(),
            timestamp_with_time_zone_null(Orders::SamplesPurgedAt),
            string_null(Orders::ErasureReason)
                .check(one_of(Orders::ErasureReason, ERASURE_REASONS))
                .to_owned(),
            timestamp_with_time_zone_null(Orders::ErasedAt),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(Orders::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Erasures::Table)
                    .col(pk_uuid(Erasures::Id))
                    .col(uuid_uniq(Erasures::OrderId))
                    .col(string(Erasures::Reason).check(one_of(Erasures::Reason, ERASURE_REASONS)))
                    .col(timestamp_with_time_zone(Erasures::RequestedAt))
                    .col(timestamp_with_time_zone(Erasures::CompletedAt))
                    .col(json(Erasures::ObjectsDeleted))
                    .col(json(Erasures::RecordsScrubbed))
                    .col(timestamp_with_time_zone(Erasures::PrefixEmptyAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Erasures::Table, Erasures::OrderId)
                            .to(Alias::new("orders"), Alias::new("id")),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Erasures::Table).to_owned())
            .await?;
        for column in [
            Orders::KeepSamples,
            Orders::SamplesPurgedAt,
            Orders::ErasureReason,
            Orders::ErasedAt,
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
