//! The `disclosure_grants` table.

use sea_orm::entity::prelude::*;

/// One grant of a listing's confidential detail and its owner's contacts to a counterpart.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "disclosure_grants")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub listing_kind: String,
    pub listing_id: i32,
    pub owner_org_id: i32,
    pub grantee_org_id: i32,
    pub granted_by: Option<i32>,
    pub reason: String,
    pub created_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
