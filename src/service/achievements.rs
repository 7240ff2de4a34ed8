//! Use cases for research results (科技成果): create, change, publish, renew, withdraw, close,
//! read and list, each in one transaction that also writes the listing outbox.

use crate::db::listing_query::StatusClause;
use crate::db::outbox::{self, ListingChange, ListingKind};
use crate::db::{achievements as repo, organizations as org_repo, tracks as track_repo};
use crate::domain::{Achievement, AchievementStatus, ListingSource};
use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::service::filters::ListingFilter;
use crate::service::inputs::{AchievementContent, AchievementInput, AchievementPatch};
use crate::service::{Actor, Context, Page, Window, policy};
use chrono::Duration;
use sea_orm::{DatabaseTransaction, TransactionTrait};
use std::sync::Arc;

use AchievementStatus::*;

/// Filter for achievement lists.
pub type AchievementFilter = ListingFilter<AchievementStatus>;

/// Research-result use cases.
#[derive(Debug, Clone)]
pub struct AchievementService {
    ctx: Arc<Context>,
}

impl AchievementService {
    pub(crate) fn new(ctx: Arc<Context>) -> Self {
        Self { ctx }
    }

    /// Creates a draft owned by `owner_id`.
    pub async fn create(
        &self,
        actor: &Actor,
        owner_id: i32,
        input: &AchievementInput,
    ) -> ServiceResult<Achievement> {
        self.create_from(actor, owner_id, input, ListingSource::Local, None)
            .await
    }

    /// Creates a draft that came from `source` under `external_id` (seeding, imports).
    pub async fn create_from(
        &self,
        actor: &Actor,
        owner_id: i32,
        input: &AchievementInput,
        source: ListingSource,
        external_id: Option<String>,
    ) -> ServiceResult<Achievement> {
        policy::may_edit_listing(actor, owner_id)?;
        let txn = self.ctx.db.conn.begin().await?;
        if org_repo::find(&txn, owner_id).await?.is_none() {
            return Err(ServiceError::not_found("机构"));
        }
        let content = validate(&txn, input).await?;
        let now = self.ctx.clock.now();
        let draft = Achievement {
            id: 0,
            owner_id,
            status: Draft,
            published_at: None,
            expires_at: None,
            source,
            external_id,
            created_at: now,
            updated_at: now,
            ..from_content(content)
        };
        let saved = repo::save(&txn, &draft).await?;
        outbox::enqueue(
            &txn,
            ListingKind::Achievement,
            saved.id,
            ListingChange::Upsert,
            now,
        )
        .await?;
        txn.commit().await?;
        tracing::info!(achievement_id = saved.id, owner_id, "achievement created");
        Ok(self.view(actor, saved))
    }

    /// Applies `patch`; lifecycle status is unchanged.
    pub async fn update(
        &self,
        actor: &Actor,
        id: i32,
        patch: AchievementPatch,
    ) -> ServiceResult<Achievement> {
        let txn = self.ctx.db.conn.begin().await?;
        let current = self.load_for_edit(&txn, actor, id).await?;
        if current.status == Transferred {
            return Err(ServiceError::coded(
                ErrorCode::InvalidStateTransition,
                "已转化的成果不能再修改",
            ));
        }
        let content = validate(&txn, &patch.apply(&current)).await?;
        let now = self.ctx.clock.now();
        let next = Achievement {
            id,
            owner_id: current.owner_id,
            status: current.status,
            published_at: current.published_at,
            expires_at: current.expires_at,
            source: current.source,
            external_id: current.external_id.clone(),
            created_at: current.created_at,
            updated_at: now,
            ..from_content(content)
        };
        let saved = repo::save(&txn, &next).await?;
        outbox::enqueue(
            &txn,
            ListingKind::Achievement,
            id,
            ListingChange::Upsert,
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(self.view(actor, saved))
    }

    /// DRAFT or WITHDRAWN → PUBLISHED, live for the configured period. The owner must be verified.
    pub async fn publish(&self, actor: &Actor, id: i32) -> ServiceResult<Achievement> {
        self.transition(
            actor,
            id,
            &[Draft, Withdrawn],
            "发布",
            true,
            |a, now, ttl| {
                a.status = Published;
                a.published_at.get_or_insert(now);
                a.expires_at = Some(now + ttl);
            },
        )
        .await
    }

    /// PUBLISHED or EXPIRED → PUBLISHED with a fresh expiry.
    pub async fn renew(&self, actor: &Actor, id: i32) -> ServiceResult<Achievement> {
        self.transition(
            actor,
            id,
            &[Published, Expired],
            "续期",
            true,
            |a, now, ttl| {
                a.status = Published;
                a.expires_at = Some(now + ttl);
            },
        )
        .await
    }

    /// PUBLISHED or EXPIRED → WITHDRAWN.
    pub async fn withdraw(&self, actor: &Actor, id: i32) -> ServiceResult<Achievement> {
        self.transition(
            actor,
            id,
            &[Published, Expired],
            "撤回",
            false,
            |a, _, _| {
                a.status = Withdrawn;
            },
        )
        .await
    }

    /// PUBLISHED, EXPIRED or WITHDRAWN → TRANSFERRED (已转化): closed for good.
    pub async fn close(&self, actor: &Actor, id: i32) -> ServiceResult<Achievement> {
        self.transition(
            actor,
            id,
            &[Published, Expired, Withdrawn],
            "标记为已转化",
            false,
            |a, _, _| {
                a.status = Transferred;
                a.expires_at = None;
            },
        )
        .await
    }

    async fn transition(
        &self,
        actor: &Actor,
        id: i32,
        from: &[AchievementStatus],
        verb: &str,
        needs_verified_owner: bool,
        apply: impl FnOnce(&mut Achievement, chrono::DateTime<chrono::Utc>, Duration),
    ) -> ServiceResult<Achievement> {
        let txn = self.ctx.db.conn.begin().await?;
        let mut a = self.load_for_edit(&txn, actor, id).await?;
        let now = self.ctx.clock.now();
        let status = a.effective_status(now);
        if !from.contains(&status) {
            return Err(ServiceError::coded(
                ErrorCode::InvalidStateTransition,
                format!("当前状态为“{}”，不能{verb}", status.label_zh()),
            ));
        }
        if needs_verified_owner {
            self.ctx
                .ensure_owner_verified(&txn, a.owner_id, verb)
                .await?;
        }
        apply(
            &mut a,
            now,
            Duration::days(self.ctx.settings.listing_ttl_days),
        );
        a.updated_at = now;
        let saved = repo::save_row(&txn, &a).await?;
        outbox::enqueue(
            &txn,
            ListingKind::Achievement,
            id,
            ListingChange::Upsert,
            now,
        )
        .await?;
        txn.commit().await?;
        tracing::info!(achievement_id = id, status = %saved.status, "achievement status changed");
        Ok(self.view(actor, saved))
    }

    async fn load_for_edit(
        &self,
        txn: &DatabaseTransaction,
        actor: &Actor,
        id: i32,
    ) -> ServiceResult<Achievement> {
        let a = repo::find(txn, id)
            .await?
            .ok_or_else(|| ServiceError::not_found("科技成果"))?;
        policy::may_edit_listing(actor, a.owner_id)?;
        Ok(a)
    }

    /// One result, if `actor` may see it.
    pub async fn get(&self, actor: &Actor, id: i32) -> ServiceResult<Option<Achievement>> {
        let found = repo::find(&self.ctx.db.conn, id).await?;
        Ok(found
            .filter(|a| self.may_see(actor, a))
            .map(|a| self.view(actor, a)))
    }

    /// The result with this external id at `source`, for idempotent seeding and imports.
    pub async fn find_external(
        &self,
        actor: &Actor,
        source: ListingSource,
        external_id: &str,
    ) -> ServiceResult<Option<Achievement>> {
        let found = repo::find_external(&self.ctx.db.conn, source, external_id).await?;
        Ok(found
            .filter(|a| self.may_see(actor, a))
            .map(|a| self.view(actor, a)))
    }

    /// A page of results matching `filter`.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: &AchievementFilter,
        window: Window,
    ) -> ServiceResult<Page<Achievement>> {
        let now = self.ctx.clock.now();
        let mut query = filter.to_query(now).map_err(ServiceError::Invalid)?;
        let wanted: Vec<AchievementStatus> = if filter.statuses.is_empty() {
            vec![Published]
        } else {
            filter.statuses.clone()
        };
        query.statuses = wanted
            .into_iter()
            .filter(|s| may_see_status(actor, *s))
            .map(status_clause)
            .collect();
        if query.statuses.is_empty() {
            return Ok(Window::page(Vec::new(), 0, 0));
        }
        let db = &self.ctx.db.conn;
        let total = repo::count(db, &query).await?;
        let page = self
            .ctx
            .paged(window, total, |offset, limit| {
                repo::page(db, &query, offset, limit)
            })
            .await?;
        Ok(page.map(|a| self.view(actor, a)))
    }

    /// Live results of each owner, newest first, at most `per_owner` each (for DataLoaders).
    pub async fn live_by_owners(
        &self,
        actor: &Actor,
        owner_ids: &[i32],
        per_owner: usize,
    ) -> ServiceResult<Vec<Achievement>> {
        let filter = AchievementFilter {
            owner_ids: owner_ids.to_vec(),
            ..Default::default()
        };
        let mut query = filter
            .to_query(self.ctx.clock.now())
            .map_err(ServiceError::Invalid)?;
        query.statuses = vec![status_clause(Published)];
        let rows = repo::newest_per_owner(&self.ctx.db.conn, &query, per_owner as u64).await?;
        Ok(rows.into_iter().map(|a| self.view(actor, a)).collect())
    }

    fn may_see(&self, actor: &Actor, a: &Achievement) -> bool {
        may_see_status(actor, a.effective_status(self.ctx.clock.now()))
            || policy::may_see_unpublished(actor, a.owner_id)
    }

    /// Redacts what `actor` may not read and reports the effective status.
    fn view(&self, actor: &Actor, mut a: Achievement) -> Achievement {
        if !policy::may_see_confidential(actor, a.owner_id) {
            a.confidential_detail = None;
        }
        a.status = a.effective_status(self.ctx.clock.now());
        a
    }
}

fn may_see_status(actor: &Actor, status: AchievementStatus) -> bool {
    matches!(status, Published | Expired | Transferred) || matches!(actor, Actor::System)
}

fn status_clause(status: AchievementStatus) -> StatusClause {
    match status {
        Published => StatusClause::LiveUnexpired(Published.as_str()),
        Expired => StatusClause::ExpiredOrOverdue(vec![Published.as_str()]),
        other => StatusClause::Is(other.as_str()),
    }
}

async fn validate(
    txn: &DatabaseTransaction,
    input: &AchievementInput,
) -> ServiceResult<AchievementContent> {
    let tracks = track_repo::all(txn).await?;
    let known = |code: &str| tracks.iter().any(|t| t.code == code && t.active);
    input.validate(&known).map_err(ServiceError::Invalid)
}

fn from_content(c: AchievementContent) -> Achievement {
    let epoch = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
    Achievement {
        id: 0,
        owner_id: 0,
        title: c.title,
        summary: c.summary,
        confidential_detail: c.confidential_detail,
        keywords: c.keywords,
        application_fields: c.application_fields,
        advantages: c.advantages,
        requirements: c.requirements,
        discipline_code: c.discipline_code,
        industry_codes: c.industry_codes,
        trl: c.trl,
        maturity: c.maturity,
        ip_records: c.ip_records,
        transfer_modes: c.transfer_modes,
        price: c.price,
        team_lead: c.team_lead,
        inventors: c.inventors,
        registration_number: c.registration_number,
        priority_tracks: c.tracks,
        status: Draft,
        published_at: None,
        expires_at: None,
        source: ListingSource::Local,
        external_id: None,
        created_at: epoch,
        updated_at: epoch,
    }
}
