//! The `Achievement` GraphQL type (科技成果).

use super::Organization;
use super::common::{CodeRef, IpRecord, Money, PriorityTrack, TrlLevel};
use crate::domain::{self, AchievementStatus, ListingSource, MaturityStage, TransferMode};
use crate::graphql::ids::{self, NodeType};
use crate::graphql::loaders::Loaders;
use async_graphql::{Context, Object, Result};
use chrono::{DateTime, Utc};

/// A research result that a university or institute offers for transfer.
#[derive(Debug, Clone)]
pub struct Achievement(pub domain::Achievement);

#[Object]
impl Achievement {
    /// Global id.
    pub async fn id(&self) -> ids::GlobalId {
        ids::encode(NodeType::Achievement, self.0.id)
    }

    /// Title.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// Public summary.
    async fn summary(&self) -> &str {
        &self.0.summary
    }

    /// Confidential detail: null unless the viewer is entitled to it.
    async fn confidential_detail(&self) -> Option<&str> {
        self.0.confidential_detail.as_deref()
    }

    /// Keywords.
    async fn keywords(&self) -> &[String] {
        &self.0.keywords
    }

    /// 应用领域.
    async fn application_fields(&self) -> &str {
        &self.0.application_fields
    }

    /// 技术优势.
    async fn advantages(&self) -> &str {
        &self.0.advantages
    }

    /// Requirements on the receiving firm.
    async fn requirements(&self) -> &str {
        &self.0.requirements
    }

    /// GB/T 13745 discipline.
    async fn discipline(&self) -> CodeRef {
        CodeRef::discipline(&self.0.discipline_code)
    }

    /// GB/T 4754 industries.
    async fn industries(&self) -> Vec<CodeRef> {
        self.0
            .industry_codes
            .iter()
            .map(|c| CodeRef::industry(c))
            .collect()
    }

    /// Technology readiness level.
    async fn trl(&self) -> TrlLevel {
        TrlLevel::new(self.0.trl)
    }

    /// Everyday maturity stage.
    async fn maturity(&self) -> MaturityStage {
        self.0.maturity
    }

    /// IP records.
    async fn ip_records(&self) -> Vec<IpRecord> {
        self.0.ip_records.iter().map(IpRecord::from).collect()
    }

    /// Offered transfer modes.
    async fn transfer_modes(&self) -> &[TransferMode] {
        &self.0.transfer_modes
    }

    /// Indicative price.
    async fn price(&self) -> Money {
        self.0.price.into()
    }

    /// Lead researcher.
    async fn team_lead(&self) -> &str {
        &self.0.team_lead
    }

    /// Inventors.
    async fn inventors(&self) -> &[String] {
        &self.0.inventors
    }

    /// 科技成果登记号.
    async fn registration_number(&self) -> Option<&str> {
        self.0.registration_number.as_deref()
    }

    /// Priority tracks.
    async fn priority_tracks(&self, ctx: &Context<'_>) -> Result<Vec<PriorityTrack>> {
        let loaders = ctx.data::<Loaders>()?;
        let found = loaders
            .tracks
            .load_many(self.0.priority_tracks.iter().cloned())
            .await?;
        Ok(self
            .0
            .priority_tracks
            .iter()
            .filter_map(|c| found.get(c).cloned())
            .map(PriorityTrack::from)
            .collect())
    }

    /// Lifecycle status (expired listings report EXPIRED even before the sweeper stores it).
    async fn status(&self) -> AchievementStatus {
        self.0.status
    }

    /// First published.
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at
    }

    /// Leaves default queries after this unless renewed.
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }

    /// Why an operator unpublished it; shown to its owner and operators only.
    async fn moderation_note(&self) -> Option<&str> {
        self.0.moderation_note.as_deref()
    }

    /// Where it came from.
    async fn source(&self) -> ListingSource {
        self.0.source
    }

    /// Every market record behind this listing (one result, one listing: a record from a
    /// second market, or one entered here by hand, is linked rather than listed twice).
    async fn sources(
        &self,
        ctx: &async_graphql::Context<'_>,
    ) -> async_graphql::Result<Vec<crate::graphql::sync::ListingSourceRef>> {
        let kind = crate::db::outbox::ListingKind::Achievement;
        crate::graphql::loaders::sources_of(ctx, kind, self.0.id).await
    }

    /// Created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// The owning organisation (batched).
    async fn owner(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        let loaders = ctx.data::<Loaders>()?;
        Ok(loaders
            .organizations
            .load_one(self.0.owner_id)
            .await?
            .map(Organization))
    }
}
