//! Consent texts: the exact words a person agrees to, versioned per jurisdiction, party and
//! language. A published version is never changed (a new one is published instead) and carries
//! the SHA-256 of its body, which consent records will cite.

use sea_orm_migration::{prelude::*, schema::*};

use crate::one_of;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ConsentTexts {
    Table,
    Id,
    Jurisdiction,
    Party,
    Language,
    Version,
    Body,
    Sha256,
    PublishedAt,
    PublishedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ConsentTexts::Table)
                    .col(pk_uuid(ConsentTexts::Id))
                    .col(string(ConsentTexts::Jurisdiction))
                    .col(string(ConsentTexts::Party).check(one_of(
                        ConsentTexts::Party,
                        &[
                            "requester",
                            "relative",
                            "subject_wishes",
                            "living_subject",
                            "actor",
                        ],
                    )))
                    .col(string(ConsentTexts::Language))
                    .col(integer(ConsentTexts::Version))
                    .col(text(ConsentTexts::Body))
                    .col(string(ConsentTexts::Sha256))
                    .col(timestamp_with_time_zone(ConsentTexts::PublishedAt))
                    .col(uuid(ConsentTexts::PublishedBy))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_consent_texts_version")
                    .table(ConsentTexts::Table)
                    .col(ConsentTexts::Jurisdiction)
                    .col(ConsentTexts::Party)
                    .col(ConsentTexts::Language)
                    .col(ConsentTexts::Version)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ConsentTexts::Table).to_owned())
            .await
    }
}
