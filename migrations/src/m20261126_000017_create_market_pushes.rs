//! Publishing our listings to the markets: which organisations opted in per market, and the
//! state of each listing at each market (remote id, retries, last error).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MarketOptins::Table)
                    .if_not_exists()
                    .col(integer(MarketOptins::OrganizationId))
                    .col(string_len(MarketOptins::Market, 16))
                    .col(timestamp_with_time_zone(MarketOptins::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(MarketOptins::OrganizationId)
                            .col(MarketOptins::Market),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MarketPushes::Table)
                    .if_not_exists()
                    .col(pk_auto(MarketPushes::Id))
                    .col(string_len(MarketPushes::ListingKind, 16))
                    .col(integer(MarketPushes::ListingId))
                    .col(string_len(MarketPushes::Market, 16))
                    .col(string_len_null(MarketPushes::RemoteId, 128))
                    .col(string_len(MarketPushes::Wanted, 16))
                    .col(string_len(MarketPushes::State, 16))
                    .col(integer(MarketPushes::Attempts))
                    .col(text_null(MarketPushes::LastError))
                    .col(timestamp_with_time_zone(MarketPushes::NextAttemptAt))
                    .col(timestamp_with_time_zone(MarketPushes::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_market_pushes_listing")
                    .table(MarketPushes::Table)
                    .col(MarketPushes::ListingKind)
                    .col(MarketPushes::ListingId)
                    .col(MarketPushes::Market)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_market_pushes_due")
                    .table(MarketPushes::Table)
                    .col(MarketPushes::State)
                    .col(MarketPushes::NextAttemptAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MarketPushes::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(MarketOptins::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum MarketOptins {
    Table,
    OrganizationId,
    Market,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MarketPushes {
    Table,
    Id,
    ListingKind,
    ListingId,
    Market,
    RemoteId,
    Wanted,
    State,
    Attempts,
    LastError,
    NextAttemptAt,
    UpdatedAt,
}
