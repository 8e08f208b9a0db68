//! Accounts and their roles. A person may hold several roles (staff + reviewer); roles live in
//! their own table so a role change is a row added or removed, never a string rewritten.

use sea_orm_migration::{prelude::*, schema::*};

use crate::one_of;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub(crate) enum Users {
    Table,
    Id,
    Email,
    PasswordHash,
    DisabledAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum UserRoles {
    Table,
    UserId,
    Role,
    GrantedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(pk_uuid(Users::Id))
                    .col(string_uniq(Users::Email))
                    .col(string(Users::PasswordHash))
                    .col(timestamp_with_time_zone_null(Users::DisabledAt))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UserRoles::Table)
                    .col(uuid(UserRoles::UserId))
                    .col(string(UserRoles::Role).check(one_of(
                        UserRoles::Role,
                        &["customer", "staff", "reviewer", "admin"],
                    )))
                    .col(timestamp_with_time_zone(UserRoles::GrantedAt))
                    .primary_key(Index::create().col(UserRoles::UserId).col(UserRoles::Role))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_user_roles_user")
                            .from(UserRoles::Table, UserRoles::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(UserRoles::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Users::Table).to_owned())
            .await
    }
}
