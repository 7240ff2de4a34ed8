//! The `achievements` table. List-valued columns hold JSON arrays.

use sea_orm::entity::prelude::*;

/// One research-result row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "achievements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub owner_id: i32,
    pub title: String,
    pub summary: String,
    pub confidential_detail: Option<String>,
    pub keywords: String,
    pub application_fields: String,
    pub advantages: String,
    pub requirements: String,
    pub discipline_code: String,
    pub industry_codes: String,
    pub trl: i16,
    pub maturity: String,
    pub ip_records: String,
    pub transfer_modes: String,
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
    pub team_lead: String,
    pub inventors: String,
    pub registration_number: Option<String>,
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
