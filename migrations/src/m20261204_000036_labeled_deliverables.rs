//! The labeled copy of each deliverable: the file the family downloads, with the GB 45438
//! label written inside it. The original upload stays for the studio; both have their
//! SHA-256 (the original's is the sample row's declared and verified one), and the copy's is
//! indexed for the public "did this studio make this file?" check.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Deliverables {
    Table,
    LabeledKey,
    LabeledSha256,
    LabeledSize,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        for column in [
            string_null(Deliverables::LabeledKey),
            string_null(Deliverables::LabeledSha256),
            big_integer_null(Deliverables::LabeledSize),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Deliverables::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        // "Did this studio produce the file with this SHA-256?" — the public check.
        manager
            .create_index(
                Index::create()
                    .name("ix_deliverables_labeled_sha256")
                    .table(Deliverables::Table)
                    .col(Deliverables::LabeledSha256)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_deliverables_labeled_sha256")
                    .table(Deliverables::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            Deliverables::LabeledKey,
            Deliverables::LabeledSha256,
            Deliverables::LabeledSize,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Deliverables::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
