//! Facet values of listings in `listing_tags`, and the sub-queries filters use.

use crate::db::entities::listing_tag::{self, Column, Entity};
use crate::db::outbox::ListingKind;
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

/// A facet that list-valued filters use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facet {
    /// GB/T 4754 display code.
    Industry,
    /// Transfer or cooperation mode.
    Mode,
    /// Priority-track code.
    Track,
}

impl Facet {
    fn as_str(self) -> &'static str {
        match self {
            Self::Industry => "industry",
            Self::Mode => "mode",
            Self::Track => "track",
        }
    }
}

/// Replaces every tag of one listing.
pub async fn replace<C: ConnectionTrait>(
    db: &C,
    kind: ListingKind,
    listing_id: i32,
    tags: &[(Facet, String)],
) -> Result<(), DbErr> {
    Entity::delete_many()
        .filter(Column::ListingKind.eq(kind.as_str()))
        .filter(Column::ListingId.eq(listing_id))
        .exec(db)
        .await?;
    insert(db, kind, listing_id, tags).await
}

/// Writes the tags of listings that have none yet, in one statement.
pub async fn insert_many<C: ConnectionTrait>(
    db: &C,
    kind: ListingKind,
    listings: &[(i32, Vec<(Facet, String)>)],
) -> Result<(), DbErr> {
    let rows: Vec<listing_tag::ActiveModel> = listings
        .iter()
        .flat_map(|(id, tags)| {
            tags.iter()
                .map(move |(facet, value)| listing_tag::ActiveModel {
                    listing_kind: Set(kind.as_str().to_owned()),
                    listing_id: Set(*id),
                    facet: Set(facet.as_str().to_owned()),
                    value: Set(value.clone()),
                    ..Default::default()
                })
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    Entity::insert_many(rows).exec_without_returning(db).await?;
    Ok(())
}

/// Writes the tags of a listing that has none yet (a new one).
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    kind: ListingKind,
    listing_id: i32,
    tags: &[(Facet, String)],
) -> Result<(), DbErr> {
    if tags.is_empty() {
        return Ok(());
    }
    let rows = tags.iter().map(|(facet, value)| listing_tag::ActiveModel {
        listing_kind: Set(kind.as_str().to_owned()),
        listing_id: Set(listing_id),
        facet: Set(facet.as_str().to_owned()),
        value: Set(value.clone()),
        ..Default::default()
    });
    Entity::insert_many(rows).exec_without_returning(db).await?;
    Ok(())
}

/// `SELECT listing_id FROM listing_tags WHERE kind AND facet AND value IN (…)`.
pub fn ids_with_any(kind: ListingKind, facet: Facet, values: &[String]) -> SelectStatement {
    base(kind, facet)
        .and_where(Expr::col(Column::Value).is_in(values.iter().cloned()))
        .to_owned()
}

/// `SELECT listing_id FROM listing_tags WHERE kind AND facet AND value LIKE 'prefix%'`.
pub fn ids_with_prefix(kind: ListingKind, facet: Facet, prefix: &str) -> SelectStatement {
    base(kind, facet)
        .and_where(Expr::col(Column::Value).like(format!("{}%", escape_like(prefix))))
        .to_owned()
}

fn base(kind: ListingKind, facet: Facet) -> SelectStatement {
    Query::select()
        .column(Column::ListingId)
        .from(Entity)
        .and_where(Expr::col(Column::ListingKind).eq(kind.as_str()))
        .and_where(Expr::col(Column::Facet).eq(facet.as_str()))
        .to_owned()
}

/// Drops LIKE wildcards from a validated code prefix (defence in depth).
pub fn escape_like(prefix: &str) -> String {
    prefix.replace(['%', '_', '\\'], "")
}
