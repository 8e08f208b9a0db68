//! Data-rights requests (PRODUCT.md, "Data-rights requests"): access, copy, correction and
//! erasure — by the customer or a close relative of a deceased subject — in a queue that a
//! reviewer works through: the requester's identity verification is recorded (method, note,
//! who, when), then a decision with its mandatory reason, then the outcome (an export, a
//! correction, an erasure). One open request per requester, order and kind.

use sea_orm_migration::{prelude::*, schema::*};

use crate::one_of;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DataRequests {
    Table,
    Id,
    Kind,
    OrderId,
    RequesterId,
    Relationship,
    Details,
    Corrections,
    Status,
    IdentityMethod,
    IdentityNote,
    IdentityVerifiedBy,
    IdentityVerifiedAt,
    DecidedBy,
    DecidedAt,
    DecisionReason,
    ExportKey,
    CompletedAt,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DataRequests::Table)
                    .col(pk_uuid(DataRequests::Id))
                    .col(string(DataRequests::Kind).check(one_of(
                        DataRequests::Kind,
                        &["access", "copy", "correction", "erasure"],
                    )))
                    .col(uuid(DataRequests::OrderId))
                    .col(uuid(DataRequests::RequesterId))
                    .col(string(DataRequests::Relationship))
                    .col(text_null(DataRequests::Details))
                    .col(json_null(DataRequests::Corrections))
                    .col(string(DataRequests::Status).check(one_of(
                        DataRequests::Status,
                        &[
                            "submitted",
                            "identity_verified",
                            "approved",
                            "denied",
                            "completed",
                        ],
                    )))
                    .col(string_null(DataRequests::IdentityMethod))
                    .col(text_null(DataRequests::IdentityNote))
                    .col(uuid_null(DataRequests::IdentityVerifiedBy))
                    .col(timestamp_with_time_zone_null(
                        DataRequests::IdentityVerifiedAt,
                    ))
                    .col(uuid_null(DataRequests::DecidedBy))
                    .col(timestamp_with_time_zone_null(DataRequests::DecidedAt))
                    .col(text_null(DataRequests::DecisionReason))
                    .col(string_null(DataRequests::ExportKey))
                    .col(timestamp_with_time_zone_null(DataRequests::CompletedAt))
                    .col(timestamp_with_time_zone(DataRequests::CreatedAt))
                    .col(timestamp_with_time_zone(DataRequests::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(DataRequests::Table, DataRequests::OrderId)
                            .to(Alias::new("orders"), Alias::new("id")),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(DataRequests::Table, DataRequests::RequesterId)
                            .to(Alias::new("users"), Alias::new("id")),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_data_requests_status")
                    .table(DataRequests::Table)
                    .col(DataRequests::Status)
                    .col(DataRequests::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_data_requests_open ON data_requests \
                 (order_id, requester_id, kind) \
                 WHERE status IN ('submitted', 'identity_verified', 'approved')",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DataRequests::Table).to_owned())
            .await
    }
}
