//! The `auth_tokens` table.

use sea_orm::entity::prelude::*;

/// One token row; the token itself is never stored, only its SHA-256.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "auth_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i32,
    pub kind: String,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub session_id: String,
    pub name: Option<String>,
    pub expires_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// The sessions continued from one login by refreshes.
    pub family_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
