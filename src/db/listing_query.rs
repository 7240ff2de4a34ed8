//! Filters, sort orders and pages shared by the achievement and need tables.
//!
//! Both tables name their columns alike; where they differ (price vs budget, TRL vs minimum
//! TRL) [`ListingKind`] picks the column. Every filter is plain, indexed SQL on both backends.

use crate::db::outbox::ListingKind;
use crate::db::tags::{self, Facet};
use crate::domain::OrganizationKind;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, WindowStatement};
use sea_orm::{
    Condition, ConnectionTrait, DbErr, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

/// A stored status value and whether its expiry must be compared with now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusClause {
    /// `status = value`.
    Is(&'static str),
    /// A live status not yet past `expires_at`.
    LiveUnexpired(&'static str),
    /// Stored as expired, or live with `expires_at` in the past.
    ExpiredOrOverdue(Vec<&'static str>),
    /// The inner clause, for listings of one owner only.
    OwnedBy(Box<StatusClause>, i32),
}

/// Sort orders offered for listings. Ties break on id so pages are stable.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListingSort {
    /// Most recently changed first.
    #[default]
    UpdatedDesc,
    /// Most recently published first.
    PublishedDesc,
    /// Newest first.
    CreatedDesc,
    /// By title.
    TitleAsc,
    /// Highest TRL first (for needs: the highest minimum TRL).
    TrlDesc,
    /// Cheapest first (面议 last).
    PriceAsc,
    /// Dearest first (面议 last).
    PriceDesc,
    /// Soonest to expire first.
    ExpiresAsc,
}

/// A validated listing query.
#[derive(Debug, Clone, Default)]
pub struct ListingQuery {
    /// Owner organisation kinds.
    pub owner_kinds: Vec<OrganizationKind>,
    /// One owner.
    pub owner_ids: Vec<i32>,
    /// GB/T 4754 prefix such as `C38`.
    pub industry_prefix: Option<String>,
    /// GB/T 13745 code; matches the code and its sub-disciplines.
    pub discipline_prefix: Option<String>,
    /// GB/T 2260 prefix of the owner's region.
    pub region_prefix: Option<String>,
    /// Lowest TRL.
    pub trl_min: Option<u8>,
    /// Highest TRL.
    pub trl_max: Option<u8>,
    /// Any of these modes.
    pub modes: Vec<String>,
    /// Range overlaps this lower bound.
    pub price_min: Option<i64>,
    /// Range overlaps this upper bound.
    pub price_max: Option<i64>,
    /// With a price filter, whether 面议 listings still count.
    pub include_negotiable: bool,
    /// Any of these status clauses.
    pub statuses: Vec<StatusClause>,
    /// Any of these tracks.
    pub tracks: Vec<String>,
    /// Changed at or after.
    pub updated_since: Option<DateTime<Utc>>,
    /// Need visibilities the viewer may list, empty for all (ignored for achievements).
    pub visibilities: Vec<&'static str>,
    /// An owner whose needs are listed whatever their visibility (the viewer's own).
    pub visibility_exempt_owner: Option<i32>,
    /// The instant expiry is judged at.
    pub now: DateTime<Utc>,
    /// Order.
    pub sort: ListingSort,
}

fn col(name: &str) -> Expr {
    Expr::col(Alias::new(name))
}

fn trl_column(kind: ListingKind) -> &'static str {
    match kind {
        ListingKind::Achievement => "trl",
        ListingKind::Need => "min_trl",
    }
}

fn price_columns(kind: ListingKind) -> (&'static str, &'static str) {
    match kind {
        ListingKind::Achievement => ("price_min", "price_max"),
        ListingKind::Need => ("budget_min", "budget_max"),
    }
}

/// Builds the WHERE clause for `kind`.
pub fn condition(kind: ListingKind, q: &ListingQuery) -> Condition {
    let mut cond = Condition::all();
    if !q.owner_ids.is_empty() {
        cond = cond.add(col("owner_id").is_in(q.owner_ids.iter().copied()));
    }
    if !q.owner_kinds.is_empty() || q.region_prefix.is_some() {
        let mut owners = Query::select();
        owners
            .column(Alias::new("id"))
            .from(Alias::new("organizations"));
        if !q.owner_kinds.is_empty() {
            owners.and_where(col("kind").is_in(q.owner_kinds.iter().map(|k| k.as_str())));
        }
        if let Some(prefix) = &q.region_prefix {
            owners.and_where(col("region_code").like(format!("{}%", tags::escape_like(prefix))));
        }
        cond = cond.add(col("owner_id").in_subquery(owners.to_owned()));
    }
    if let Some(prefix) = &q.industry_prefix {
        cond =
            cond.add(col("id").in_subquery(tags::ids_with_prefix(kind, Facet::Industry, prefix)));
    }
    if !q.modes.is_empty() {
        cond = cond.add(col("id").in_subquery(tags::ids_with_any(kind, Facet::Mode, &q.modes)));
    }
    if !q.tracks.is_empty() {
        cond = cond.add(col("id").in_subquery(tags::ids_with_any(kind, Facet::Track, &q.tracks)));
    }
    if let Some(prefix) = &q.discipline_prefix {
        cond = cond.add(col("discipline_code").like(format!("{}%", tags::escape_like(prefix))));
    }
    let trl = trl_column(kind);
    if let Some(min) = q.trl_min {
        cond = cond.add(col(trl).gte(i32::from(min)));
    }
    if let Some(max) = q.trl_max {
        cond = cond.add(col(trl).lte(i32::from(max)));
    }
    if q.price_min.is_some() || q.price_max.is_some() {
        let (lo, hi) = price_columns(kind);
        let mut overlap = Condition::all().add(col(lo).is_not_null());
        if let Some(min) = q.price_min {
            overlap = overlap.add(col(hi).gte(min));
        }
        if let Some(max) = q.price_max {
            overlap = overlap.add(col(lo).lte(max));
        }
        cond = cond.add(if q.include_negotiable {
            Condition::any().add(overlap).add(col(lo).is_null())
        } else {
            overlap
        });
    }
    if !q.statuses.is_empty() {
        let mut any = Condition::any();
        for clause in &q.statuses {
            any = any.add(status_condition(clause, q.now));
        }
        cond = cond.add(any);
    }
    if let Some(since) = q.updated_since {
        cond = cond.add(col("updated_at").gte(since));
    }
    if kind == ListingKind::Need && !q.visibilities.is_empty() {
        let mut visible =
            Condition::any().add(col("visibility").is_in(q.visibilities.iter().copied()));
        if let Some(owner) = q.visibility_exempt_owner {
            visible = visible.add(col("owner_id").eq(owner));
        }
        cond = cond.add(visible);
    }
    cond
}

fn status_condition(clause: &StatusClause, now: DateTime<Utc>) -> Condition {
    match clause {
        StatusClause::Is(status) => Condition::all().add(col("status").eq(*status)),
        StatusClause::LiveUnexpired(status) => Condition::all().add(col("status").eq(*status)).add(
            Condition::any()
                .add(col("expires_at").is_null())
                .add(col("expires_at").gt(now)),
        ),
        StatusClause::OwnedBy(inner, owner) => Condition::all()
            .add(status_condition(inner, now))
            .add(col("owner_id").eq(*owner)),
        StatusClause::ExpiredOrOverdue(live) => {
            Condition::any().add(col("status").eq("EXPIRED")).add(
                Condition::all()
                    .add(col("status").is_in(live.iter().copied()))
                    .add(col("expires_at").lte(now)),
            )
        }
    }
}

/// `(expr IS NULL) ASC`: puts NULLs last on both backends, which disagree by default.
fn nulls_last(name: &str) -> Expr {
    col(name).is_null()
}

/// Counts matching rows.
pub async fn count<E: EntityTrait, C: ConnectionTrait>(
    db: &C,
    kind: ListingKind,
    q: &ListingQuery,
) -> Result<u64, DbErr>
where
    E::Model: Sync,
{
    E::find().filter(condition(kind, q)).count(db).await
}

/// Reads one page of matching rows.
pub async fn page<E: EntityTrait, C: ConnectionTrait>(
    db: &C,
    kind: ListingKind,
    q: &ListingQuery,
    offset: u64,
    limit: u64,
) -> Result<Vec<E::Model>, DbErr> {
    let mut select = E::find().filter(condition(kind, q));
    let (price_lo, price_hi) = price_columns(kind);
    let trl = trl_column(kind);
    let keys: Vec<(Expr, Order)> = match q.sort {
        ListingSort::UpdatedDesc => vec![(col("updated_at"), Order::Desc)],
        ListingSort::PublishedDesc => vec![
            (nulls_last("published_at"), Order::Asc),
            (col("published_at"), Order::Desc),
        ],
        ListingSort::CreatedDesc => vec![(col("created_at"), Order::Desc)],
        ListingSort::TitleAsc => vec![(col("title"), Order::Asc)],
        ListingSort::TrlDesc => vec![(nulls_last(trl), Order::Asc), (col(trl), Order::Desc)],
        ListingSort::PriceAsc => vec![
            (nulls_last(price_lo), Order::Asc),
            (col(price_lo), Order::Asc),
        ],
        ListingSort::PriceDesc => vec![
            (nulls_last(price_hi), Order::Asc),
            (col(price_hi), Order::Desc),
        ],
        ListingSort::ExpiresAsc => vec![
            (nulls_last("expires_at"), Order::Asc),
            (col("expires_at"), Order::Asc),
        ],
    };
    for (expr, order) in keys {
        select = select.order_by(expr, order);
    }
    let tie = if matches!(
        q.sort,
        ListingSort::TitleAsc | ListingSort::PriceAsc | ListingSort::ExpiresAsc
    ) {
        Order::Asc
    } else {
        Order::Desc
    };
    select
        .order_by(col("id"), tie)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await
}

/// The newest `per_owner` matching rows of each owner in one statement
/// (`ROW_NUMBER() OVER (PARTITION BY owner_id …)`, on both backends), newest first.
pub async fn newest_per_owner<E: EntityTrait + Default, C: ConnectionTrait>(
    db: &C,
    kind: ListingKind,
    q: &ListingQuery,
    per_owner: u64,
) -> Result<Vec<E::Model>, DbErr> {
    let mut window = WindowStatement::partition_by(Alias::new("owner_id"));
    window
        .order_by(Alias::new("updated_at"), Order::Desc)
        .order_by(Alias::new("id"), Order::Desc);
    let mut ranked = Query::select();
    ranked
        .column(Alias::new("id"))
        .expr_window_as(
            Expr::cust("ROW_NUMBER()"),
            window,
            Alias::new("rank_in_owner"),
        )
        .from(E::default())
        .cond_where(condition(kind, q));
    let mut top = Query::select();
    top.column(Alias::new("id"))
        .from_subquery(ranked.to_owned(), Alias::new("ranked"))
        .and_where(col("rank_in_owner").lte(per_owner));
    E::find()
        .filter(col("id").in_subquery(top.to_owned()))
        .order_by(col("updated_at"), Order::Desc)
        .order_by(col("id"), Order::Desc)
        .all(db)
        .await
}
