//! The `listing_outbox` table: listing changes waiting for consumers such as the indexer.

use sea_orm::entity::prelude::*;

/// One change record.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "listing_outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub listing_kind: String,
    pub listing_id: i32,
    pub change: String,
    pub created_at: DateTimeUtc,
    /// The change's place in commit order; `None` until the sequencer saw it committed.
    pub seq: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
