//! Judgements on matches: a match an owner dismissed, and a pairing of a need and a result
//! that was signed or declined. Kept as data a later ranking can learn from
//! (docs/matching.md, "Feedback"); nothing reads them to rank yet.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MatchJudgements::Table)
                    .if_not_exists()
                    .col(pk_auto(MatchJudgements::Id))
                    .col(integer(MatchJudgements::NeedId))
                    .col(integer(MatchJudgements::AchievementId))
                    .col(string_len(MatchJudgements::Judgement, 40))
                    .col(integer_null(MatchJudgements::PairingId))
                    .col(double_null(MatchJudgements::Score))
                    .col(integer_null(MatchJudgements::ActorId))
                    .col(timestamp_with_time_zone(MatchJudgements::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_match_judgements_pair")
                    .table(MatchJudgements::Table)
                    .col(MatchJudgements::NeedId)
                    .col(MatchJudgements::AchievementId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MatchJudgements::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum MatchJudgements {
    Table,
    Id,
    NeedId,
    AchievementId,
    Judgement,
    PairingId,
    Score,
    ActorId,
    CreatedAt,
}
