//! The key a listing is pushed to a market under, kept with the push: a market that matches
//! records by our key (Marine's `outerId`) must see the same key for a listing for good, even
//! when the way keys are made changes. Listings pushed before keep the key they were pushed
//! under (`qianxian:<kind>:<row id>`); later ones are keyed by their global id.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(MarketPushes::Table)
                    .add_column(ColumnDef::new(MarketPushes::LocalKey).string_len(80).null())
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE market_pushes SET local_key = 'qianxian:' || listing_kind || ':' || \
                 CAST(listing_id AS TEXT) WHERE remote_id IS NOT NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(MarketPushes::Table)
                    .drop_column(MarketPushes::LocalKey)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum MarketPushes {
    Table,
    LocalKey,
}
