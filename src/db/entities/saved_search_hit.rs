//! The `saved_search_hits` table: listings a saved search already reported.

use sea_orm::entity::prelude::*;

/// One listing reported for one saved search.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "saved_search_hits")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub saved_search_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub listing_kind: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub listing_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
