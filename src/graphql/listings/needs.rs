//! Technology needs (技术需求) in the API: the `needs` list (its filter is in `filters.rs`),
//! and the mutations that create, change and move a need through its lifecycle.

use crate::graphql::listings::ListingIdInput;
use crate::graphql::listings::filters::NeedFilterInput;
use crate::graphql::listings::{Step, create, step, update};
use crate::graphql::types::Need;
use crate::graphql::types::connection::NeedConnection;
use crate::service::listings::inputs::{NeedInput, NeedPatch};
use crate::service::listings::needs::{NeedService, NeedView};
use async_graphql::{Context, Object, Result};

/// The record behind the `Need` object.
type Record = crate::domain::Need;

listing_object! {
    record: Record,
    view: NeedView,
    object: Need,
    service: needs: NeedService,
    field: need: NeedInput,
    patch: NeedPatch,
    create: CreateNeedInput, "Creates a need as a draft.",
    update: UpdateNeedInput, "Changes a need.", "Which need.",
    payload: NeedPayload, "Result of a need mutation.",
        "The need after the change; null when nothing was written.",
    list: NeedQuery, "The list of technology needs.",
        needs: NeedFilterInput => NeedConnection,
        "Technology needs (技术需求) the viewer may list: live ones unless `filter.statuses` says otherwise.",
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
