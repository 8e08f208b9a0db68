//! Production stage templates: per delivery mode, versioned (an order keeps the version it
//! started with), admin-editable by publishing a new version. Seeded with PRODUCT.md's stages,
//! whose targets sum to the modes' 5-day target.

use sea_orm_migration::{prelude::*, schema::*};

use crate::one_of;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StageTemplates {
    Table,
    Id,
    DeliveryMode,
    Version,
    Stages,
    PublishedAt,
    PublishedBy,
}

const SEEDS: [(&str, &str, &str); 2] = [
    (
        "01900000-0000-7000-8000-000000000001",
        "machine_driven",
        r#"[{"name":"data_prep","target_hours":24},{"name":"training","target_hours":48},{"name":"avatar_build","target_hours":24},{"name":"qa","target_hours":24}]"#,
    ),
    (
        "01900000-0000-7000-8000-000000000002",
        "human_driven",
        r#"[{"name":"data_prep","target_hours":24},{"name":"face_model_training","target_hours":48},{"name":"actor_rehearsal","target_hours":24},{"name":"live_session","target_hours":24}]"#,
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StageTemplates::Table)
                    .col(pk_uuid(StageTemplates::Id))
                    .col(string(StageTemplates::DeliveryMode).check(one_of(
                        StageTemplates::DeliveryMode,
                        &["machine_driven", "human_driven"],
                    )))
                    .col(integer(StageTemplates::Version))
                    .col(text(StageTemplates::Stages))
                    .col(timestamp_with_time_zone(StageTemplates::PublishedAt))
                    .col(uuid_null(StageTemplates::PublishedBy))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_stage_templates_version")
                    .table(StageTemplates::Table)
                    .col(StageTemplates::DeliveryMode)
                    .col(StageTemplates::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;
        for (id, mode, stages) in SEEDS {
            let id = sea_orm_migration::sea_orm::prelude::Uuid::parse_str(id)
                .map_err(|e| DbErr::Custom(e.to_string()))?;
            manager
                .exec_stmt(
                    Query::insert()
                        .into_table(StageTemplates::Table)
                        .columns([
                            StageTemplates::Id,
                            StageTemplates::DeliveryMode,
                            StageTemplates::Version,
                            StageTemplates::Stages,
                            StageTemplates::PublishedAt,
                        ])
                        .values_panic([
                            id.into(),
                            mode.into(),
                            1.into(),
                            stages.into(),
                            Expr::current_timestamp(),
                        ])
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StageTemplates::Table).to_owned())
            .await
    }
}
