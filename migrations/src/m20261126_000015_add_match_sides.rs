//! Which side's computation found a stored match. Matching is not symmetric (a need's key
//! terms may find a result whose own key terms do not find the need), so recomputing one side
//! must not delete a pair the other side still finds: a pair goes when neither side finds it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            ListingMatches::FoundFromNeed,
            ListingMatches::FoundFromAchievement,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ListingMatches::Table)
                        .add_column(boolean(column).default(true))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            ListingMatches::FoundFromNeed,
            ListingMatches::FoundFromAchievement,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ListingMatches::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum ListingMatches {
    Table,
    FoundFromNeed,
    FoundFromAchievement,
}
