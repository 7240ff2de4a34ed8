//! The `listing_sources` table: where a listing came from (one row per market record).

use sea_orm::entity::prelude::*;

/// One market record linked to a local listing.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "listing_sources")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub listing_kind: String,
    pub listing_id: i32,
    pub source: String,
    pub external_id: String,
    pub remote_updated_at: DateTimeUtc,
    /// The market took it down.
    pub removed: bool,
    /// `created` (this record made the listing), `matched` (recognised as a duplicate) or
    /// `operator` (linked by hand).
    pub link: String,
    /// The record as last received.
    pub payload: String,
    /// Values without a mapping, as JSON `[[field, value], …]`.
    pub unmapped: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
