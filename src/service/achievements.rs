//! Use cases for research results (科技成果): create, change, publish, renew, withdraw, close,
//! moderate, read and list. Each write is one transaction with its outbox entry and audit record.

use crate::db::grants;
use crate::db::listing_query::StatusClause;
use crate::db::outbox::{self, ListingChange, ListingKind};
use crate::db::{achievements as repo, organizations as org_repo, tracks as track_repo};
use crate::domain::{Achievement, AchievementStatus, ListingSource};
use crate::error::{ErrorCode, FieldError, ServiceError, ServiceResult};
use crate::service::audit::Target;
use crate::service::filters::{ListingFilter, scoped_statuses};
use crate::service::inputs::{AchievementContent, AchievementInput, AchievementPatch};
use crate::service::{Actor, Context, Page, Window, policy};
use chrono::{DateTime, Duration, Utc};
use sea_orm::DatabaseTransaction;
use std::sync::Arc;

use AchievementStatus::*;

/// Filter for achievement lists.
pub type AchievementFilter = ListingFilter<AchievementStatus>;

const KIND: ListingKind = ListingKind::Achievement;

/// Research-result use cases.
#[derive(Debug, Clone)]
pub struct AchievementService {
    ctx: Arc<Context>,
}

impl AchievementService {
    pub(crate) fn new(ctx: Arc<Context>) -> Self {
        Self { ctx }
    }

    /// Creates a draft owned by `owner_id`; members of that organisation only.
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
        let r = async {
            policy::may_edit_listing(actor, owner_id)?;
            let txn = self.ctx.db.begin_write().await?;
            if org_repo::find(&txn, owner_id).await?.is_none() {
                return Err(ServiceError::not_found("机构"));
            }
            let content = validate(&txn, input).await?;
            let now = self.ctx.clock.now();
            let draft = Achievement {
                owner_id,
                source,
                external_id,
                created_at: now,
                updated_at: now,
                ..from_content(content)
            };
            let saved = repo::save(&txn, &draft).await?;
            outbox::enqueue(&txn, KIND, saved.id, ListingChange::Upsert, now).await?;
            self.ctx
                .audit_ok(
                    &txn,
                    actor,
                    "createAchievement",
                    Target::of("Achievement", saved.id),
                )
                .await?;
            txn.commit().await?;
            tracing::debug!(achievement_id = saved.id, owner_id, "achievement created");
            self.view_one(actor, saved).await
        }
        .await;
        self.ctx
            .audit_failure(
                actor,
                "createAchievement",
                Target::of("Organization", owner_id),
                r,
            )
            .await
    }

    /// Creates a listing that came from a market, already published (the market vouches for
    /// its owner), inside the caller's transaction: market sync writes (and audits) a page at a
    /// time. `tracks` are the priority tracks, read once per run.
    pub(crate) async fn import_in(
        &self,
        txn: &DatabaseTransaction,
        owner_id: i32,
        input: &AchievementInput,
        source: ListingSource,
        external_id: &str,
        tracks: &[crate::domain::PriorityTrack],
    ) -> ServiceResult<Achievement> {
        let known = |code: &str| tracks.iter().any(|t| t.code == code && t.active);
        let content = input.validate(&known).map_err(ServiceError::Invalid)?;
        let now = self.ctx.clock.now();
        let listing = Achievement {
            owner_id,
            source,
            external_id: Some(external_id.to_owned()),
            status: Published,
            published_at: Some(now),
            expires_at: Some(now + Duration::days(self.ctx.settings.listing_ttl_days)),
            created_at: now,
            updated_at: now,
            ..from_content(content)
        };
        let saved = repo::save(txn, &listing).await?;
        outbox::enqueue(txn, KIND, saved.id, ListingChange::Upsert, now).await?;
        Ok(saved)
    }

    /// Creates results from spreadsheet rows inside the caller's transaction, in a few
    /// statements (the import audits the whole file once): drafts, or published when
    /// `publish` (the caller checked that the owner is verified). Returns them in no
    /// particular order.
    pub(crate) async fn create_imported_many_in(
        &self,
        txn: &DatabaseTransaction,
        owner_id: i32,
        contents: Vec<AchievementContent>,
        publish: bool,
    ) -> ServiceResult<Vec<Achievement>> {
        let now = self.ctx.clock.now();
        let drafts: Vec<Achievement> = contents
            .into_iter()
            .map(|content| {
                let mut draft = Achievement {
                    owner_id,
                    created_at: now,
                    updated_at: now,
                    ..from_content(content)
                };
                if publish {
                    draft.status = Published;
                    draft.published_at = Some(now);
                    draft.expires_at =
                        Some(now + Duration::days(self.ctx.settings.listing_ttl_days));
                }
                draft
            })
            .collect();
        let saved = repo::insert_many(txn, &drafts).await?;
        let ids: Vec<i32> = saved.iter().map(|a| a.id).collect();
        outbox::enqueue_many(txn, KIND, &ids, now).await?;
        Ok(saved)
    }

    /// What `current` becomes with `content` from a spreadsheet row, unsaved; `None` when
    /// nothing would change.
    pub(crate) fn revised(
        &self,
        current: &Achievement,
        content: AchievementContent,
    ) -> ServiceResult<Option<Achievement>> {
        ensure_editable(current)?;
        let next = with_content(current, content, current.updated_at);
        Ok((next != *current).then_some(next))
    }

    /// Saves a revision made by [`Self::revised`] inside the caller's transaction.
    pub(crate) async fn save_revised_in(
        &self,
        txn: &DatabaseTransaction,
        mut next: Achievement,
    ) -> ServiceResult<Achievement> {
        // The revision was made from a copy read before this transaction: refuse it if the
        // listing changed since, rather than overwrite that change.
        let stored = repo::find_for_update(txn, next.id)
            .await?
            .ok_or_else(|| ServiceError::not_found("科技成果"))?;
        if stored.updated_at != next.updated_at {
            return Err(ServiceError::coded(
                ErrorCode::Conflict,
                format!("成果“{}”在导入期间被修改，请重新导入这一行", stored.title),
            ));
        }
        let now = self.ctx.clock.now();
        next.updated_at = now;
        let saved = repo::save(txn, &next).await?;
        outbox::enqueue(txn, KIND, next.id, ListingChange::Upsert, now).await?;
        Ok(saved)
    }

    /// Applies `patch`; lifecycle status is unchanged.
    pub async fn update(
        &self,
        actor: &Actor,
        id: i32,
        patch: AchievementPatch,
    ) -> ServiceResult<Achievement> {
        self.save_content(actor, id, "updateAchievement", |current| {
            patch.apply(current)
        })
        .await
    }

    /// Replaces the content of a listing that came from a market with what the market now
    /// says; lifecycle status is unchanged. The system only (market sync).
    pub(crate) async fn replace_imported(
        &self,
        id: i32,
        input: &AchievementInput,
    ) -> ServiceResult<Achievement> {
        self.save_content(&Actor::System, id, "syncAchievement", |_| input.clone())
            .await
    }

    /// Publishes a listing that came from a market: the market vouches for its owner, so a
    /// local verification is not required. The system only (market sync).
    pub(crate) async fn publish_imported(&self, id: i32) -> ServiceResult<Achievement> {
        self.transition(
            &Actor::System,
            id,
            "publishImportedAchievement",
            &[Draft, Withdrawn, Expired],
            "发布",
            false,
            |a, now, ttl| {
                a.status = Published;
                a.published_at.get_or_insert(now);
                a.expires_at = Some(now + ttl);
            },
        )
        .await
    }

    async fn save_content(
        &self,
        actor: &Actor,
        id: i32,
        action: &'static str,
        input: impl FnOnce(&Achievement) -> AchievementInput,
    ) -> ServiceResult<Achievement> {
        let r = async {
            let txn = self.ctx.db.begin_write().await?;
            let current = self.load_for_edit(&txn, actor, id).await?;
            ensure_editable(&current)?;
            let content = validate(&txn, &input(&current)).await?;
            let now = self.ctx.clock.now();
            let next = with_content(&current, content, now);
            let saved = repo::save(&txn, &next).await?;
            outbox::enqueue(&txn, KIND, id, ListingChange::Upsert, now).await?;
            self.ctx
                .audit_ok(&txn, actor, action, Target::of("Achievement", id))
                .await?;
            txn.commit().await?;
            self.view_one(actor, saved).await
        }
        .await;
        self.ctx
            .audit_failure(actor, action, Target::of("Achievement", id), r)
            .await
    }

    /// DRAFT or WITHDRAWN → PUBLISHED, live for the configured period. The owner must be verified.
    pub async fn publish(&self, actor: &Actor, id: i32) -> ServiceResult<Achievement> {
        self.transition(
            actor,
            id,
            "publishAchievement",
            &[Draft, Withdrawn],
            "发布",
            true,
            |a, now, ttl| {
                a.status = Published;
                a.published_at.get_or_insert(now);
                a.expires_at = Some(now + ttl);
                a.moderation_note = None;
            },
        )
        .await
    }

    /// PUBLISHED or EXPIRED → PUBLISHED with a fresh expiry.
    pub async fn renew(&self, actor: &Actor, id: i32) -> ServiceResult<Achievement> {
        self.transition(
            actor,
            id,
            "renewAchievement",
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
            "withdrawAchievement",
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
            "closeAchievement",
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

    /// An operator unpublishes a result with a reason its owner sees.
    pub async fn moderate(
        &self,
        actor: &Actor,
        id: i32,
        reason: &str,
    ) -> ServiceResult<Achievement> {
        let action = "moderateAchievement";
        let r = async {
            policy::require_operator(actor)?;
            let reason = moderation_reason(reason)?;
            let txn = self.ctx.db.begin_write().await?;
            let mut a = repo::find_for_update(&txn, id)
                .await?
                .ok_or_else(|| ServiceError::not_found("科技成果"))?;
            let now = self.ctx.clock.now();
            check_from(a.effective_status(now), &[Published, Expired], "下架")?;
            a.status = Withdrawn;
            a.moderation_note = Some(reason.clone());
            a.updated_at = now;
            let saved = self.save_transition(&txn, actor, action, a, now).await?;
            let sent = self
                .ctx
                .moderation_notice(
                    &txn,
                    saved.owner_id,
                    format!("成果“{}”已被下架", saved.title),
                    format!(
                        "平台管理员下架了科技成果“{}”，理由：{reason}。修改后可重新发布。",
                        saved.title
                    ),
                    Some((KIND, id)),
                )
                .await?;
            txn.commit().await?;
            self.ctx.hub.publish(sent);
            self.view_one(actor, saved).await
        }
        .await;
        self.ctx
            .audit_failure(actor, action, Target::of("Achievement", id), r)
            .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn transition(
        &self,
        actor: &Actor,
        id: i32,
        action: &'static str,
        from: &[AchievementStatus],
        verb: &str,
        needs_verified_owner: bool,
        apply: impl FnOnce(&mut Achievement, DateTime<Utc>, Duration),
    ) -> ServiceResult<Achievement> {
        let r = async {
            let txn = self.ctx.db.begin_write().await?;
            let mut a = self.load_for_edit(&txn, actor, id).await?;
            let now = self.ctx.clock.now();
            check_from(a.effective_status(now), from, verb)?;
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
            let saved = self.save_transition(&txn, actor, action, a, now).await?;
            txn.commit().await?;
            self.view_one(actor, saved).await
        }
        .await;
        self.ctx
            .audit_failure(actor, action, Target::of("Achievement", id), r)
            .await
    }

    async fn save_transition(
        &self,
        txn: &DatabaseTransaction,
        actor: &Actor,
        action: &str,
        a: Achievement,
        now: DateTime<Utc>,
    ) -> ServiceResult<Achievement> {
        let saved = repo::save_row(txn, &a).await?;
        outbox::enqueue(txn, KIND, a.id, ListingChange::Upsert, now).await?;
        self.ctx
            .audit_ok(txn, actor, action, Target::of("Achievement", a.id))
            .await?;
        tracing::debug!(achievement_id = a.id, status = %saved.status, action, "achievement status changed");
        Ok(saved)
    }

    async fn load_for_edit(
        &self,
        txn: &DatabaseTransaction,
        actor: &Actor,
        id: i32,
    ) -> ServiceResult<Achievement> {
        policy::require_signed_in(actor)?;
        let a = repo::find_for_update(txn, id)
            .await?
            .ok_or_else(|| ServiceError::not_found("科技成果"))?;
        if !self.may_see(actor, &a) {
            return Err(ServiceError::not_found("科技成果"));
        }
        policy::may_edit_listing(actor, a.owner_id)?;
        Ok(a)
    }

    /// One result, if `actor` may see it.
    pub async fn get(&self, actor: &Actor, id: i32) -> ServiceResult<Option<Achievement>> {
        match repo::find(&self.ctx.db.conn, id)
            .await?
            .filter(|a| self.may_see(actor, a))
        {
            Some(a) => Ok(Some(self.view_one(actor, a).await?)),
            None => Ok(None),
        }
    }

    /// The result with this external id at `source`, for idempotent seeding and imports.
    pub async fn find_external(
        &self,
        actor: &Actor,
        source: ListingSource,
        external_id: &str,
    ) -> ServiceResult<Option<Achievement>> {
        match repo::find_external(&self.ctx.db.conn, source, external_id)
            .await?
            .filter(|a| self.may_see(actor, a))
        {
            Some(a) => Ok(Some(self.view_one(actor, a).await?)),
            None => Ok(None),
        }
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
        let wanted = if filter.statuses.is_empty() {
            vec![Published]
        } else {
            filter.statuses.clone()
        };
        query.statuses = scoped_statuses(actor, &wanted, is_public, status_clause);
        if query.statuses.is_empty() {
            return Ok(Window::page(Vec::new(), 0, 0));
        }
        let db = &self.ctx.db.conn;
        let total = repo::count(db, &query).await?;
        let mut page = self
            .ctx
            .paged(window, total, |offset, limit| {
                repo::page(db, &query, offset, limit)
            })
            .await?;
        let items = self.views(actor, std::mem::take(&mut page.items)).await?;
        Ok(page.with_items(items))
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
        self.views(actor, rows).await
    }

    fn may_see(&self, actor: &Actor, a: &Achievement) -> bool {
        is_public(a.effective_status(self.ctx.clock.now()))
            || policy::may_see_unpublished(actor, a.owner_id)
    }

    async fn view_one(&self, actor: &Actor, a: Achievement) -> ServiceResult<Achievement> {
        crate::service::single(self.views(actor, vec![a]).await?)
    }

    /// Redacts what `actor` may not read and reports the effective status.
    async fn views(
        &self,
        actor: &Actor,
        items: Vec<Achievement>,
    ) -> ServiceResult<Vec<Achievement>> {
        let granted = match actor.organization_id() {
            Some(org)
                if items
                    .iter()
                    .any(|a| a.confidential_detail.is_some() && a.owner_id != org) =>
            {
                let ids: Vec<i32> = items.iter().map(|a| a.id).collect();
                grants::granted_listings(&self.ctx.db.conn, KIND, org, &ids).await?
            }
            _ => Default::default(),
        };
        let now = self.ctx.clock.now();
        Ok(items
            .into_iter()
            .map(|mut a| {
                if !policy::may_see_confidential(actor, a.owner_id, granted.contains(&a.id)) {
                    a.confidential_detail = None;
                }
                if !policy::may_see_unpublished(actor, a.owner_id) {
                    a.moderation_note = None;
                }
                a.status = a.effective_status(now);
                a
            })
            .collect())
    }
}

fn is_public(status: AchievementStatus) -> bool {
    matches!(status, Published | Expired | Transferred)
}

fn check_from(
    status: AchievementStatus,
    from: &[AchievementStatus],
    verb: &str,
) -> ServiceResult<()> {
    if from.contains(&status) {
        Ok(())
    } else {
        Err(ServiceError::coded(
            ErrorCode::InvalidStateTransition,
            format!("当前状态为“{}”，不能{verb}", status.label_zh()),
        ))
    }
}

/// Checks an operator's moderation reason.
pub(crate) fn moderation_reason(reason: &str) -> ServiceResult<String> {
    let reason = reason.trim();
    let len = reason.chars().count();
    if !(4..=500).contains(&len) {
        return Err(ServiceError::Invalid(vec![FieldError::new(
            "reason",
            ErrorCode::InvalidText,
            "下架原因需 4 到 500 个字，所有者会看到它",
        )]));
    }
    Ok(reason.to_owned())
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

/// A transferred result's content is final.
fn ensure_editable(current: &Achievement) -> ServiceResult<()> {
    if current.status == Transferred {
        return Err(ServiceError::coded(
            ErrorCode::InvalidStateTransition,
            "已转化的成果不能再修改",
        ));
    }
    Ok(())
}

/// `current` with new content; lifecycle, origin and dates kept, `updated_at` given.
fn with_content(
    current: &Achievement,
    content: AchievementContent,
    updated_at: DateTime<Utc>,
) -> Achievement {
    Achievement {
        id: current.id,
        owner_id: current.owner_id,
        status: current.status,
        published_at: current.published_at,
        expires_at: current.expires_at,
        source: current.source,
        external_id: current.external_id.clone(),
        created_at: current.created_at,
        updated_at,
        moderation_note: current.moderation_note.clone(),
        ..from_content(content)
    }
}

fn from_content(c: AchievementContent) -> Achievement {
    let epoch = DateTime::<Utc>::UNIX_EPOCH;
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
        moderation_note: None,
    }
}
