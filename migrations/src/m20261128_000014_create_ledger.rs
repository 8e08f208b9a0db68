//! The consent ledger: append-only, hash-chained events (consents, withdrawals, screening and
//! review decisions). Each event's hash covers its content, the digest of its personal fields
//! and the hashes of the previous event of its order and of the whole ledger; `ledger_heads`
//! holds the global chain head, and its row lock serializes appends.
//!
//! Personal fields live beside the hashed bytes (`personal`, with the `personal_salt` their
//! digest was made with) so erasure can null both without breaking the chain. A trigger refuses
//! every other change and every delete, like the audit trail's.

use sea_orm_migration::sea_orm::DatabaseBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LedgerEvents {
    Table,
    Id,
    Seq,
    OrderId,
    OrderSeq,
    Kind,
    OccurredAt,
    Content,
    Personal,
    PersonalSalt,
    PersonalDigest,
    PrevHash,
    GlobalPrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum LedgerHeads {
    Table,
    Name,
    Seq,
    Hash,
}

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

const POSTGRES_UP: &str = r#"
CREATE FUNCTION ledger_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE'
     AND NEW.id = OLD.id AND NEW.seq = OLD.seq AND NEW.order_id = OLD.order_id
     AND NEW.order_seq = OLD.order_seq AND NEW.kind = OLD.kind
     AND NEW.occurred_at = OLD.occurred_at AND NEW.content = OLD.content
     AND NEW.personal_digest = OLD.personal_digest AND NEW.prev_hash = OLD.prev_hash
     AND NEW.global_prev_hash = OLD.global_prev_hash AND NEW.hash = OLD.hash
     AND NEW.personal IS NULL AND NEW.personal_salt IS NULL THEN
    RETURN NEW; -- erasure: personal fields and their salt removed together
  END IF;
  RAISE EXCEPTION 'ledger_events is append-only (% refused)', TG_OP;
END;
$$;
CREATE TRIGGER ledger_events_append_only
  BEFORE UPDATE OR DELETE ON ledger_events
  FOR EACH ROW EXECUTE FUNCTION ledger_events_append_only();
"#;

const POSTGRES_DOWN: &str = r#"
DROP TRIGGER IF EXISTS ledger_events_append_only ON ledger_events;
DROP FUNCTION IF EXISTS ledger_events_append_only();
"#;

const SQLITE_UP: &str = r#"
CREATE TRIGGER ledger_events_no_update BEFORE UPDATE ON ledger_events
WHEN NOT (NEW.id IS OLD.id AND NEW.seq IS OLD.seq AND NEW.order_id IS OLD.order_id
     AND NEW.order_seq IS OLD.order_seq AND NEW.kind IS OLD.kind
     AND NEW.occurred_at IS OLD.occurred_at AND NEW.content IS OLD.content
     AND NEW.personal_digest IS OLD.personal_digest AND NEW.prev_hash IS OLD.prev_hash
     AND NEW.global_prev_hash IS OLD.global_prev_hash AND NEW.hash IS OLD.hash
     AND NEW.personal IS NULL AND NEW.personal_salt IS NULL)
BEGIN SELECT RAISE(ABORT, 'ledger_events is append-only (UPDATE refused)'); END;
CREATE TRIGGER ledger_events_no_delete BEFORE DELETE ON ledger_events
BEGIN SELECT RAISE(ABORT, 'ledger_events is append-only (DELETE refused)'); END;
"#;

const SQLITE_DOWN: &str = r#"
DROP TRIGGER IF EXISTS ledger_events_no_update;
DROP TRIGGER IF EXISTS ledger_events_no_delete;
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LedgerEvents::Table)
                    .col(pk_uuid(LedgerEvents::Id))
                    .col(big_integer(LedgerEvents::Seq).unique_key())
                    .col(uuid(LedgerEvents::OrderId))
                    .col(integer(LedgerEvents::OrderSeq))
                    .col(string(LedgerEvents::Kind))
                    .col(timestamp_with_time_zone(LedgerEvents::OccurredAt))
                    .col(text(LedgerEvents::Content))
                    .col(text_null(LedgerEvents::Personal))
                    .col(string_null(LedgerEvents::PersonalSalt))
                    .col(string(LedgerEvents::PersonalDigest))
                    .col(string(LedgerEvents::PrevHash))
                    .col(string(LedgerEvents::GlobalPrevHash))
                    .col(string(LedgerEvents::Hash))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_ledger_events_order_seq")
                    .table(LedgerEvents::Table)
                    .col(LedgerEvents::OrderId)
                    .col(LedgerEvents::OrderSeq)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LedgerHeads::Table)
                    .col(string(LedgerHeads::Name).primary_key())
                    .col(big_integer(LedgerHeads::Seq))
                    .col(string(LedgerHeads::Hash))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(LedgerHeads::Table)
                    .columns([LedgerHeads::Name, LedgerHeads::Seq, LedgerHeads::Hash])
                    .values_panic(["global".into(), 0i64.into(), GENESIS.into()])
                    .to_owned(),
            )
            .await?;
        let sql = match manager.get_database_backend() {
            DatabaseBackend::Postgres => POSTGRES_UP,
            _ => SQLITE_UP,
        };
        manager.get_connection().execute_unprepared(sql).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sql = match manager.get_database_backend() {
            DatabaseBackend::Postgres => POSTGRES_DOWN,
            _ => SQLITE_DOWN,
        };
        manager.get_connection().execute_unprepared(sql).await?;
        manager
            .drop_table(Table::drop().table(LedgerHeads::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(LedgerEvents::Table).to_owned())
            .await
    }
}
