//! Priority tracks (重点产业赛道): operator-editable tags for browsing and statistics.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PriorityTracks::Table)
                    .if_not_exists()
                    .col(string_len(PriorityTracks::Code, 64).primary_key())
                    .col(string_len(PriorityTracks::Name, 100))
                    .col(text(PriorityTracks::Description))
                    .col(integer(PriorityTracks::SortOrder))
                    .col(boolean(PriorityTracks::Active))
                    .col(timestamp_with_time_zone(PriorityTracks::CreatedAt))
                    .col(timestamp_with_time_zone(PriorityTracks::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PriorityTracks::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PriorityTracks {
    Table,
    Code,
    Name,
    Description,
    SortOrder,
    Active,
    CreatedAt,
    UpdatedAt,
}
