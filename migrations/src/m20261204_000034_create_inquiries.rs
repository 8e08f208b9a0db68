//! Inquiries: what someone not (yet) ready to register leaves on the landing page — a name, a
//! way to reach them, a few words — for the studio to answer. Each one is counted at the top
//! of the funnel report. The client's address is kept only as a SHA-256 digest, for the
//! throttle that stops the form from being used to flood the studio's mailbox.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Inquiries {
    Table,
    Id,
    Name,
    Contact,
    Message,
    Language,
    ClientDigest,
    CreatedAt,
    /// When retention blanked the name, contact and words (the row stays, for the funnel).
    ForgottenAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Inquiries::Table)
                    .col(pk_uuid(Inquiries::Id))
                    .col(string(Inquiries::Name))
                    .col(string(Inquiries::Contact))
                    .col(text(Inquiries::Message))
                    .col(string(Inquiries::Language))
                    .col(string(Inquiries::ClientDigest))
                    .col(timestamp_with_time_zone(Inquiries::CreatedAt))
                    .col(timestamp_with_time_zone_null(Inquiries::ForgottenAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_inquiries_created_at")
                    .table(Inquiries::Table)
                    .col(Inquiries::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_inquiries_client")
                    .table(Inquiries::Table)
                    .col(Inquiries::ClientDigest)
                    .col(Inquiries::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Inquiries::Table).to_owned())
            .await
    }
}
