//! Listing filters as callers give them, and their validation into a [`ListingQuery`].

use crate::db::listing_query::{ListingQuery, ListingSort};
use crate::domain::industry::industry_prefix;
use crate::domain::region::region_prefix;
use crate::domain::{DisciplineCode, OrganizationKind, TransferMode, Trl};
use crate::error::{ErrorCode, FieldError};
use crate::service::listings::inputs::Errors;
use chrono::{DateTime, Utc};

/// Filters shared by achievements and needs; `S` is the listing's status type.
#[derive(Debug, Clone)]
pub struct ListingFilter<S> {
    /// Kinds of owning organisation.
    pub owner_kinds: Vec<OrganizationKind>,
    /// Owning organisation ids.
    pub owner_ids: Vec<i32>,
    /// GB/T 4754 prefix such as `C` or `C38`.
    pub industry: Option<String>,
    /// GB/T 13745 code; sub-disciplines match too.
    pub discipline: Option<String>,
    /// Region code or prefix of the owner (`370200`, `3702`).
    pub region: Option<String>,
    /// Lowest TRL (for needs: of the wanted minimum).
    pub trl_min: Option<i32>,
    /// Highest TRL.
    pub trl_max: Option<i32>,
    /// Any of these transfer / cooperation modes.
    pub modes: Vec<TransferMode>,
    /// Price or budget range overlapping `[price_min, price_max]`.
    pub price_min: Option<i64>,
    /// See `price_min`.
    pub price_max: Option<i64>,
    /// With a price filter, keep 面议 listings (default false).
    pub include_negotiable: bool,
    /// Statuses; empty means the live ones.
    pub statuses: Vec<S>,
    /// Any of these priority tracks.
    pub tracks: Vec<String>,
    /// Changed at or after.
    pub updated_since: Option<DateTime<Utc>>,
    /// Order.
    pub sort: ListingSort,
}

impl<S> ListingFilter<S> {
    /// Whether the filter asks about the owning organisation (who, what kind, where): facts
    /// an anonymous need hides.
    pub fn depends_on_owner(&self) -> bool {
        !self.owner_ids.is_empty() || !self.owner_kinds.is_empty() || self.region.is_some()
    }
}

impl<S> Default for ListingFilter<S> {
    fn default() -> Self {
        Self {
            owner_kinds: Vec::new(),
            owner_ids: Vec::new(),
            industry: None,
            discipline: None,
            region: None,
            trl_min: None,
            trl_max: None,
            modes: Vec::new(),
            price_min: None,
            price_max: None,
            include_negotiable: false,
            statuses: Vec::new(),
            tracks: Vec::new(),
            updated_since: None,
            sort: ListingSort::default(),
        }
    }
}

/// The status clauses `actor` may list out of `wanted`: public statuses as asked, unpublished
/// ones within the actor's [`Scope`].
pub(crate) fn scoped_statuses<S: Copy>(
    actor: &crate::service::Actor,
    wanted: &[S],
    is_public: impl Fn(S) -> bool,
    clause: impl Fn(S) -> crate::db::listing_query::StatusClause,
) -> Vec<crate::db::listing_query::StatusClause> {
    use crate::db::listing_query::StatusClause;
    use crate::service::policy::{Scope, unpublished_scope};
    let scope = unpublished_scope(actor);
    wanted
        .iter()
        .filter_map(|&s| match (is_public(s), scope) {
            (true, _) | (false, Scope::All) => Some(clause(s)),
            (false, Scope::Owner(org)) => Some(StatusClause::OwnedBy(Box::new(clause(s)), org)),
            (false, Scope::Nothing) => None,
        })
        .collect()
}

impl<S> ListingFilter<S> {
    /// Validates the shared part; statuses and visibility are the caller's to fill in.
    pub(crate) fn to_query(&self, now: DateTime<Utc>) -> Result<ListingQuery, Vec<FieldError>> {
        let mut e = Errors::default();
        let industry = self
            .industry
            .as_deref()
            .and_then(|p| e.take(industry_prefix(p, "filter.industry")));
        let discipline = self.discipline.as_deref().and_then(|d| {
            e.take(DisciplineCode::parse(d, "filter.discipline"))
                .map(|d| d.as_str().to_owned())
        });
        let region = self
            .region
            .as_deref()
            .and_then(|r| e.take(region_prefix(r, "filter.region")));
        let trl_min = self
            .trl_min
            .and_then(|t| e.take(Trl::new(t, "filter.trlMin")))
            .map(Trl::level);
        let trl_max = self
            .trl_max
            .and_then(|t| e.take(Trl::new(t, "filter.trlMax")))
            .map(Trl::level);
        if let (Some(lo), Some(hi)) = (trl_min, trl_max)
            && lo > hi
        {
            e.0.push(FieldError::new(
                "filter.trlMin",
                ErrorCode::InvalidTrl,
                "TRL 下限不能高于上限",
            ));
        }
        if let (Some(lo), Some(hi)) = (self.price_min, self.price_max)
            && (lo > hi || lo < 0)
        {
            e.0.push(FieldError::new(
                "filter.priceMin",
                ErrorCode::InvalidPriceRange,
                "金额下限不能为负，也不能高于上限",
            ));
        }
        if !e.0.is_empty() {
            return Err(e.0);
        }
        Ok(ListingQuery {
            owner_kinds: self.owner_kinds.clone(),
            owner_ids: self.owner_ids.clone(),
            industry_prefix: industry,
            discipline_prefix: discipline,
            region_prefix: region,
            trl_min,
            trl_max,
            modes: self.modes.iter().map(|m| m.as_str().to_owned()).collect(),
            price_min: self.price_min,
            price_max: self.price_max,
            include_negotiable: self.include_negotiable,
            statuses: Vec::new(),
            tracks: self.tracks.clone(),
            updated_since: self.updated_since,
            visibilities: Vec::new(),
            visibility_exempt_owner: None,
            now,
            sort: self.sort,
        })
    }
}
