//! Consent records and the invitation links other parties sign through.
//!
//! A consent record is the readable copy of what a party agreed to (or refused): the text
//! version and its hash, the grants (modalities, purposes, scope) as JSON, the evidence
//! documents, and the signer's identity, address and user agent (personal data, erased with
//! the order). Its tamper-evident twin is the ledger event named by `ledger_event_id`.
//!
//! An invitation stores only the SHA-256 of its token; it is used once (`used_at`) and expires.

use sea_orm_migration::{prelude::*, schema::*};

use crate::one_of;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Consents {
    Table,
    Id,
    OrderId,
    Party,
    Relationship,
    Decision,
    TextId,
    TextHash,
    TextVersion,
    Language,
    Grants,
    Evidence,
    SignerName,
    SignerUserId,
    InvitationId,
    VerificationMethod,
    SignerIp,
    SignerUserAgent,
    SignedAt,
    LedgerEventId,
    WithdrawnAt,
    WithdrawalLedgerEventId,
}

#[derive(DeriveIden)]
enum ConsentInvitations {
    Table,
    Id,
    OrderId,
    Party,
    Relationship,
    InviteeName,
    TokenHash,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    ConsentId,
}

const PARTIES: &[&str] = &[
    "requester",
    "relative",
    "subject_wishes",
    "living_subject",
    "actor",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ConsentInvitations::Table)
                    .col(pk_uuid(ConsentInvitations::Id))
                    .col(uuid(ConsentInvitations::OrderId))
                    .col(
                        string(ConsentInvitations::Party)
                            .check(one_of(ConsentInvitations::Party, PARTIES)),
                    )
                    .col(string(ConsentInvitations::Relationship))
                    .col(string(ConsentInvitations::InviteeName))
                    .col(string(ConsentInvitations::TokenHash).unique_key())
                    .col(uuid(ConsentInvitations::CreatedBy))
                    .col(timestamp_with_time_zone(ConsentInvitations::CreatedAt))
                    .col(timestamp_with_time_zone(ConsentInvitations::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ConsentInvitations::UsedAt))
                    .col(uuid_null(ConsentInvitations::ConsentId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ConsentInvitations::Table, ConsentInvitations::OrderId)
                            .to(Alias::new("orders"), Alias::new("id")),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Consents::Table)
                    .col(pk_uuid(Consents::Id))
                    .col(uuid(Consents::OrderId))
                    .col(string(Consents::Party).check(one_of(Consents::Party, PARTIES)))
                    .col(string(Consents::Relationship))
                    .col(
                        string(Consents::Decision)
                            .check(one_of(Consents::Decision, &["given", "refused"])),
                    )
                    .col(uuid(Consents::TextId))
                    .col(string(Consents::TextHash))
                    .col(integer(Consents::TextVersion))
                    .col(string(Consents::Language))
                    .col(json(Consents::Grants))
                    .col(json(Consents::Evidence))
                    .col(string_null(Consents::SignerName))
                    .col(uuid_null(Consents::SignerUserId))
                    .col(uuid_null(Consents::InvitationId))
                    .col(string(Consents::VerificationMethod))
                    .col(string_null(Consents::SignerIp))
                    .col(string_null(Consents::SignerUserAgent))
                    .col(timestamp_with_time_zone(Consents::SignedAt))
                    .col(uuid(Consents::LedgerEventId))
                    .col(timestamp_with_time_zone_null(Consents::WithdrawnAt))
                    .col(uuid_null(Consents::WithdrawalLedgerEventId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Consents::Table, Consents::OrderId)
                            .to(Alias::new("orders"), Alias::new("id")),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Consents::Table, Consents::TextId)
                            .to(Alias::new("consent_texts"), Alias::new("id")),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_consents_order")
                    .table(Consents::Table)
                    .col(Consents::OrderId)
                    .to_owned(),
            )
            .await?;
        // One live consent per party per account: a repeated or concurrent signature of the
        // same party by the same customer cannot create a second record (partial index: both
        // backends support `WHERE`).
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_consents_live_by_account ON consents \
                 (order_id, party, signer_user_id) \
                 WHERE withdrawn_at IS NULL AND signer_user_id IS NOT NULL",
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_consent_invitations_order")
                    .table(ConsentInvitations::Table)
                    .col(ConsentInvitations::OrderId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Consents::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ConsentInvitations::Table).to_owned())
            .await
    }
}
