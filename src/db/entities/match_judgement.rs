//! The `match_judgements` table: what people decided about a match (see the migration).

use sea_orm::entity::prelude::*;

/// One judgement.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "match_judgements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub need_id: i32,
    pub achievement_id: i32,
    /// `DISMISSED_FOR_NEED`, `DISMISSED_FOR_ACHIEVEMENT`, `SIGNED` or `DECLINED`.
    pub judgement: String,
    pub pairing_id: Option<i32>,
    /// The stored match score when the judgement was made, if the match was stored.
    pub score: Option<f64>,
    pub actor_id: Option<i32>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
