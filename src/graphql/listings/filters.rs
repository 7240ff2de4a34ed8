//! The filters of the three lists (`achievements`, `needs`, `organizations`) as GraphQL
//! inputs, and their conversion into the services' filters. The two listing filters name the
//! same filters in each kind's words (transfer modes and price, cooperation modes and budget).

use crate::db::listing_query::ListingSort;
use crate::domain::{AchievementStatus, NeedStatus, OrganizationKind, TransferMode};
use crate::graphql::listings::owner;
use crate::service::listings::achievements::AchievementFilter;
use crate::service::listings::filters::ListingFilter;
use crate::service::listings::needs::NeedFilter;
use async_graphql::{ID, InputObject, Result};
use chrono::{DateTime, Utc};

/// Declares one listing kind's filter input and its conversion: the shared filters, and the
/// kind's words for the transfer modes, the price range and the statuses.
macro_rules! listing_filter_input {
    (
        $(#[$doc:meta])*
        $name:ident => $filter:ty,
        industry: $industry_doc:literal,
        region: $region_doc:literal,
        trl: $trl_min_doc:literal, $trl_max_doc:literal,
        modes: $modes:ident, $modes_doc:literal,
        range: $min:ident, $min_doc:literal, $max:ident, $max_doc:literal,
        negotiable: $negotiable_doc:literal,
        statuses: $status:ty, $statuses_doc:literal $(,)?
    ) => {
        $(#[$doc])*
        #[derive(InputObject, Default)]
        pub struct $name {
            /// Kinds of owning organisation.
            pub owner_kinds: Option<Vec<OrganizationKind>>,
            /// Owning organisation.
            pub owner_id: Option<ID>,
            #[doc = $industry_doc]
            pub industry: Option<String>,
            /// GB/T 13745 code; sub-disciplines match too.
            pub discipline: Option<String>,
            #[doc = $region_doc]
            pub region: Option<String>,
            #[doc = $trl_min_doc]
            pub trl_min: Option<i32>,
            #[doc = $trl_max_doc]
            pub trl_max: Option<i32>,
            #[doc = $modes_doc]
            pub $modes: Option<Vec<TransferMode>>,
            #[doc = $min_doc]
            pub $min: Option<i64>,
            #[doc = $max_doc]
            pub $max: Option<i64>,
            #[doc = $negotiable_doc]
            pub include_negotiable: Option<bool>,
            #[doc = $statuses_doc]
            pub statuses: Option<Vec<$status>>,
            /// Any of these priority-track codes.
            pub tracks: Option<Vec<String>>,
            /// Changed at or after.
            pub updated_since: Option<DateTime<Utc>>,
        }

        impl $name {
            pub(super) fn into_filter(
                self,
                ctx: &async_graphql::Context<'_>,
                sort: ListingSort,
            ) -> Result<$filter> {
                Ok(ListingFilter {
                    owner_kinds: self.owner_kinds.unwrap_or_default(),
                    owner_ids: owner(ctx, self.owner_id.as_ref())?,
                    industry: self.industry,
                    discipline: self.discipline,
                    region: self.region,
                    trl_min: self.trl_min,
                    trl_max: self.trl_max,
                    modes: self.$modes.unwrap_or_default(),
                    price_min: self.$min,
                    price_max: self.$max,
                    include_negotiable: self.include_negotiable.unwrap_or(false),
                    statuses: self.statuses.unwrap_or_default(),
                    tracks: self.tracks.unwrap_or_default(),
                    updated_since: self.updated_since,
                    sort,
                })
            }
        }
    };
}

listing_filter_input! {
    /// Filters for `achievements`. All given filters must match.
    AchievementFilterInput => AchievementFilter,
    industry: "GB/T 4754 code prefix: `C`, `C38`, `C384`.",
    region: "GB/T 2260 code or prefix of the owner's region: `370200` or `3702` (青岛市).",
    trl: "Lowest TRL.", "Highest TRL.",
    modes: transfer_modes, "Any of these transfer modes.",
    range: price_min, "Price range overlaps from (yuan).",
        price_max, "Price range overlaps up to (yuan).",
    negotiable: "With a price filter, keep 面议 results too.",
    statuses: AchievementStatus, "Statuses; default PUBLISHED (live, unexpired).",
}

listing_filter_input! {
    /// Filters for `needs`. All given filters must match.
    NeedFilterInput => NeedFilter,
    industry: "GB/T 4754 code prefix.",
    region: "GB/T 2260 code or prefix of the owner's region.",
    trl: "Wanted minimum TRL at least.", "Wanted minimum TRL at most.",
    modes: cooperation_modes, "Any of these cooperation modes.",
    range: budget_min, "Budget overlaps from (yuan).",
        budget_max, "Budget overlaps up to (yuan).",
    negotiable: "With a budget filter, keep 面议 needs too.",
    statuses: NeedStatus, "Statuses; default OPEN and NEGOTIATING (live, unexpired).",
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
