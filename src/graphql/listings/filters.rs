//! The filters of the three lists (`achievements`, `needs`, `organizations`) as GraphQL
//! inputs, and their conversion into the services' filters. The two listing filters name the
//! same filters in each kind's words (transfer modes and price, cooperation modes and budget).

use crate::db::listing_query::ListingSort;
use crate::domain::{AchievementStatus, NeedStatus, OrganizationKind, TransferMode};
use crate::graphql::listings::owner;
use crate::service::listings::achievements::AchievementFilter;
use crate::service::listings::needs::NeedFilter;
use async_graphql::{ID, InputObject, Result};
use chrono::{DateTime, Utc};

/// Filters for `achievements`. All given filters must match.
#[derive(InputObject, Default)]
pub struct AchievementFilterInput {
    /// Kinds of owning organisation.
    pub owner_kinds: Option<Vec<OrganizationKind>>,
    /// Owning organisation.
    pub owner_id: Option<ID>,
    /// GB/T 4754 code prefix: `C`, `C38`, `C384`.
    pub industry: Option<String>,
    /// GB/T 13745 code; sub-disciplines match too.
    pub discipline: Option<String>,
    /// GB/T 2260 code or prefix of the owner's region: `370200` or `3702` (青岛市).
    pub region: Option<String>,
    /// Lowest TRL.
    pub trl_min: Option<i32>,
    /// Highest TRL.
    pub trl_max: Option<i32>,
    /// Any of these transfer modes.
    pub transfer_modes: Option<Vec<TransferMode>>,
    /// Price range overlaps from (yuan).
    pub price_min: Option<i64>,
    /// Price range overlaps up to (yuan).
    pub price_max: Option<i64>,
    /// With a price filter, keep 面议 results too.
    pub include_negotiable: Option<bool>,
    /// Statuses; default PUBLISHED (live, unexpired).
    pub statuses: Option<Vec<AchievementStatus>>,
    /// Any of these priority-track codes.
    pub tracks: Option<Vec<String>>,
    /// Changed at or after.
    pub updated_since: Option<DateTime<Utc>>,
}

impl AchievementFilterInput {
    pub(super) fn into_filter(self, sort: ListingSort) -> Result<AchievementFilter> {
        Ok(AchievementFilter {
            owner_kinds: self.owner_kinds.unwrap_or_default(),
            owner_ids: owner(self.owner_id.as_ref())?,
            industry: self.industry,
            discipline: self.discipline,
            region: self.region,
            trl_min: self.trl_min,
            trl_max: self.trl_max,
            modes: self.transfer_modes.unwrap_or_default(),
            price_min: self.price_min,
            price_max: self.price_max,
            include_negotiable: self.include_negotiable.unwrap_or(false),
            statuses: self.statuses.unwrap_or_default(),
            tracks: self.tracks.unwrap_or_default(),
            updated_since: self.updated_since,
            sort,
        })
    }
}

/// Filters for `needs`. All given filters must match.
#[derive(InputObject, Default)]
pub struct NeedFilterInput {
    /// Kinds of owning organisation.
    pub owner_kinds: Option<Vec<OrganizationKind>>,
    /// Owning organisation.
    pub owner_id: Option<ID>,
    /// GB/T 4754 code prefix.
    pub industry: Option<String>,
    /// GB/T 13745 code; sub-disciplines match too.
    pub discipline: Option<String>,
    /// GB/T 2260 code or prefix of the owner's region.
    pub region: Option<String>,
    /// Wanted minimum TRL at least.
    pub trl_min: Option<i32>,
    /// Wanted minimum TRL at most.
    pub trl_max: Option<i32>,
    /// Any of these cooperation modes.
    pub cooperation_modes: Option<Vec<TransferMode>>,
    /// Budget overlaps from (yuan).
    pub budget_min: Option<i64>,
    /// Budget overlaps up to (yuan).
    pub budget_max: Option<i64>,
    /// With a budget filter, keep 面议 needs too.
    pub include_negotiable: Option<bool>,
    /// Statuses; default OPEN and NEGOTIATING (live, unexpired).
    pub statuses: Option<Vec<NeedStatus>>,
    /// Any of these priority-track codes.
    pub tracks: Option<Vec<String>>,
    /// Changed at or after.
    pub updated_since: Option<DateTime<Utc>>,
}

impl NeedFilterInput {
    pub(super) fn into_filter(self, sort: ListingSort) -> Result<NeedFilter> {
        Ok(NeedFilter {
            owner_kinds: self.owner_kinds.unwrap_or_default(),
            owner_ids: owner(self.owner_id.as_ref())?,
            industry: self.industry,
            discipline: self.discipline,
            region: self.region,
            trl_min: self.trl_min,
            trl_max: self.trl_max,
            modes: self.cooperation_modes.unwrap_or_default(),
            price_min: self.budget_min,
            price_max: self.budget_max,
            include_negotiable: self.include_negotiable.unwrap_or(false),
            statuses: self.statuses.unwrap_or_default(),
            tracks: self.tracks.unwrap_or_default(),
            updated_since: self.updated_since,
            sort,
        })
    }
}

/// Filters for `organizations`.
#[derive(InputObject, Default)]
pub struct OrganizationFilterInput {
    /// Kinds.
    pub kinds: Option<Vec<OrganizationKind>>,
    /// GB/T 2260 code or prefix.
    pub region: Option<String>,
    /// Verified only (true) or unverified only (false).
    pub verified: Option<bool>,
    /// Name contains.
    pub name_contains: Option<String>,
}
