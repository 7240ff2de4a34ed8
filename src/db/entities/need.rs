//! The `needs` table. List-valued columns hold JSON arrays.

use sea_orm::entity::prelude::*;

/// One technology-need row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "needs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub owner_id: i32,
    pub title: String,
    pub problem: String,
    pub requirements: String,
    pub confidential_detail: Option<String>,
    pub keywords: String,
    pub industry_codes: String,
    pub discipline_code: Option<String>,
    pub min_trl: Option<i16>,
    pub cooperation_modes: String,
    pub budget_min: Option<i64>,
    pub budget_max: Option<i64>,
    pub deadline: Option<Date>,
    pub visibility: String,
    pub priority_tracks: String,
    pub status: String,
    pub published_at: Option<DateTimeUtc>,
    pub expires_at: Option<DateTimeUtc>,
    pub source: String,
    pub external_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub moderation_note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
