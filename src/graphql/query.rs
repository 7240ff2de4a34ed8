//! The query root.

use crate::codes;
use crate::db::listing_query::ListingSort;
use crate::domain::{AchievementStatus, NeedStatus, OrganizationKind, TransferMode};
use crate::graphql::errors::ResultExt;
use crate::graphql::ids::{self, NodeType};
use crate::graphql::types::common::{CodeRef, PriorityTrack, TrlLevel};
use crate::graphql::types::connection::{
    AchievementConnection, NeedConnection, OrganizationConnection, Parts, window,
};
use crate::graphql::types::{Achievement, Need, Node, Organization};
use crate::service::filters::ListingFilter;
use crate::service::organizations::OrganizationFilter;
use crate::service::{Actor, Services};
use async_graphql::{Context, ID, InputObject, Object, Result};
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

fn owner(id: Option<&ID>) -> Result<Vec<i32>> {
    Ok(id
        .map(|id| ids::decode(id, NodeType::Organization))
        .transpose()
        .gql()?
        .into_iter()
        .collect())
}

/// Listing and code-table queries.
#[derive(Default)]
pub struct ListingQuery;

#[Object]
impl ListingQuery {
    /// Any object by global id; null when it does not exist or the viewer may not see it.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        let services = ctx.data::<Services>()?;
        let actor = ctx.data::<Actor>()?;
        let (kind, num) = ids::decode_any(&id).gql()?;
        Ok(match kind {
            NodeType::User
            | NodeType::MembershipRequest
            | NodeType::Token
            | NodeType::Pairing
            | NodeType::Notification
            | NodeType::SavedSearch => None,
            NodeType::Organization => services
                .organizations
                .get(actor, num)
                .await
                .gql()?
                .map(|o| Node::Organization(Organization(o))),
            NodeType::Achievement => services
                .achievements
                .get(actor, num)
                .await
                .gql()?
                .map(|a| Node::Achievement(Achievement(a))),
            NodeType::Need => services
                .needs
                .get(actor, num)
                .await
                .gql()?
                .map(|n| Node::Need(Need(n))),
        })
    }

    /// Research results (科技成果): live ones unless `filter.statuses` says otherwise.
    #[allow(clippy::too_many_arguments)]
    async fn achievements(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<AchievementFilterInput>,
        #[graphql(default)] sort: ListingSort,
    ) -> Result<AchievementConnection> {
        let services = ctx.data::<Services>()?;
        let actor = ctx.data::<Actor>()?;
        let f = filter.unwrap_or_default();
        let filter = ListingFilter {
            owner_kinds: f.owner_kinds.unwrap_or_default(),
            owner_ids: owner(f.owner_id.as_ref())?,
            industry: f.industry,
            discipline: f.discipline,
            region: f.region,
            trl_min: f.trl_min,
            trl_max: f.trl_max,
            modes: f.transfer_modes.unwrap_or_default(),
            price_min: f.price_min,
            price_max: f.price_max,
            include_negotiable: f.include_negotiable.unwrap_or(false),
            statuses: f.statuses.unwrap_or_default(),
            tracks: f.tracks.unwrap_or_default(),
            updated_since: f.updated_since,
            sort,
        };
        let page = services
            .achievements
            .list(actor, &filter, window(first, after, last, before)?)
            .await
            .gql()?;
        Ok(AchievementConnection::new(Parts::of_nodes(
            page,
            Achievement,
        )))
    }

    /// Technology needs (技术需求) the viewer may list: live ones unless `filter.statuses` says otherwise.
    #[allow(clippy::too_many_arguments)]
    async fn needs(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<NeedFilterInput>,
        #[graphql(default)] sort: ListingSort,
    ) -> Result<NeedConnection> {
        let services = ctx.data::<Services>()?;
        let actor = ctx.data::<Actor>()?;
        let f = filter.unwrap_or_default();
        let filter = ListingFilter {
            owner_kinds: f.owner_kinds.unwrap_or_default(),
            owner_ids: owner(f.owner_id.as_ref())?,
            industry: f.industry,
            discipline: f.discipline,
            region: f.region,
            trl_min: f.trl_min,
            trl_max: f.trl_max,
            modes: f.cooperation_modes.unwrap_or_default(),
            price_min: f.budget_min,
            price_max: f.budget_max,
            include_negotiable: f.include_negotiable.unwrap_or(false),
            statuses: f.statuses.unwrap_or_default(),
            tracks: f.tracks.unwrap_or_default(),
            updated_since: f.updated_since,
            sort,
        };
        let page = services
            .needs
            .list(actor, &filter, window(first, after, last, before)?)
            .await
            .gql()?;
        Ok(NeedConnection::new(Parts::of_nodes(page, Need)))
    }

    /// Organisations, by name.
    async fn organizations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<OrganizationFilterInput>,
    ) -> Result<OrganizationConnection> {
        let services = ctx.data::<Services>()?;
        let actor = ctx.data::<Actor>()?;
        let f = filter.unwrap_or_default();
        let filter = OrganizationFilter {
            kinds: f.kinds.unwrap_or_default(),
            region: f.region,
            verified: f.verified,
            name_contains: f.name_contains,
        };
        let page = services
            .organizations
            .list(actor, &filter, window(first, after, last, before)?)
            .await
            .gql()?;
        Ok(OrganizationConnection::new(Parts::of_nodes(
            page,
            Organization,
        )))
    }

    /// The city's priority tracks (operator-editable).
    async fn priority_tracks(&self, ctx: &Context<'_>) -> Result<Vec<PriorityTrack>> {
        let services = ctx.data::<Services>()?;
        Ok(services
            .tracks
            .list()
            .await
            .gql()?
            .into_iter()
            .map(PriorityTrack::from)
            .collect())
    }

    /// GB/T 4754-2017 industries under `parent` (门类 letters when absent).
    async fn industry_codes(&self, parent: Option<String>) -> Vec<CodeRef> {
        children(codes::industries(), parent.as_deref())
    }

    /// GB/T 13745-2009 disciplines under `parent` (一级 when absent).
    async fn discipline_codes(&self, parent: Option<String>) -> Vec<CodeRef> {
        children(codes::disciplines(), parent.as_deref())
    }

    /// GB/T 2260 divisions under `parent` (provinces when absent).
    async fn region_codes(&self, parent: Option<String>) -> Vec<CodeRef> {
        children(codes::regions(), parent.as_deref())
    }

    /// The nine technology readiness levels of GB/T 22900.
    async fn trl_levels(&self) -> Vec<TrlLevel> {
        (1..=9).map(TrlLevel::new).collect()
    }
}

fn children(table: &codes::CodeTable, parent: Option<&str>) -> Vec<CodeRef> {
    let parent = parent.map(|p| p.trim().to_ascii_uppercase());
    table
        .entries()
        .iter()
        .filter(|e| e.parent.as_deref() == parent.as_deref())
        .map(|e| CodeRef {
            code: e.code.clone(),
            name: e.name.clone(),
            parent: e.parent.clone(),
        })
        .collect()
}

/// Read access to the market.
#[derive(async_graphql::MergedObject, Default)]
pub struct QueryRoot(
    ListingQuery,
    crate::graphql::account::AccountQuery,
    crate::graphql::search::SearchQuery,
    crate::graphql::matching::MatchQuery,
    crate::graphql::pairing::PairingQuery,
    crate::graphql::notifications::NotificationQuery,
    crate::graphql::sync::SyncQuery,
    crate::graphql::import::ImportQuery,
);
