//! The `listing_tags` table: one facet value of one listing.

use sea_orm::entity::prelude::*;

/// One facet value row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "listing_tags")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub listing_kind: String,
    pub listing_id: i32,
    pub facet: String,
    pub value: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
