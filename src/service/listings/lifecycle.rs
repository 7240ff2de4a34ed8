//! The lifecycle every listing follows: publish, renew, withdraw, close and moderate, each one
//! transaction that checks the status it starts from, stores the row, appends the outbox entry
//! and writes the audit record (failures are audited afterwards).
//!
//! | step | from | to |
//! |---|---|---|
//! | publish (owner verified) | DRAFT, WITHDRAWN | live, fresh expiry |
//! | renew (owner verified) | live, EXPIRED | live, fresh expiry |
//! | withdraw | live, EXPIRED | WITHDRAWN |
//! | close | the kind's [`Kind::CLOSE_FROM`] | the kind's [`Kind::CLOSED`] |
//! | moderate (operators) | live, EXPIRED | WITHDRAWN with a note its owner sees |
//! | publish an import (the system) | DRAFT, WITHDRAWN, EXPIRED | live, fresh expiry |

use crate::db::listings as repo;
use crate::db::outbox::{self, ListingChange};
use crate::domain::{Lifecycle, ListingStatus};
use crate::error::{ErrorCode, FieldError, ServiceError, ServiceResult};
use crate::service::audit::Target;
use crate::service::listings::kind::StatusOf;
use crate::service::listings::{Kind, ListingService};
use crate::service::{Actor, policy};
use chrono::{DateTime, Duration, Utc};
use sea_orm::DatabaseTransaction;

/// One lifecycle step: which statuses it starts from and what it stores.
struct Step<'a, S> {
    /// The action's verb; the audit action is the verb and the kind (`renewNeed`).
    action: &'static str,
    /// The effective statuses it may start from.
    from: &'a [S],
    /// The verb in a refusal (“当前状态为……，不能续期”).
    verb: &'static str,
    /// Whether the owner must be verified (publishing and renewing).
    needs_verified_owner: bool,
}

impl<K: Kind> ListingService<K> {
    /// DRAFT or WITHDRAWN → live for the configured period. The owner must be verified.
    pub async fn publish(&self, actor: &Actor, id: i32) -> ServiceResult<K::View> {
        let from = [StatusOf::<K>::DRAFT, StatusOf::<K>::WITHDRAWN];
        let step = Step {
            action: "publish",
            from: &from,
            verb: "发布",
            needs_verified_owner: true,
        };
        self.transition(actor, id, step, |life, now, ttl| {
            life.status = StatusOf::<K>::LIVE;
            life.published_at.get_or_insert(now);
            life.expires_at = Some(now + ttl);
            life.moderation_note = None;
        })
        .await
    }

    /// Live or EXPIRED → live again with a fresh expiry (a need in negotiation stays so).
    pub async fn renew(&self, actor: &Actor, id: i32) -> ServiceResult<K::View> {
        let step = Step {
            action: "renew",
            from: &StatusOf::<K>::live_or_expired(),
            verb: "续期",
            needs_verified_owner: true,
        };
        self.transition(actor, id, step, |life, now, ttl| {
            if !life.status.is_live() {
                life.status = StatusOf::<K>::LIVE;
            }
            life.expires_at = Some(now + ttl);
        })
        .await
    }

    /// Live or EXPIRED → WITHDRAWN.
    pub async fn withdraw(&self, actor: &Actor, id: i32) -> ServiceResult<K::View> {
        let step = Step {
            action: "withdraw",
            from: &StatusOf::<K>::live_or_expired(),
            verb: "撤回",
            needs_verified_owner: false,
        };
        self.transition(actor, id, step, |life, _, _| {
            life.status = StatusOf::<K>::WITHDRAWN;
        })
        .await
    }

    /// → the kind's closed status (已转化, 已结束), for good.
    pub async fn close(&self, actor: &Actor, id: i32) -> ServiceResult<K::View> {
        let step = Step {
            action: "close",
            from: StatusOf::<K>::CLOSE_FROM,
            verb: StatusOf::<K>::CLOSE_VERB,
            needs_verified_owner: false,
        };
        self.transition(actor, id, step, |life, _, _| {
            life.status = StatusOf::<K>::CLOSED;
            life.expires_at = None;
        })
        .await
    }

    /// Publishes a listing that came from a market: the market vouches for its owner, so a
    /// local verification is not required. The system only (market sync).
    pub(crate) async fn publish_imported(&self, id: i32) -> ServiceResult<K::View> {
        let from = [
            StatusOf::<K>::DRAFT,
            StatusOf::<K>::WITHDRAWN,
            StatusOf::<K>::EXPIRED,
        ];
        let step = Step {
            action: "publishImported",
            from: &from,
            verb: "发布",
            needs_verified_owner: false,
        };
        self.transition(&Actor::System, id, step, |life, now, ttl| {
            life.status = StatusOf::<K>::LIVE;
            life.published_at.get_or_insert(now);
            life.expires_at = Some(now + ttl);
        })
        .await
    }

    /// An operator unpublishes a listing with a reason its owner sees.
    pub async fn moderate(&self, actor: &Actor, id: i32, reason: &str) -> ServiceResult<K::View> {
        let action = format!("moderate{}", K::NODE);
        self.ctx
            .audited(actor, &action, Target::of(K::NODE, id), async {
                policy::require_operator(actor)?;
                let reason = moderation_reason(reason)?;
                let txn = self.ctx.db.begin_write().await?;
                let mut listing = repo::find_for_update::<K, _>(&txn, id)
                    .await?
                    .ok_or_else(|| ServiceError::not_found(K::NOUN))?;
                let now = self.ctx.clock.now();
                let from = StatusOf::<K>::live_or_expired();
                check_from(listing.effective_status(now), &from, "下架")?;
                let mut life = listing.lifecycle();
                life.status = StatusOf::<K>::WITHDRAWN;
                life.moderation_note = Some(reason.clone());
                life.updated_at = now;
                listing.set_lifecycle(life);
                let saved = self
                    .save_transition(&txn, actor, &action, listing, now)
                    .await?;
                let sent = self
                    .ctx
                    .moderation_notice(
                        &txn,
                        saved.owner_id(),
                        format!("{}“{}”已被下架", K::SHORT_NOUN, saved.title()),
                        format!(
                            "平台管理员下架了{}“{}”，理由：{reason}。修改后可重新发布。",
                            K::NOUN,
                            saved.title()
                        ),
                        Some((K::KIND, id)),
                    )
                    .await?;
                txn.commit().await?;
                self.ctx.hub.publish(sent);
                self.view_one(actor, saved).await
            })
            .await
    }

    async fn transition(
        &self,
        actor: &Actor,
        id: i32,
        step: Step<'_, StatusOf<K>>,
        apply: impl FnOnce(&mut Lifecycle<StatusOf<K>>, DateTime<Utc>, Duration),
    ) -> ServiceResult<K::View> {
        let action = format!("{}{}", step.action, K::NODE);
        self.ctx
            .audited(actor, &action, Target::of(K::NODE, id), async {
                let txn = self.ctx.db.begin_write().await?;
                let mut listing = self.load_for_edit(&txn, actor, id).await?;
                let now = self.ctx.clock.now();
                check_from(listing.effective_status(now), step.from, step.verb)?;
                if step.needs_verified_owner {
                    self.ctx
                        .ensure_owner_verified(&txn, listing.owner_id(), step.verb)
                        .await?;
                }
                let mut life = listing.lifecycle();
                apply(
                    &mut life,
                    now,
                    Duration::days(self.ctx.settings.listing_ttl_days),
                );
                life.updated_at = now;
                listing.set_lifecycle(life);
                let saved = self
                    .save_transition(&txn, actor, &action, listing, now)
                    .await?;
                txn.commit().await?;
                self.view_one(actor, saved).await
            })
            .await
    }

    async fn save_transition(
        &self,
        txn: &DatabaseTransaction,
        actor: &Actor,
        action: &str,
        listing: K,
        now: DateTime<Utc>,
    ) -> ServiceResult<K> {
        let saved = repo::save_row(txn, &listing).await?;
        outbox::enqueue(txn, K::KIND, listing.id(), ListingChange::Upsert, now).await?;
        self.ctx
            .audit_ok(txn, actor, action, Target::of(K::NODE, listing.id()))
            .await?;
        let status = saved.lifecycle().status.as_str();
        tracing::debug!(
            kind = K::NODE,
            id = listing.id(),
            status,
            action,
            "listing status changed"
        );
        Ok(saved)
    }

    /// The listing `actor` is about to change, locked for `txn`: missing when the actor may
    /// not see it, refused when they may not edit it.
    pub(super) async fn load_for_edit(
        &self,
        txn: &DatabaseTransaction,
        actor: &Actor,
        id: i32,
    ) -> ServiceResult<K> {
        policy::require_signed_in(actor)?;
        let listing = repo::find_for_update::<K, _>(txn, id)
            .await?
            .ok_or_else(|| ServiceError::not_found(K::NOUN))?;
        if !self.may_see(actor, &listing) {
            return Err(ServiceError::not_found(K::NOUN));
        }
        policy::may_edit_listing(actor, listing.owner_id())?;
        Ok(listing)
    }
}

fn check_from<S: ListingStatus>(status: S, from: &[S], verb: &str) -> ServiceResult<()> {
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
fn moderation_reason(reason: &str) -> ServiceResult<String> {
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
