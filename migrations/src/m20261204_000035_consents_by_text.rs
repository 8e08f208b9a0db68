//! "Which orders signed this version of a consent text?" — the admins' question when a text
//! is found wanting. The index answers it (and the count) without reading every consent.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Consents {
    Table,
    TextId,
    SignedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("ix_consents_text_signed")
                    .table(Consents::Table)
                    .col(Consents::TextId)
                    .col(Consents::SignedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_consents_text_signed")
                    .table(Consents::Table)
                    .to_owned(),
            )
            .await
    }
}
