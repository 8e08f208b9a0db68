//! The certificate of destruction as issued: its exact JSON text, stored the first time it is
//! issued. The certificate carries its issue time and a digest over its fields, so building it
//! afresh on every read gave a new digest each time; the stored text is the certificate, and
//! every later read returns the same bytes.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Erasures {
    Table,
    Certificate,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Erasures::Table)
                    .add_column(text_null(Erasures::Certificate))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Erasures::Table)
                    .drop_column(Erasures::Certificate)
                    .to_owned(),
            )
            .await
    }
}
