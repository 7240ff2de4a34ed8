//! Refresh-token families: every session a login starts, and every session a refresh
//! continues from it, share a family. A refresh token used a second time (someone holds a
//! copy) ends the whole family (OAuth 2.0 Security BCP, refresh token rotation). Sessions
//! made before this migration are their own family.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AuthTokens::Table)
                    .add_column(ColumnDef::new(AuthTokens::FamilyId).string_len(64).null())
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared("UPDATE auth_tokens SET family_id = session_id")
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_auth_tokens_family")
                    .table(AuthTokens::Table)
                    .col(AuthTokens::FamilyId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_auth_tokens_family")
                    .table(AuthTokens::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AuthTokens::Table)
                    .drop_column(AuthTokens::FamilyId)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum AuthTokens {
    Table,
    FamilyId,
}
