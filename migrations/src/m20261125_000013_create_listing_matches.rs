//! Stored matches between needs and results (recomputed in the background when either side
//! changes, dismissable by each side's owner), and the cursors of background jobs.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ListingMatches::Table)
                    .if_not_exists()
                    .col(pk_auto(ListingMatches::Id))
                    .col(integer(ListingMatches::NeedId))
                    .col(integer(ListingMatches::AchievementId))
                    .col(double(ListingMatches::Score))
                    .col(text(ListingMatches::Reasons))
                    .col(timestamp_with_time_zone(ListingMatches::FirstMatchedAt))
                    .col(timestamp_with_time_zone(ListingMatches::ComputedAt))
                    .col(timestamp_with_time_zone_null(
                        ListingMatches::DismissedForNeedAt,
                    ))
                    .col(timestamp_with_time_zone_null(
                        ListingMatches::DismissedForAchievementAt,
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "uq_listing_matches_pair",
                vec![ListingMatches::NeedId, ListingMatches::AchievementId],
            ),
            (
                "idx_listing_matches_achievement",
                vec![ListingMatches::AchievementId],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(ListingMatches::Table);
            for col in cols {
                index.col(col);
            }
            if name.starts_with("uq_") {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(JobCursors::Table)
                    .if_not_exists()
                    .col(string_len(JobCursors::Name, 64).primary_key())
                    .col(big_integer(JobCursors::Position))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(JobCursors::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ListingMatches::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ListingMatches {
    Table,
    Id,
    NeedId,
    AchievementId,
    Score,
    Reasons,
    FirstMatchedAt,
    ComputedAt,
    DismissedForNeedAt,
    DismissedForAchievementAt,
}

#[derive(DeriveIden)]
enum JobCursors {
    Table,
    Name,
    Position,
}
