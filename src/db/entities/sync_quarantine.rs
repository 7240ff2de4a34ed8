//! The `sync_quarantine` table: records a sync could not take, with why.

use sea_orm::entity::prelude::*;

/// One quarantined record.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sync_quarantine")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub run_id: i32,
    pub market: String,
    pub external_id: Option<String>,
    pub raw: String,
    pub error: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
