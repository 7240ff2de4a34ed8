//! Technology needs (技术需求) in the API: the `needs` list with its filter, and the mutations
//! that create, change and move a need through its lifecycle.

use crate::db::listing_query::ListingSort;
use crate::domain::{NeedStatus, OrganizationKind, TransferMode};
use crate::graphql::errors::UserError;
use crate::graphql::ids::NodeType;
use crate::graphql::listings::{
    ListingIdInput, ListingObject, Step, create, list, owner, step, update,
};
use crate::graphql::types::Need;
use crate::graphql::types::connection::{NeedConnection, Parts, window};
use crate::service::Services;
use crate::service::inputs::{NeedInput, NeedPatch};
use crate::service::needs::{NeedFilter, NeedService, NeedView};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

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
    fn into_filter(self, sort: ListingSort) -> Result<NeedFilter> {
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

/// Creates a need as a draft.
#[derive(InputObject)]
pub struct CreateNeedInput {
    /// Owning organisation.
    pub owner_id: ID,
    /// Its fields.
    pub need: NeedInput,
}

/// Changes a need.
#[derive(InputObject)]
pub struct UpdateNeedInput {
    /// Which need.
    pub id: ID,
    /// Fields to change.
    pub patch: NeedPatch,
}

/// Result of a need mutation.
#[derive(SimpleObject)]
pub struct NeedPayload {
    /// The need after the change; null when nothing was written.
    pub need: Option<Need>,
    /// What was wrong with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The record behind the `Need` object.
type Record = crate::domain::Need;

impl ListingObject for Record {
    type Object = Need;
    type Payload = NeedPayload;
    const NODE_TYPE: NodeType = NodeType::Need;

    fn service(services: &Services) -> &NeedService {
        &services.needs
    }

    fn object(view: NeedView) -> Need {
        Need(view)
    }

    fn payload(need: Option<Need>, user_errors: Vec<UserError>) -> NeedPayload {
        NeedPayload { need, user_errors }
    }
}

/// The list of technology needs.
#[derive(Default)]
pub struct NeedQuery;

#[Object]
impl NeedQuery {
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
        let filter = filter.unwrap_or_default().into_filter(sort)?;
        let page = list::<Record>(ctx, &filter, window(first, after, last, before)?).await?;
        Ok(NeedConnection::new(Parts::of_nodes(page, Need)))
    }
}

/// Creating a need and moving it through its lifecycle.
#[derive(Default)]
pub struct NeedMutation;

#[Object]
impl NeedMutation {
    /// Creates a need as a draft.
    async fn create_need(&self, ctx: &Context<'_>, input: CreateNeedInput) -> Result<NeedPayload> {
        create::<Record>(ctx, &input.owner_id, &input.need).await
    }

    /// Changes a need.
    async fn update_need(&self, ctx: &Context<'_>, input: UpdateNeedInput) -> Result<NeedPayload> {
        update::<Record>(ctx, &input.id, input.patch).await
    }

    /// Publishes a draft or withdrawn need (status OPEN) for the configured period.
    async fn publish_need(&self, ctx: &Context<'_>, input: ListingIdInput) -> Result<NeedPayload> {
        step::<Record>(ctx, &input.id, Step::Publish).await
    }

    /// Renews a live or expired need for another period.
    async fn renew_need(&self, ctx: &Context<'_>, input: ListingIdInput) -> Result<NeedPayload> {
        step::<Record>(ctx, &input.id, Step::Renew).await
    }

    /// Withdraws a live need.
    async fn withdraw_need(&self, ctx: &Context<'_>, input: ListingIdInput) -> Result<NeedPayload> {
        step::<Record>(ctx, &input.id, Step::Withdraw).await
    }

    /// Closes a need (已结束).
    async fn close_need(&self, ctx: &Context<'_>, input: ListingIdInput) -> Result<NeedPayload> {
        step::<Record>(ctx, &input.id, Step::Close).await
    }
}
