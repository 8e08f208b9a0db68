//! Orders and the per-year counter behind their human references (`KS-2026-000123`).

use sea_orm_migration::{prelude::*, schema::*};

use crate::one_of;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub(crate) enum Orders {
    Table,
    Id,
    Reference,
    Status,
    DeliveryMode,
    Jurisdiction,
    SubjectName,
    RequesterRelationship,
    SubjectBirthDate,
    SubjectDeathDate,
    SubjectLiving,
    LivingTwin,
    Intake,
    Version,
    CreatedAt,
    UpdatedAt,
    SubmittedAt,
}

#[derive(DeriveIden)]
enum OrderReferenceCounters {
    Table,
    Year,
    LastNumber,
}

const STATUSES: &[&str] = &[
    "draft",
    "submitted",
    "screening",
    "consent_review",
    "queued",
    "in_production",
    "quality_check",
    "delivered",
    "closed",
    "needs_info",
    "on_hold",
    "declined",
    "cancelled",
    "withdrawn",
];
const MODES: &[&str] = &["machine_driven", "human_driven"];
const RELATIONSHIPS: &[&str] = &[
    "spouse",
    "child",
    "parent",
    "sibling",
    "grandparent",
    "grandchild",
    "self",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .col(pk_uuid(Orders::Id))
                    .col(string_uniq(Orders::Reference))
                    .col(string(Orders::Status).check(one_of(Orders::Status, STATUSES)))
                    .col(string(Orders::DeliveryMode).check(one_of(Orders::DeliveryMode, MODES)))
                    .col(string(Orders::Jurisdiction))
                    .col(string(Orders::SubjectName))
                    .col(
                        string(Orders::RequesterRelationship)
                            .check(one_of(Orders::RequesterRelationship, RELATIONSHIPS)),
                    )
                    .col(date_null(Orders::SubjectBirthDate))
                    .col(date_null(Orders::SubjectDeathDate))
                    .col(boolean(Orders::SubjectLiving))
                    .col(boolean(Orders::LivingTwin))
                    .col(json(Orders::Intake))
                    .col(integer(Orders::Version))
                    .col(timestamp_with_time_zone(Orders::CreatedAt))
                    .col(timestamp_with_time_zone(Orders::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Orders::SubmittedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_orders_status_id")
                    .table(Orders::Table)
                    .col(Orders::Status)
                    .col(Orders::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_orders_mode_id")
                    .table(Orders::Table)
                    .col(Orders::DeliveryMode)
                    .col(Orders::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrderReferenceCounters::Table)
                    .col(integer(OrderReferenceCounters::Year).primary_key())
                    .col(big_integer(OrderReferenceCounters::LastNumber))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(OrderReferenceCounters::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Orders::Table).to_owned())
            .await
    }
}
