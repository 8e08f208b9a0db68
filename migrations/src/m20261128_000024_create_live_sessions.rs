//! human_driven live sessions (PRODUCT.md, "Delivery"): scheduled with a time, the actor (named
//! by their live consent on the order) and the participants; logged after the fact with the
//! duration and whether the on-screen AI label was shown. A session whose label was not shown
//! is flagged until a reviewer records their review.

use sea_orm_migration::{prelude::*, schema::*};

use crate::one_of;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LiveSessions {
    Table,
    Id,
    OrderId,
    ScheduledAt,
    ActorConsentId,
    Participants,
    Status,
    ScheduledBy,
    CreatedAt,
    DurationMinutes,
    AiLabelShown,
    Notes,
    LoggedBy,
    LoggedAt,
    CancelReason,
    CancelledBy,
    CancelledAt,
    FlaggedForReview,
    ReviewedBy,
    ReviewedAt,
    ReviewNote,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LiveSessions::Table)
                    .col(pk_uuid(LiveSessions::Id))
                    .col(uuid(LiveSessions::OrderId))
                    .col(timestamp_with_time_zone(LiveSessions::ScheduledAt))
                    .col(uuid(LiveSessions::ActorConsentId))
                    .col(json(LiveSessions::Participants))
                    .col(string(LiveSessions::Status).check(one_of(
                        LiveSessions::Status,
                        &["scheduled", "held", "cancelled"],
                    )))
                    .col(uuid(LiveSessions::ScheduledBy))
                    .col(timestamp_with_time_zone(LiveSessions::CreatedAt))
                    .col(
                        integer_null(LiveSessions::DurationMinutes).check(Expr::cust(
                            "duration_minutes IS NULL OR duration_minutes > 0",
                        )),
                    )
                    .col(boolean_null(LiveSessions::AiLabelShown))
                    .col(text_null(LiveSessions::Notes))
                    .col(uuid_null(LiveSessions::LoggedBy))
                    .col(timestamp_with_time_zone_null(LiveSessions::LoggedAt))
                    .col(text_null(LiveSessions::CancelReason))
                    .col(uuid_null(LiveSessions::CancelledBy))
                    .col(timestamp_with_time_zone_null(LiveSessions::CancelledAt))
                    .col(boolean(LiveSessions::FlaggedForReview).default(false))
                    .col(uuid_null(LiveSessions::ReviewedBy))
                    .col(timestamp_with_time_zone_null(LiveSessions::ReviewedAt))
                    .col(text_null(LiveSessions::ReviewNote))
                    .foreign_key(
                        ForeignKey::create()
                            .from(LiveSessions::Table, LiveSessions::OrderId)
                            .to(Alias::new("orders"), Alias::new("id")),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(LiveSessions::Table, LiveSessions::ActorConsentId)
                            .to(Alias::new("consents"), Alias::new("id")),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_live_sessions_order")
                    .table(LiveSessions::Table)
                    .col(LiveSessions::OrderId)
                    .col(LiveSessions::ScheduledAt)
                    .to_owned(),
            )
            .await?;
        // The reviewers' queue: flagged sessions not yet reviewed, walked by id.
        manager
            .create_index(
                Index::create()
                    .name("ix_live_sessions_review_queue")
                    .table(LiveSessions::Table)
                    .col(LiveSessions::FlaggedForReview)
                    .col(LiveSessions::ReviewedAt)
                    .col(LiveSessions::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LiveSessions::Table).to_owned())
            .await
    }
}
