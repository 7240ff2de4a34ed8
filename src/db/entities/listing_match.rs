//! The `listing_matches` table.

use sea_orm::entity::prelude::*;

/// One stored match between a need and a result.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "listing_matches")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub need_id: i32,
    pub achievement_id: i32,
    pub score: f64,
    /// `MatchReasons` as JSON.
    pub reasons: String,
    pub first_matched_at: DateTimeUtc,
    pub computed_at: DateTimeUtc,
    pub dismissed_for_need_at: Option<DateTimeUtc>,
    pub dismissed_for_achievement_at: Option<DateTimeUtc>,
    /// The need's computation found this pair.
    pub found_from_need: bool,
    /// The result's computation found this pair.
    pub found_from_achievement: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
