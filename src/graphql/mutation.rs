//! The mutation root: verb + type, `input` → payload `{ <object>, userErrors }`.
//!
//! Input and business-rule problems come back as `userErrors` with nothing written; access and
//! internal failures are top-level errors with `extensions.code`.

use crate::error::ServiceResult;
use crate::graphql::errors::{UserError, split};
use crate::graphql::ids::{self, NodeType};
use crate::graphql::types::{Achievement, Need, Organization};
use crate::service::inputs::{
    AchievementInput, AchievementPatch, NeedInput, NeedPatch, OrganizationInput, OrganizationPatch,
};
use crate::service::{Actor, Services};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use std::future::Future;

/// Registers an organisation.
#[derive(InputObject)]
pub struct CreateOrganizationInput {
    /// Its fields.
    pub organization: OrganizationInput,
}

/// Changes an organisation's profile.
#[derive(InputObject)]
pub struct UpdateOrganizationInput {
    /// Which organisation.
    pub id: ID,
    /// Fields to change.
    pub patch: OrganizationPatch,
}

/// Verifies an organisation (operators).
#[derive(InputObject)]
pub struct VerifyOrganizationInput {
    /// Which organisation.
    pub id: ID,
    /// Verified or not.
    #[graphql(default = true)]
    pub verified: bool,
}

/// Creates a research result as a draft.
#[derive(InputObject)]
pub struct CreateAchievementInput {
    /// Owning organisation.
    pub owner_id: ID,
    /// Its fields.
    pub achievement: AchievementInput,
}

/// Changes a research result.
#[derive(InputObject)]
pub struct UpdateAchievementInput {
    /// Which result.
    pub id: ID,
    /// Fields to change.
    pub patch: AchievementPatch,
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

/// Names the listing a lifecycle mutation acts on.
#[derive(InputObject)]
pub struct ListingIdInput {
    /// Global id of the achievement or need.
    pub id: ID,
}

/// Result of an organisation mutation.
#[derive(SimpleObject)]
pub struct OrganizationPayload {
    /// The organisation after the change; null when nothing was written.
    pub organization: Option<Organization>,
    /// What was wrong with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// Result of an achievement mutation.
#[derive(SimpleObject)]
pub struct AchievementPayload {
    /// The result after the change; null when nothing was written.
    pub achievement: Option<Achievement>,
    /// What was wrong with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// Result of a need mutation.
#[derive(SimpleObject)]
pub struct NeedPayload {
    /// The need after the change; null when nothing was written.
    pub need: Option<Need>,
    /// What was wrong with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// Decodes a global id of `kind` and runs `call` with the row id; a bad id is a user error.
pub(crate) async fn on<T, F, Fut>(id: &ID, kind: NodeType, call: F) -> ServiceResult<T>
where
    F: FnOnce(i32) -> Fut,
    Fut: Future<Output = ServiceResult<T>>,
{
    call(ids::decode(id, kind)?).await
}

fn services_actor<'a>(ctx: &'a Context<'_>) -> Result<(&'a Services, &'a Actor)> {
    Ok((ctx.data::<Services>()?, ctx.data::<Actor>()?))
}

fn org_payload(r: ServiceResult<crate::domain::Organization>) -> Result<OrganizationPayload> {
    let (organization, user_errors) = split(r)?;
    Ok(OrganizationPayload {
        organization: organization.map(Organization),
        user_errors,
    })
}

pub(crate) fn achievement_payload(
    r: ServiceResult<crate::domain::Achievement>,
) -> Result<AchievementPayload> {
    let (achievement, user_errors) = split(r)?;
    Ok(AchievementPayload {
        achievement: achievement.map(Achievement),
        user_errors,
    })
}

pub(crate) fn need_payload(
    r: ServiceResult<crate::service::needs::NeedView>,
) -> Result<NeedPayload> {
    let (need, user_errors) = split(r)?;
    Ok(NeedPayload {
        need: need.map(Need),
        user_errors,
    })
}

/// Listing and organisation mutations.
#[derive(Default)]
pub struct ListingMutation;

#[Object]
impl ListingMutation {
    /// Registers an organisation (unverified until an operator verifies it).
    async fn create_organization(
        &self,
        ctx: &Context<'_>,
        input: CreateOrganizationInput,
    ) -> Result<OrganizationPayload> {
        let (s, actor) = services_actor(ctx)?;
        org_payload(s.organizations.create(actor, &input.organization).await)
    }

    /// Changes an organisation's profile.
    async fn update_organization(
        &self,
        ctx: &Context<'_>,
        input: UpdateOrganizationInput,
    ) -> Result<OrganizationPayload> {
        let (s, actor) = services_actor(ctx)?;
        org_payload(
            on(&input.id, NodeType::Organization, |id| {
                s.organizations.update(actor, id, input.patch)
            })
            .await,
        )
    }

    /// Verifies an organisation; platform operators only.
    async fn verify_organization(
        &self,
        ctx: &Context<'_>,
        input: VerifyOrganizationInput,
    ) -> Result<OrganizationPayload> {
        let (s, actor) = services_actor(ctx)?;
        org_payload(
            on(&input.id, NodeType::Organization, |id| {
                s.organizations.set_verified(actor, id, input.verified)
            })
            .await,
        )
    }

    /// Creates a research result as a draft.
    async fn create_achievement(
        &self,
        ctx: &Context<'_>,
        input: CreateAchievementInput,
    ) -> Result<AchievementPayload> {
        let (s, actor) = services_actor(ctx)?;
        achievement_payload(
            on(&input.owner_id, NodeType::Organization, |id| {
                s.achievements.create(actor, id, &input.achievement)
            })
            .await,
        )
    }

    /// Changes a research result.
    async fn update_achievement(
        &self,
        ctx: &Context<'_>,
        input: UpdateAchievementInput,
    ) -> Result<AchievementPayload> {
        let (s, actor) = services_actor(ctx)?;
        achievement_payload(
            on(&input.id, NodeType::Achievement, |id| {
                s.achievements.update(actor, id, input.patch)
            })
            .await,
        )
    }

    /// Publishes a draft or withdrawn result for the configured period.
    async fn publish_achievement(
        &self,
        ctx: &Context<'_>,
        input: ListingIdInput,
    ) -> Result<AchievementPayload> {
        let (s, actor) = services_actor(ctx)?;
        achievement_payload(
            on(&input.id, NodeType::Achievement, |id| {
                s.achievements.publish(actor, id)
            })
            .await,
        )
    }

    /// Renews a published or expired result for another period.
    async fn renew_achievement(
        &self,
        ctx: &Context<'_>,
        input: ListingIdInput,
    ) -> Result<AchievementPayload> {
        let (s, actor) = services_actor(ctx)?;
        achievement_payload(
            on(&input.id, NodeType::Achievement, |id| {
                s.achievements.renew(actor, id)
            })
            .await,
        )
    }

    /// Withdraws a published result.
    async fn withdraw_achievement(
        &self,
        ctx: &Context<'_>,
        input: ListingIdInput,
    ) -> Result<AchievementPayload> {
        let (s, actor) = services_actor(ctx)?;
        achievement_payload(
            on(&input.id, NodeType::Achievement, |id| {
                s.achievements.withdraw(actor, id)
            })
            .await,
        )
    }

    /// Closes a result as transferred (已转化).
    async fn close_achievement(
        &self,
        ctx: &Context<'_>,
        input: ListingIdInput,
    ) -> Result<AchievementPayload> {
        let (s, actor) = services_actor(ctx)?;
        achievement_payload(
            on(&input.id, NodeType::Achievement, |id| {
                s.achievements.close(actor, id)
            })
            .await,
        )
    }

    /// Creates a need as a draft.
    async fn create_need(&self, ctx: &Context<'_>, input: CreateNeedInput) -> Result<NeedPayload> {
        let (s, actor) = services_actor(ctx)?;
        need_payload(
            on(&input.owner_id, NodeType::Organization, |id| {
                s.needs.create(actor, id, &input.need)
            })
            .await,
        )
    }

    /// Changes a need.
    async fn update_need(&self, ctx: &Context<'_>, input: UpdateNeedInput) -> Result<NeedPayload> {
        let (s, actor) = services_actor(ctx)?;
        need_payload(
            on(&input.id, NodeType::Need, |id| {
                s.needs.update(actor, id, input.patch)
            })
            .await,
        )
    }

    /// Publishes a draft or withdrawn need (status OPEN) for the configured period.
    async fn publish_need(&self, ctx: &Context<'_>, input: ListingIdInput) -> Result<NeedPayload> {
        let (s, actor) = services_actor(ctx)?;
        need_payload(on(&input.id, NodeType::Need, |id| s.needs.publish(actor, id)).await)
    }

    /// Renews a live or expired need for another period.
    async fn renew_need(&self, ctx: &Context<'_>, input: ListingIdInput) -> Result<NeedPayload> {
        let (s, actor) = services_actor(ctx)?;
        need_payload(on(&input.id, NodeType::Need, |id| s.needs.renew(actor, id)).await)
    }

    /// Withdraws a live need.
    async fn withdraw_need(&self, ctx: &Context<'_>, input: ListingIdInput) -> Result<NeedPayload> {
        let (s, actor) = services_actor(ctx)?;
        need_payload(on(&input.id, NodeType::Need, |id| s.needs.withdraw(actor, id)).await)
    }

    /// Closes a need (已结束).
    async fn close_need(&self, ctx: &Context<'_>, input: ListingIdInput) -> Result<NeedPayload> {
        let (s, actor) = services_actor(ctx)?;
        need_payload(on(&input.id, NodeType::Need, |id| s.needs.close(actor, id)).await)
    }
}

/// Write access to the market.
#[derive(async_graphql::MergedObject, Default)]
pub struct MutationRoot(
    ListingMutation,
    crate::graphql::account::AccountMutation,
    crate::graphql::matching::MatchMutation,
    crate::graphql::pairing::PairingMutation,
    crate::graphql::notifications::NotificationMutation,
    crate::graphql::sync::SyncMutation,
    crate::graphql::import::ImportMutation,
);
