//! The `Need` GraphQL type (技术需求).

use super::Organization;
use super::common::{CodeRef, Money, PriorityTrack, TrlLevel};
use crate::domain::{ListingSource, NeedStatus, NeedVisibility, TransferMode};
use crate::graphql::ids::{self, NodeType};
use crate::graphql::loaders::Loaders;
use crate::service::listings::needs::NeedView;
use async_graphql::{Context, Object, Result};
use chrono::{DateTime, NaiveDate, Utc};

/// A technology need that an enterprise wants solved, as the viewer may see it.
#[derive(Debug, Clone)]
pub struct Need(pub NeedView);

#[Object]
impl Need {
    /// Global id.
    pub async fn id(&self) -> ids::GlobalId {
        ids::encode(NodeType::Need, self.0.need.id)
    }

    /// Title.
    async fn title(&self) -> &str {
        &self.0.need.title
    }

    /// Problem statement.
    async fn problem(&self) -> &str {
        &self.0.need.problem
    }

    /// Technical requirements and target indicators.
    async fn requirements(&self) -> &str {
        &self.0.need.requirements
    }

    /// Confidential detail: null unless the viewer is entitled to it.
    async fn confidential_detail(&self) -> Option<&str> {
        self.0.need.confidential_detail.as_deref()
    }

    /// Keywords.
    async fn keywords(&self) -> &[String] {
        &self.0.need.keywords
    }

    /// GB/T 4754 industries.
    async fn industries(&self) -> Vec<CodeRef> {
        self.0
            .need
            .industry_codes
            .iter()
            .map(|c| CodeRef::industry(c))
            .collect()
    }

    /// GB/T 13745 discipline, if given.
    async fn discipline(&self) -> Option<CodeRef> {
        self.0
            .need
            .discipline_code
            .as_deref()
            .map(CodeRef::discipline)
    }

    /// Lowest acceptable TRL.
    async fn min_trl(&self) -> Option<TrlLevel> {
        self.0.need.min_trl.map(TrlLevel::new)
    }

    /// Wanted cooperation modes.
    async fn cooperation_modes(&self) -> &[TransferMode] {
        &self.0.need.cooperation_modes
    }

    /// Budget.
    async fn budget(&self) -> Money {
        self.0.need.budget.into()
    }

    /// Wanted by.
    async fn deadline(&self) -> Option<NaiveDate> {
        self.0.need.deadline
    }

    /// Who may see it.
    async fn visibility(&self) -> NeedVisibility {
        self.0.need.visibility
    }

    /// Priority tracks.
    async fn priority_tracks(&self, ctx: &Context<'_>) -> Result<Vec<PriorityTrack>> {
        let loaders = ctx.data::<Loaders>()?;
        let codes = &self.0.need.priority_tracks;
        let found = loaders.tracks.load_many(codes.iter().cloned()).await?;
        Ok(codes
            .iter()
            .filter_map(|c| found.get(c).cloned())
            .map(PriorityTrack::from)
            .collect())
    }

    /// Lifecycle status.
    async fn status(&self) -> NeedStatus {
        self.0.need.status
    }

    /// First published.
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.need.published_at
    }

    /// Leaves default queries after this unless renewed.
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.need.expires_at
    }

    /// Why an operator unpublished it; shown to its owner and operators only.
    async fn moderation_note(&self) -> Option<&str> {
        self.0.need.moderation_note.as_deref()
    }

    /// Where it came from.
    async fn source(&self) -> ListingSource {
        self.0.need.source
    }

    /// Every market record behind this listing (one result, one listing: a record from a
    /// second market, or one entered here by hand, is linked rather than listed twice).
    async fn sources(
        &self,
        ctx: &async_graphql::Context<'_>,
    ) -> async_graphql::Result<Vec<crate::graphql::sync::ListingSourceRef>> {
        // A market record names its firm: hidden with the owner of an anonymous need.
        if !self.0.owner_visible {
            return Ok(Vec::new());
        }
        let kind = crate::db::outbox::ListingKind::Need;
        crate::graphql::loaders::sources_of(ctx, kind, self.0.need.id).await
    }

    /// Created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.need.created_at
    }

    /// Last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.need.updated_at
    }

    /// The owning organisation; null when the need is anonymous and the viewer not entitled.
    async fn owner(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        if !self.0.owner_visible {
            return Ok(None);
        }
        let loaders = ctx.data::<Loaders>()?;
        Ok(loaders
            .organizations
            .load_one(self.0.need.owner_id)
            .await?
            .map(Organization))
    }
}
