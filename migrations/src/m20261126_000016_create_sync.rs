//! Market sync: where each market's sync stands, every run with its counts, records that were
//! quarantined, and the source links of listings (one listing can come from several markets).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ListingSources::Table)
                    .if_not_exists()
                    .col(pk_auto(ListingSources::Id))
                    .col(string_len(ListingSources::ListingKind, 16))
                    .col(integer(ListingSources::ListingId))
                    .col(string_len(ListingSources::Source, 16))
                    .col(string_len(ListingSources::ExternalId, 128))
                    .col(timestamp_with_time_zone(ListingSources::RemoteUpdatedAt))
                    .col(boolean(ListingSources::Removed))
                    .col(string_len(ListingSources::Link, 16))
                    .col(text(ListingSources::Payload))
                    .col(text(ListingSources::Unmapped))
                    .col(timestamp_with_time_zone(ListingSources::CreatedAt))
                    .col(timestamp_with_time_zone(ListingSources::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_listing_sources_external")
                    .table(ListingSources::Table)
                    .col(ListingSources::Source)
                    .col(ListingSources::ExternalId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_listing_sources_listing")
                    .table(ListingSources::Table)
                    .col(ListingSources::ListingKind)
                    .col(ListingSources::ListingId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SyncStates::Table)
                    .if_not_exists()
                    .col(string_len(SyncStates::Market, 16).primary_key())
                    .col(text_null(SyncStates::Cursor))
                    .col(timestamp_with_time_zone(SyncStates::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SyncRuns::Table)
                    .if_not_exists()
                    .col(pk_auto(SyncRuns::Id))
                    .col(string_len(SyncRuns::Market, 16))
                    .col(string_len(SyncRuns::Trigger, 16))
                    .col(string_len(SyncRuns::Status, 16))
                    .col(timestamp_with_time_zone(SyncRuns::StartedAt))
                    .col(timestamp_with_time_zone_null(SyncRuns::FinishedAt))
                    .col(big_integer(SyncRuns::Fetched))
                    .col(big_integer(SyncRuns::Created))
                    .col(big_integer(SyncRuns::Updated))
                    .col(big_integer(SyncRuns::Unchanged))
                    .col(big_integer(SyncRuns::Withdrawn))
                    .col(big_integer(SyncRuns::Merged))
                    .col(big_integer(SyncRuns::Quarantined))
                    .col(big_integer(SyncRuns::Unmapped))
                    .col(text_null(SyncRuns::Error))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SyncQuarantine::Table)
                    .if_not_exists()
                    .col(pk_auto(SyncQuarantine::Id))
                    .col(integer(SyncQuarantine::RunId))
                    .col(string_len(SyncQuarantine::Market, 16))
                    .col(string_len_null(SyncQuarantine::ExternalId, 128))
                    .col(text(SyncQuarantine::Raw))
                    .col(text(SyncQuarantine::Error))
                    .col(timestamp_with_time_zone(SyncQuarantine::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sync_quarantine_run")
                    .table(SyncQuarantine::Table)
                    .col(SyncQuarantine::RunId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SyncQuarantine::Table.into_iden(),
            SyncRuns::Table.into_iden(),
            SyncStates::Table.into_iden(),
            ListingSources::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum ListingSources {
    Table,
    Id,
    ListingKind,
    ListingId,
    Source,
    ExternalId,
    RemoteUpdatedAt,
    Removed,
    Link,
    Payload,
    Unmapped,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SyncStates {
    Table,
    Market,
    Cursor,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SyncRuns {
    Table,
    Id,
    Market,
    Trigger,
    Status,
    StartedAt,
    FinishedAt,
    Fetched,
    Created,
    Updated,
    Unchanged,
    Withdrawn,
    Merged,
    Quarantined,
    Unmapped,
    Error,
}

#[derive(DeriveIden)]
enum SyncQuarantine {
    Table,
    Id,
    RunId,
    Market,
    ExternalId,
    Raw,
    Error,
    CreatedAt,
}
