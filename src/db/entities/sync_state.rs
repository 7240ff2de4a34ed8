//! The `sync_states` table: where each market's sync stands.

use sea_orm::entity::prelude::*;

/// The stored cursor of one market.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sync_states")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub market: String,
    pub cursor: Option<String>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
