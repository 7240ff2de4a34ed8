//! Use cases for technology needs (技术需求), with their visibility rules: confidential needs
//! are not listed, counted or found by the unentitled; anonymous needs hide their owner.

use crate::db::grants;
use crate::db::listing_query::StatusClause;
use crate::db::outbox::{self, ListingChange, ListingKind};
use crate::db::{needs as repo, organizations as org_repo, tracks as track_repo};
use crate::domain::{ListingSource, Need, NeedStatus};
use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::service::achievements::moderation_reason;
use crate::service::audit::Target;
use crate::service::filters::{ListingFilter, scoped_statuses};
use crate::service::inputs::{NeedContent, NeedInput, NeedPatch};
use crate::service::{Actor, Context, Page, Window, policy};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::DatabaseTransaction;
use std::sync::Arc;

use NeedStatus::*;

/// Filter for need lists.
pub type NeedFilter = ListingFilter<NeedStatus>;

const KIND: ListingKind = ListingKind::Need;

/// A need as one viewer may see it.
#[derive(Debug, Clone)]
pub struct NeedView {
    /// The need, with what the viewer may not read removed.
    pub need: Need,
    /// Whether the viewer may know the owning organisation.
    pub owner_visible: bool,
}

/// Technology-need use cases.
#[derive(Debug, Clone)]
pub struct NeedService {
    ctx: Arc<Context>,
}

impl NeedService {
    pub(crate) fn new(ctx: Arc<Context>) -> Self {
        Self { ctx }
    }

    /// Creates a draft owned by `owner_id`; members of that organisation only.
    pub async fn create(
        &self,
        actor: &Actor,
        owner_id: i32,
        input: &NeedInput,
    ) -> ServiceResult<NeedView> {
        self.create_from(actor, owner_id, input, ListingSource::Local, None)
            .await
    }

    /// Creates a draft that came from `source` under `external_id`.
    pub async fn create_from(
        &self,
        actor: &Actor,
        owner_id: i32,
        input: &NeedInput,
        source: ListingSource,
        external_id: Option<String>,
    ) -> ServiceResult<NeedView> {
        let r = async {
            policy::may_edit_listing(actor, owner_id)?;
            let txn = self.ctx.db.begin_write().await?;
            if org_repo::find(&txn, owner_id).await?.is_none() {
                return Err(ServiceError::not_found("机构"));
            }
            let now = self.ctx.clock.now();
            let content = validate(&txn, input, now.date_naive()).await?;
            let draft = Need {
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
                .audit_ok(&txn, actor, "createNeed", Target::of("Need", saved.id))
                .await?;
            txn.commit().await?;
            tracing::debug!(need_id = saved.id, owner_id, "need created");
            self.view_one(actor, saved).await
        }
        .await;
        self.ctx
            .audit_failure(actor, "createNeed", Target::of("Organization", owner_id), r)
            .await
    }

    /// Creates a need that came from a market, already open (the market vouches for its
    /// owner), inside the caller's transaction: market sync writes (and audits) a page at a
    /// time. `tracks` are the priority tracks, read once per run.
    pub(crate) async fn import_in(
        &self,
        txn: &DatabaseTransaction,
        owner_id: i32,
        input: &NeedInput,
        source: ListingSource,
        external_id: &str,
        tracks: &[crate::domain::PriorityTrack],
    ) -> ServiceResult<Need> {
        let now = self.ctx.clock.now();
        let known = |code: &str| tracks.iter().any(|t| t.code == code && t.active);
        let content = input
            .validate(&known, now.date_naive())
            .map_err(ServiceError::Invalid)?;
        let listing = Need {
            owner_id,
            source,
            external_id: Some(external_id.to_owned()),
            status: Open,
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

    /// Applies `patch`; lifecycle status is unchanged.
    pub async fn update(
        &self,
        actor: &Actor,
        id: i32,
        patch: NeedPatch,
    ) -> ServiceResult<NeedView> {
        self.save_content(actor, id, "updateNeed", |current| patch.apply(current))
            .await
    }

    /// Replaces the content of a need that came from a market with what the market now says;
    /// lifecycle status is unchanged. The system only (market sync).
    pub(crate) async fn replace_imported(
        &self,
        id: i32,
        input: &NeedInput,
    ) -> ServiceResult<NeedView> {
        self.save_content(&Actor::System, id, "syncNeed", |_| input.clone())
            .await
    }

    /// Publishes a need that came from a market: the market vouches for its owner. The system
    /// only (market sync).
    pub(crate) async fn publish_imported(&self, id: i32) -> ServiceResult<NeedView> {
        self.transition(
            &Actor::System,
            id,
            "publishImportedNeed",
            &[Draft, Withdrawn, Expired],
            "发布",
            false,
            |n, now, ttl| {
                n.status = Open;
                n.published_at.get_or_insert(now);
                n.expires_at = Some(now + ttl);
            },
        )
        .await
    }

    async fn save_content(
        &self,
        actor: &Actor,
        id: i32,
        action: &'static str,
        input: impl FnOnce(&Need) -> NeedInput,
    ) -> ServiceResult<NeedView> {
        let r = async {
            let txn = self.ctx.db.begin_write().await?;
            let current = self.load_for_edit(&txn, actor, id).await?;
            if matches!(current.status, Signed | Closed) {
                return Err(ServiceError::coded(
                    ErrorCode::InvalidStateTransition,
                    "已签约或已结束的需求不能再修改",
                ));
            }
            let now = self.ctx.clock.now();
            // A deadline that already passed may stay as it is; a new one must not be in the past.
            let earliest = current
                .deadline
                .map_or(now.date_naive(), |d| d.min(now.date_naive()));
            let content = validate(&txn, &input(&current), earliest).await?;
            let next = Need {
                id,
                owner_id: current.owner_id,
                status: current.status,
                published_at: current.published_at,
                expires_at: current.expires_at,
                source: current.source,
                external_id: current.external_id.clone(),
                created_at: current.created_at,
                updated_at: now,
                moderation_note: current.moderation_note.clone(),
                ..from_content(content)
            };
            let saved = repo::save(&txn, &next).await?;
            outbox::enqueue(&txn, KIND, id, ListingChange::Upsert, now).await?;
            self.ctx
                .audit_ok(&txn, actor, action, Target::of("Need", id))
                .await?;
            txn.commit().await?;
            self.view_one(actor, saved).await
        }
        .await;
        self.ctx
            .audit_failure(actor, action, Target::of("Need", id), r)
            .await
    }

    /// DRAFT or WITHDRAWN → OPEN, live for the configured period. The owner must be verified.
    pub async fn publish(&self, actor: &Actor, id: i32) -> ServiceResult<NeedView> {
        self.transition(
            actor,
            id,
            "publishNeed",
            &[Draft, Withdrawn],
            "发布",
            true,
            |n, now, ttl| {
                n.status = Open;
                n.published_at.get_or_insert(now);
                n.expires_at = Some(now + ttl);
                n.moderation_note = None;
            },
        )
        .await
    }

    /// OPEN, NEGOTIATING or EXPIRED → live again with a fresh expiry.
    pub async fn renew(&self, actor: &Actor, id: i32) -> ServiceResult<NeedView> {
        self.transition(
            actor,
            id,
            "renewNeed",
            &[Open, Negotiating, Expired],
            "续期",
            true,
            |n, now, ttl| {
                if !n.status.is_live() {
                    n.status = Open;
                }
                n.expires_at = Some(now + ttl);
            },
        )
        .await
    }

    /// OPEN, NEGOTIATING or EXPIRED → WITHDRAWN.
    pub async fn withdraw(&self, actor: &Actor, id: i32) -> ServiceResult<NeedView> {
        self.transition(
            actor,
            id,
            "withdrawNeed",
            &[Open, Negotiating, Expired],
            "撤回",
            false,
            |n, _, _| {
                n.status = Withdrawn;
            },
        )
        .await
    }

    /// Any published state → CLOSED (已结束).
    pub async fn close(&self, actor: &Actor, id: i32) -> ServiceResult<NeedView> {
        self.transition(
            actor,
            id,
            "closeNeed",
            &[Open, Negotiating, Signed, Expired, Withdrawn],
            "结束",
            false,
            |n, _, _| {
                n.status = Closed;
                n.expires_at = None;
            },
        )
        .await
    }

    /// An operator unpublishes a need with a reason its owner sees.
    pub async fn moderate(&self, actor: &Actor, id: i32, reason: &str) -> ServiceResult<NeedView> {
        let action = "moderateNeed";
        let r = async {
            policy::require_operator(actor)?;
            let reason = moderation_reason(reason)?;
            let txn = self.ctx.db.begin_write().await?;
            let mut n = repo::find_for_update(&txn, id)
                .await?
                .ok_or_else(|| ServiceError::not_found("技术需求"))?;
            let now = self.ctx.clock.now();
            check_from(
                n.effective_status(now),
                &[Open, Negotiating, Expired],
                "下架",
            )?;
            n.status = Withdrawn;
            n.moderation_note = Some(reason.clone());
            n.updated_at = now;
            let saved = self.save_transition(&txn, actor, action, n, now).await?;
            let sent = self
                .ctx
                .moderation_notice(
                    &txn,
                    saved.owner_id,
                    format!("需求“{}”已被下架", saved.title),
                    format!(
                        "平台管理员下架了技术需求“{}”，理由：{reason}。修改后可重新发布。",
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
            .audit_failure(actor, action, Target::of("Need", id), r)
            .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn transition(
        &self,
        actor: &Actor,
        id: i32,
        action: &'static str,
        from: &[NeedStatus],
        verb: &str,
        needs_verified_owner: bool,
        apply: impl FnOnce(&mut Need, DateTime<Utc>, Duration),
    ) -> ServiceResult<NeedView> {
        let r = async {
            let txn = self.ctx.db.begin_write().await?;
            let mut n = self.load_for_edit(&txn, actor, id).await?;
            let now = self.ctx.clock.now();
            check_from(n.effective_status(now), from, verb)?;
            if needs_verified_owner {
                self.ctx
                    .ensure_owner_verified(&txn, n.owner_id, verb)
                    .await?;
            }
            apply(
                &mut n,
                now,
                Duration::days(self.ctx.settings.listing_ttl_days),
            );
            n.updated_at = now;
            let saved = self.save_transition(&txn, actor, action, n, now).await?;
            txn.commit().await?;
            self.view_one(actor, saved).await
        }
        .await;
        self.ctx
            .audit_failure(actor, action, Target::of("Need", id), r)
            .await
    }

    async fn save_transition(
        &self,
        txn: &DatabaseTransaction,
        actor: &Actor,
        action: &str,
        n: Need,
        now: DateTime<Utc>,
    ) -> ServiceResult<Need> {
        let saved = repo::save_row(txn, &n).await?;
        outbox::enqueue(txn, KIND, n.id, ListingChange::Upsert, now).await?;
        self.ctx
            .audit_ok(txn, actor, action, Target::of("Need", n.id))
            .await?;
        tracing::debug!(need_id = n.id, status = %saved.status, action, "need status changed");
        Ok(saved)
    }

    async fn load_for_edit(
        &self,
        txn: &DatabaseTransaction,
        actor: &Actor,
        id: i32,
    ) -> ServiceResult<Need> {
        policy::require_signed_in(actor)?;
        let n = repo::find_for_update(txn, id)
            .await?
            .ok_or_else(|| ServiceError::not_found("技术需求"))?;
        if !self.may_see(actor, &n) {
            return Err(ServiceError::not_found("技术需求"));
        }
        policy::may_edit_listing(actor, n.owner_id)?;
        Ok(n)
    }

    /// One need, if `actor` may see it.
    /// A confidential need is also visible to an organisation it was disclosed to (a pairing
    /// that reached INTRODUCED).
    pub async fn get(&self, actor: &Actor, id: i32) -> ServiceResult<Option<NeedView>> {
        let Some(n) = repo::find(&self.ctx.db.conn, id).await? else {
            return Ok(None);
        };
        let visible = self.may_see(actor, &n)
            || (is_public(n.effective_status(self.ctx.clock.now()))
                && self.disclosed_to(actor, n.id).await?);
        if visible {
            Ok(Some(self.view_one(actor, n).await?))
        } else {
            Ok(None)
        }
    }

    async fn disclosed_to(&self, actor: &Actor, need_id: i32) -> ServiceResult<bool> {
        Ok(match actor.organization_id() {
            Some(org) => grants::granted_listings(&self.ctx.db.conn, KIND, org, &[need_id])
                .await?
                .contains(&need_id),
            None => false,
        })
    }

    /// The need with this external id at `source`.
    pub async fn find_external(
        &self,
        actor: &Actor,
        source: ListingSource,
        external_id: &str,
    ) -> ServiceResult<Option<NeedView>> {
        match repo::find_external(&self.ctx.db.conn, source, external_id)
            .await?
            .filter(|n| self.may_see(actor, n))
        {
            Some(n) => Ok(Some(self.view_one(actor, n).await?)),
            None => Ok(None),
        }
    }

    /// A page of needs matching `filter` that `actor` may list.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: &NeedFilter,
        window: Window,
    ) -> ServiceResult<Page<NeedView>> {
        let now = self.ctx.clock.now();
        let mut query = filter.to_query(now).map_err(ServiceError::Invalid)?;
        let wanted = if filter.statuses.is_empty() {
            vec![Open, Negotiating]
        } else {
            filter.statuses.clone()
        };
        query.statuses = scoped_statuses(actor, &wanted, is_public, status_clause);
        // A filter on the owner (which organisation, its kind or region) only looks at needs
        // whose owner the viewer may know: otherwise trying every organisation would tell
        // who posted each anonymous need.
        query.visibilities = if filter.depends_on_owner() {
            policy::attributable_need_visibilities(actor)
        } else {
            policy::listable_need_visibilities(actor)
        };
        query.visibility_exempt_owner = actor.organization_id();
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

    /// Live needs of each owner whose ownership `actor` may know, at most `per_owner` each.
    pub async fn live_by_owners(
        &self,
        actor: &Actor,
        owner_ids: &[i32],
        per_owner: usize,
    ) -> ServiceResult<Vec<NeedView>> {
        let filter = NeedFilter {
            owner_ids: owner_ids.to_vec(),
            ..Default::default()
        };
        let mut query = filter
            .to_query(self.ctx.clock.now())
            .map_err(ServiceError::Invalid)?;
        query.statuses = [Open, Negotiating].into_iter().map(status_clause).collect();
        // Needs the viewer may not attribute are left out of the query, so they take no places.
        query.visibilities = policy::attributable_need_visibilities(actor);
        query.visibility_exempt_owner = actor.organization_id();
        let rows = repo::newest_per_owner(&self.ctx.db.conn, &query, per_owner as u64).await?;
        self.views(actor, rows).await
    }

    fn may_see(&self, actor: &Actor, n: &Need) -> bool {
        policy::may_see_need(actor, n)
            && (is_public(n.effective_status(self.ctx.clock.now()))
                || policy::may_see_unpublished(actor, n.owner_id))
    }

    async fn view_one(&self, actor: &Actor, n: Need) -> ServiceResult<NeedView> {
        crate::service::single(self.views(actor, vec![n]).await?)
    }

    async fn views(&self, actor: &Actor, items: Vec<Need>) -> ServiceResult<Vec<NeedView>> {
        let granted = match actor.organization_id() {
            Some(org)
                if items
                    .iter()
                    .any(|n| n.confidential_detail.is_some() && n.owner_id != org) =>
            {
                let ids: Vec<i32> = items.iter().map(|n| n.id).collect();
                grants::granted_listings(&self.ctx.db.conn, KIND, org, &ids).await?
            }
            _ => Default::default(),
        };
        let now = self.ctx.clock.now();
        Ok(items
            .into_iter()
            .map(|mut need| {
                if !policy::may_see_confidential(actor, need.owner_id, granted.contains(&need.id)) {
                    need.confidential_detail = None;
                }
                if !policy::may_see_unpublished(actor, need.owner_id) {
                    need.moderation_note = None;
                }
                need.status = need.effective_status(now);
                let owner_visible =
                    policy::may_see_need_owner(actor, &need) || granted.contains(&need.id);
                NeedView {
                    need,
                    owner_visible,
                }
            })
            .collect())
    }
}

fn is_public(status: NeedStatus) -> bool {
    !matches!(status, Draft | Withdrawn)
}

fn check_from(status: NeedStatus, from: &[NeedStatus], verb: &str) -> ServiceResult<()> {
    if from.contains(&status) {
        Ok(())
    } else {
        Err(ServiceError::coded(
            ErrorCode::InvalidStateTransition,
            format!("当前状态为“{}”，不能{verb}", status.label_zh()),
        ))
    }
}

fn status_clause(status: NeedStatus) -> StatusClause {
    match status {
        Open => StatusClause::LiveUnexpired(Open.as_str()),
        Negotiating => StatusClause::LiveUnexpired(Negotiating.as_str()),
        Expired => StatusClause::ExpiredOrOverdue(vec![Open.as_str(), Negotiating.as_str()]),
        other => StatusClause::Is(other.as_str()),
    }
}

async fn validate(
    txn: &DatabaseTransaction,
    input: &NeedInput,
    earliest_deadline: NaiveDate,
) -> ServiceResult<NeedContent> {
    let tracks = track_repo::all(txn).await?;
    let known = |code: &str| tracks.iter().any(|t| t.code == code && t.active);
    input
        .validate(&known, earliest_deadline)
        .map_err(ServiceError::Invalid)
}

fn from_content(c: NeedContent) -> Need {
    let epoch = DateTime::<Utc>::UNIX_EPOCH;
    Need {
        id: 0,
        owner_id: 0,
        title: c.title,
        problem: c.problem,
        requirements: c.requirements,
        confidential_detail: c.confidential_detail,
        keywords: c.keywords,
        industry_codes: c.industry_codes,
        discipline_code: c.discipline_code,
        min_trl: c.min_trl,
        cooperation_modes: c.cooperation_modes,
        budget: c.budget,
        deadline: c.deadline,
        visibility: c.visibility,
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
