//! Research results (科技成果) in the API: the `achievements` list (its filter is in
//! `filters.rs`), and the mutations that create, change and move a result through its lifecycle.

use crate::graphql::listings::ListingIdInput;
use crate::graphql::listings::filters::AchievementFilterInput;
use crate::graphql::listings::{Step, create, step, update};
use crate::graphql::types::Achievement;
use crate::graphql::types::connection::AchievementConnection;
use crate::service::listings::achievements::AchievementService;
use crate::service::listings::inputs::{AchievementInput, AchievementPatch};
use async_graphql::{Context, Object, Result};

/// The record behind the `Achievement` object.
type Record = crate::domain::Achievement;

listing_object! {
    record: Record,
    view: Record,
    object: Achievement,
    service: achievements: AchievementService,
    field: achievement: AchievementInput,
    patch: AchievementPatch,
    create: CreateAchievementInput, "Creates a research result as a draft.",
    update: UpdateAchievementInput, "Changes a research result.", "Which result.",
    payload: AchievementPayload, "Result of an achievement mutation.",
        "The result after the change; null when nothing was written.",
    list: AchievementQuery, "The list of research results.",
        achievements: AchievementFilterInput => AchievementConnection,
        "Research results (科技成果): live ones unless `filter.statuses` says otherwise.",
}

/// Creating a research result and moving it through its lifecycle.
#[derive(Default)]
pub struct AchievementMutation;

#[Object]
impl AchievementMutation {
    /// Creates a research result as a draft.
    async fn create_achievement(
        &self,
        ctx: &Context<'_>,
        input: CreateAchievementInput,
    ) -> Result<AchievementPayload> {
        create::<Record>(ctx, &input.owner_id, &input.achievement).await
    }

    /// Changes a research result.
    async fn update_achievement(
        &self,
        ctx: &Context<'_>,
        input: UpdateAchievementInput,
    ) -> Result<AchievementPayload> {
        update::<Record>(ctx, &input.id, input.patch).await
    }

    /// Publishes a draft or withdrawn result for the configured period.
    async fn publish_achievement(
        &self,
        ctx: &Context<'_>,
        input: ListingIdInput,
    ) -> Result<AchievementPayload> {
        step::<Record>(ctx, &input.id, Step::Publish).await
    }

    /// Renews a published or expired result for another period.
    async fn renew_achievement(
        &self,
        ctx: &Context<'_>,
        input: ListingIdInput,
    ) -> Result<AchievementPayload> {
        step::<Record>(ctx, &input.id, Step::Renew).await
    }

    /// Withdraws a published result.
    async fn withdraw_achievement(
        &self,
        ctx: &Context<'_>,
        input: ListingIdInput,
    ) -> Result<AchievementPayload> {
        step::<Record>(ctx, &input.id, Step::Withdraw).await
    }

    /// Closes a result as transferred (已转化).
    async fn close_achievement(
        &self,
        ctx: &Context<'_>,
        input: ListingIdInput,
    ) -> Result<AchievementPayload> {
        step::<Record>(ctx, &input.id, Step::Close).await
    }
}
