//! A moderation note on listings: the reason an operator unpublished one, shown to its owner.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [Listing::Achievements, Listing::Needs] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(text_null(Listing::ModerationNote))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [Listing::Achievements, Listing::Needs] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .drop_column(Listing::ModerationNote)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Listing {
    Achievements,
    Needs,
    ModerationNote,
}
