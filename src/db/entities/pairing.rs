//! The `pairings` table.

use sea_orm::entity::prelude::*;

/// One pairing (对接) between a need or firm and a research result.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pairings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub need_id: Option<i32>,
    pub achievement_id: i32,
    pub enterprise_org_id: i32,
    pub university_org_id: i32,
    pub origin: String,
    pub requested_by: Option<i32>,
    pub message: String,
    pub status: String,
    pub broker_id: Option<i32>,
    pub enterprise_agreed: bool,
    pub university_agreed: bool,
    pub track_code: Option<String>,
    pub industry_code: Option<String>,
    pub region_code: String,
    /// Set while the pairing is open, so two open pairings of one pair cannot exist.
    #[sea_orm(unique)]
    pub open_key: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub accepted_at: Option<DateTimeUtc>,
    pub introduced_at: Option<DateTimeUtc>,
    pub negotiating_at: Option<DateTimeUtc>,
    pub signed_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub due_at: Option<DateTimeUtc>,
    pub awaiting: Option<String>,
    pub decline_reason: Option<String>,
    pub contract_kind: Option<String>,
    pub contract_amount_yuan: Option<i64>,
    pub contract_signed_on: Option<Date>,
    pub contract_registration_no: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
