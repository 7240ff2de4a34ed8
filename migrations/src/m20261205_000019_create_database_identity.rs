//! A random identity made once per database. A search index records the identity of the
//! database its outbox position came from, so a recreated or different database makes the
//! index rebuild instead of trusting a position that means nothing there.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DatabaseIdentity::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(DatabaseIdentity::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(DatabaseIdentity::Token)
                            .string_len(64)
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        let random = match manager.get_database_backend() {
            DatabaseBackend::Postgres => "md5(random()::text || clock_timestamp()::text)",
            _ => "lower(hex(randomblob(16)))",
        };
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "INSERT INTO database_identity (id, token) VALUES (1, {random})"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DatabaseIdentity::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum DatabaseIdentity {
    Table,
    Id,
    Token,
}
