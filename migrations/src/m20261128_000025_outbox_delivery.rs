//! What the outbox relay needs to say about each message: its delivery status (`queued` until
//! the SMTP server accepted it — `sent` — or until retries ran out — `failed` — or `skipped`
//! when its kind is deliberately not emailed), the last error, when it was last tried, and why
//! a skipped message was not emailed. The relay's claim reads (status, available_at); the
//! admin view pages by (status, id).

use sea_orm_migration::{prelude::*, schema::*};

use crate::one_of;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    Status,
    LastError,
    LastAttemptAt,
    SkipReason,
    SentAt,
    AvailableAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for column in [
            string(Outbox::Status)
                .default("queued")
                .check(one_of(
                    Outbox::Status,
                    &["queued", "sent", "failed", "skipped"],
                ))
                .to_owned(),
            text_null(Outbox::LastError),
            timestamp_with_time_zone_null(Outbox::LastAttemptAt),
            string_null(Outbox::SkipReason),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Outbox::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .exec_stmt(
                Query::update()
                    .table(Outbox::Table)
                    .value(Outbox::Status, "sent")
                    .and_where(Expr::col(Outbox::SentAt).is_not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_outbox_pending")
                    .table(Outbox::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_outbox_due")
                    .table(Outbox::Table)
                    .col(Outbox::Status)
                    .col(Outbox::AvailableAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_outbox_status_id")
                    .table(Outbox::Table)
                    .col(Outbox::Status)
                    .col(Outbox::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["ix_outbox_status_id", "ix_outbox_due"] {
            manager
                .drop_index(Index::drop().name(name).table(Outbox::Table).to_owned())
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ix_outbox_pending")
                    .table(Outbox::Table)
                    .col(Outbox::SentAt)
                    .col(Outbox::AvailableAt)
                    .to_owned(),
            )
            .await?;
        for column in [
            Outbox::SkipReason,
            Outbox::LastAttemptAt,
            Outbox::LastError,
            Outbox::Status,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Outbox::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
