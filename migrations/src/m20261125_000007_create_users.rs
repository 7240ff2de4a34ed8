//! User accounts: login identifiers, argon2id password hash, organisation membership and the
//! platform roles (operator, broker).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .if_not_exists()
                    .col(pk_auto(Users::Id))
                    .col(string_len_null(Users::Email, 200).unique_key())
                    .col(string_len_null(Users::Phone, 20).unique_key())
                    .col(string_len(Users::DisplayName, 100))
                    .col(string_len(Users::PasswordHash, 200))
                    .col(integer_null(Users::OrganizationId))
                    .col(string_len_null(Users::OrgRole, 16))
                    .col(boolean(Users::IsOperator))
                    .col(boolean(Users::IsBroker))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_users_organization")
                    .table(Users::Table)
                    .col(Users::OrganizationId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Users::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    Phone,
    DisplayName,
    PasswordHash,
    OrganizationId,
    OrgRole,
    IsOperator,
    IsBroker,
    CreatedAt,
    UpdatedAt,
}
