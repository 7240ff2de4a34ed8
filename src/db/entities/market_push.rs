//! The `market_pushes` table: one local listing at one market.

use sea_orm::entity::prelude::*;

/// What we want a market to show of one listing, and how far we got.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "market_pushes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub listing_kind: String,
    pub listing_id: i32,
    pub market: String,
    pub remote_id: Option<String>,
    /// `LISTED` or `WITHDRAWN`: what the market should show.
    pub wanted: String,
    /// `PENDING`, `DONE` or `FAILED`.
    pub state: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The key the listing was first pushed under; the market may match records by it.
    pub local_key: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
