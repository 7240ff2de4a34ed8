//! Technology needs (技术需求) in the API: the `needs` list (its filter is in `filters.rs`),
//! and the mutations that create, change and move a need through its lifecycle.

use crate::db::listing_query::ListingSort;
use crate::graphql::errors::UserError;
use crate::graphql::ids::NodeType;
use crate::graphql::listings::ListingIdInput;
use crate::graphql::listings::filters::NeedFilterInput;
use crate::graphql::listings::{ListingObject, Step, create, list, step, update};
use crate::graphql::types::Need;
use crate::graphql::types::connection::{NeedConnection, Parts, window};
use crate::service::Services;
use crate::service::listings::inputs::{NeedInput, NeedPatch};
use crate::service::listings::needs::{NeedService, NeedView};
use async_graphql::{Context, Object, Result};
use async_graphql::{ID, InputObject, SimpleObject};

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
