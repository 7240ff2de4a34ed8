//! Facet values of listings (industry codes, transfer modes, priority tracks), one row each,
//! so that list-valued filters are plain indexed SQL on both SQLite and PostgreSQL.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ListingTags::Table)
                    .if_not_exists()
                    .col(pk_auto(ListingTags::Id))
                    .col(string_len(ListingTags::ListingKind, 16))
                    .col(integer(ListingTags::ListingId))
                    .col(string_len(ListingTags::Facet, 16))
                    .col(string_len(ListingTags::Value, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_listing_tags_lookup")
                    .table(ListingTags::Table)
                    .col(ListingTags::ListingKind)
                    .col(ListingTags::Facet)
                    .col(ListingTags::Value)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_listing_tags_listing")
                    .table(ListingTags::Table)
                    .col(ListingTags::ListingKind)
                    .col(ListingTags::ListingId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ListingTags::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ListingTags {
    Table,
    Id,
    ListingKind,
    ListingId,
    Facet,
    Value,
}
