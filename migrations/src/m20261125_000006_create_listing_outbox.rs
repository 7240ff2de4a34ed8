//! The outbox of listing changes, written in the same transaction as the change, for the
//! search indexer and other consumers to apply in order.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ListingOutbox::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ListingOutbox::Id))
                    .col(string_len(ListingOutbox::ListingKind, 16))
                    .col(integer(ListingOutbox::ListingId))
                    .col(string_len(ListingOutbox::Change, 32))
                    .col(timestamp_with_time_zone(ListingOutbox::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ListingOutbox::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ListingOutbox {
    Table,
    Id,
    ListingKind,
    ListingId,
    Change,
    CreatedAt,
}
