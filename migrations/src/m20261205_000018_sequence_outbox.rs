//! The outbox's commit order: `seq` is given to a change only after its transaction committed,
//! by one sequencer at a time, so a consumer reading `seq > cursor` can never miss a change
//! that commits late (on PostgreSQL ids are taken at insert and become visible at commit, in
//! any order). Changes recorded before this migration keep their id as their place.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ListingOutbox::Table)
                    .add_column(ColumnDef::new(ListingOutbox::Seq).big_integer().null())
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared("UPDATE listing_outbox SET seq = id")
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_listing_outbox_seq")
                    .table(ListingOutbox::Table)
                    .col(ListingOutbox::Seq)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The sequencer's work list: committed changes without a place yet.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX idx_listing_outbox_unsequenced ON listing_outbox (id) WHERE seq IS NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_listing_outbox_unsequenced")
                    .table(ListingOutbox::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("uq_listing_outbox_seq")
                    .table(ListingOutbox::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ListingOutbox::Table)
                    .drop_column(ListingOutbox::Seq)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum ListingOutbox {
    Table,
    Seq,
}
