//! Samples: one row per uploaded photo, voice recording, video or document, from the moment an
//! upload starts until it is verified, rejected or aborted.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261128_000002_create_orders::Orders;
use crate::one_of;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Samples {
    Table,
    Id,
    OrderId,
    Kind,
    FileName,
    DeclaredSize,
    DeclaredSha256,
    DeclaredContentType,
    ObjectKey,
    UploadMode,
    MultipartUploadId,
    PartSize,
    PartCount,
    Status,
    RejectionCode,
    RejectionReason,
    DetectedContentType,
    ObjectEtag,
    Width,
    Height,
    DurationMs,
    CreatedAt,
    UpdatedAt,
    CompletedAt,
    PurgedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Samples::Table)
                    .col(pk_uuid(Samples::Id))
                    .col(uuid(Samples::OrderId))
                    .col(string(Samples::Kind).check(one_of(
                        Samples::Kind,
                        &["photo", "voice", "video", "document"],
                    )))
                    .col(string(Samples::FileName))
                    .col(big_integer(Samples::DeclaredSize))
                    .col(string(Samples::DeclaredSha256))
                    .col(string(Samples::DeclaredContentType))
                    .col(string_uniq(Samples::ObjectKey))
                    .col(
                        string(Samples::UploadMode)
                            .check(one_of(Samples::UploadMode, &["single", "multipart"])),
                    )
                    .col(string_null(Samples::MultipartUploadId))
                    .col(big_integer(Samples::PartSize))
                    .col(integer(Samples::PartCount))
                    .col(string(Samples::Status).check(one_of(
                        Samples::Status,
                        &["uploading", "verifying", "verified", "rejected", "aborted"],
                    )))
                    .col(string_null(Samples::RejectionCode))
                    .col(text_null(Samples::RejectionReason))
                    .col(string_null(Samples::DetectedContentType))
                    .col(string_null(Samples::ObjectEtag))
                    .col(integer_null(Samples::Width))
                    .col(integer_null(Samples::Height))
                    .col(big_integer_null(Samples::DurationMs))
                    .col(timestamp_with_time_zone(Samples::CreatedAt))
                    .col(timestamp_with_time_zone(Samples::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Samples::CompletedAt))
                    .col(timestamp_with_time_zone_null(Samples::PurgedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_samples_order")
                            .from(Samples::Table, Samples::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_samples_order_id")
                    .table(Samples::Table)
                    .col(Samples::OrderId)
                    .col(Samples::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_samples_status_created")
                    .table(Samples::Table)
                    .col(Samples::Status)
                    .col(Samples::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Samples::Table).to_owned())
            .await
    }
}
