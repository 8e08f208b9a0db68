//! Deliverables: the likeness the studio delivers. They upload through the same verified path
//! as samples (a `samples` row with `purpose = 'deliverable'`, so assembly, verification and the
//! abandoned-upload sweeper are one code path), and each has a row here with what the
//! AI-generated-content label law asks for: the visible label text, the metadata label
//! (provider, content id) written into the stored object, and when that metadata was read back.

use sea_orm_migration::{prelude::*, schema::*};

use crate::one_of;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Samples {
    Table,
    Id,
    Purpose,
}

#[derive(DeriveIden)]
enum Deliverables {
    Table,
    Id,
    OrderId,
    ContentId,
    LabelText,
    LabelProvider,
    LabelCheckedAt,
    CreatedBy,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Samples::Table)
                    .add_column(
                        string(Samples::Purpose)
                            .default("sample")
                            .check(one_of(Samples::Purpose, &["sample", "deliverable"])),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Deliverables::Table)
                    .col(pk_uuid(Deliverables::Id))
                    .col(uuid(Deliverables::OrderId))
                    .col(string_uniq(Deliverables::ContentId))
                    .col(text(Deliverables::LabelText))
                    .col(string(Deliverables::LabelProvider))
                    .col(timestamp_with_time_zone_null(Deliverables::LabelCheckedAt))
                    .col(uuid_null(Deliverables::CreatedBy))
                    .col(timestamp_with_time_zone(Deliverables::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Deliverables::Table, Deliverables::Id)
                            .to(Samples::Table, Samples::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Deliverables::Table, Deliverables::OrderId)
                            .to(Alias::new("orders"), Alias::new("id")),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_deliverables_order")
                    .table(Deliverables::Table)
                    .col(Deliverables::OrderId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Deliverables::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Samples::Table)
                    .drop_column(Samples::Purpose)
                    .to_owned(),
            )
            .await
    }
}
