//! Access, refresh and personal API tokens, stored only as SHA-256 hashes.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuthTokens::Table)
                    .if_not_exists()
                    .col(big_pk_auto(AuthTokens::Id))
                    .col(integer(AuthTokens::UserId))
                    .col(string_len(AuthTokens::Kind, 16))
                    .col(string_len_uniq(AuthTokens::TokenHash, 64))
                    .col(string_len(AuthTokens::SessionId, 64))
                    .col(string_len_null(AuthTokens::Name, 100))
                    .col(timestamp_with_time_zone_null(AuthTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(AuthTokens::RevokedAt))
                    .col(timestamp_with_time_zone(AuthTokens::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_auth_tokens_user")
                    .table(AuthTokens::Table)
                    .col(AuthTokens::UserId)
                    .col(AuthTokens::Kind)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_auth_tokens_session")
                    .table(AuthTokens::Table)
                    .col(AuthTokens::SessionId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuthTokens::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AuthTokens {
    Table,
    Id,
    UserId,
    Kind,
    TokenHash,
    SessionId,
    Name,
    ExpiresAt,
    RevokedAt,
    CreatedAt,
}
