//! The broker workflow: a firm's request, a university's offer or a broker's proposal becomes a
//! pairing (对接) that a broker carries from REQUESTED to a signed contract.
//!
//! Every move is one transaction: the pairing row, its timeline event, the disclosure grants at
//! INTRODUCED, the listing status changes at NEGOTIATING and SIGNED, the audit record and the
//! notifications of everyone involved. Notifications are pushed live after the commit.
//! Deadlines are stored on the pairing (`due_at`) and enforced by [`PairingService::expire_due`],
//! which the sweeper runs; the clock is injected, so tests move it instead of sleeping.

use crate::db::listings;
use crate::db::outbox::{self, ListingChange, ListingKind};
use crate::db::pairings::{self as repo, PairingEvent, PairingQuery};
use crate::db::{grants, matches, notifications as inbox, organizations};
use crate::domain::pairing::{Move, awaiting, expiry_reason, next_status};
use crate::domain::{
    Achievement, AchievementStatus, Awaiting, Contract, ContractKind, Listing, Need, NeedStatus,
    NeedVisibility, NotificationKind, Pairing, PairingEventKind, PairingOrigin, PairingRole,
    PairingStatus,
};
use crate::error::{ErrorCode, FieldError, ServiceError, ServiceResult};
use crate::service::audit::Target;
use crate::service::notifications::{Notification, Outgoing, stage};
use crate::service::{Actor, Context, Page, Window, policy};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::DatabaseTransaction;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Longest request message, note or reason, in characters.
const MAX_TEXT: usize = 2000;

/// Deadlines and thresholds of the workflow (`[pairing]` in the configuration).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PairingRules {
    /// Days a request may wait for a broker before it expires (N).
    pub accept_within_days: i64,
    /// Days a side may leave a pairing unanswered, or talks may stall, before it expires (M).
    pub answer_within_days: i64,
    /// Stored matches scoring at least this (0..1) are announced to both listings' owners.
    pub match_notify_threshold: f64,
}

impl Default for PairingRules {
    fn default() -> Self {
        Self {
            accept_within_days: 7,
            answer_within_days: 14,
            match_notify_threshold: 0.5,
        }
    }
}

/// A pairing as one viewer may see it.
#[derive(Debug, Clone)]
pub struct PairingView {
    /// The pairing.
    pub pairing: Pairing,
    /// The viewer's roles on it.
    pub roles: Vec<PairingRole>,
    /// Whether the viewer may know which firm is behind it (hidden from the result's owner
    /// until INTRODUCED when the firm's need is anonymous or confidential).
    pub enterprise_visible: bool,
}

/// What a pairing is opened on.
#[derive(Debug, Clone)]
pub struct OpenPairing {
    /// The research result.
    pub achievement_id: i32,
    /// The firm's need (required for offers and proposals, optional for a firm's request).
    pub need_id: Option<i32>,
    /// Why, for the other side and the broker.
    pub message: String,
}

/// The contract recorded at SIGNED.
#[derive(Debug, Clone)]
pub struct SignInput {
    /// Kind of technical contract.
    pub kind: ContractKind,
    /// Amount in yuan.
    pub amount_yuan: i64,
    /// Signing date.
    pub signed_on: NaiveDate,
    /// 技术合同登记号, if registered.
    pub registration_number: Option<String>,
    /// Also mark the result 已转化 (transferred).
    pub mark_transferred: bool,
}

/// Filters of the broker queue and pairing lists.
#[derive(Debug, Clone, Default)]
pub struct PairingFilter {
    /// Any of these statuses (empty: the open ones).
    pub statuses: Vec<PairingStatus>,
    /// Priority track.
    pub track: Option<String>,
    /// GB/T 4754 code prefix.
    pub industry: Option<String>,
    /// GB/T 2260 code prefix of the firm's region.
    pub region: Option<String>,
    /// At least this many days old.
    pub min_age_days: Option<i64>,
    /// Only those carried by me.
    pub assigned_to_me: bool,
    /// Only those without a broker.
    pub unassigned: bool,
}

/// What one move does besides changing the status.
struct Change {
    kind: PairingEventKind,
    role: PairingRole,
    note: Option<String>,
    internal: bool,
    mark_transferred: bool,
}

impl Change {
    fn new(kind: PairingEventKind, role: PairingRole) -> Self {
        Self {
            kind,
            role,
            note: None,
            internal: false,
            mark_transferred: false,
        }
    }

    fn with_note(mut self, note: Option<String>) -> Self {
        self.note = note;
        self
    }
}

/// Pairing use cases.
#[derive(Debug, Clone)]
pub struct PairingService {
    ctx: Arc<Context>,
}

impl PairingService {
    pub(crate) fn new(ctx: Arc<Context>) -> Self {
        Self { ctx }
    }

    fn rules(&self) -> &PairingRules {
        &self.ctx.settings.pairing
    }

    /// A firm asks for a pairing on a result, optionally naming its own need.
    pub async fn request(&self, actor: &Actor, input: OpenPairing) -> ServiceResult<PairingView> {
        self.open(actor, PairingOrigin::FirmRequest, input).await
    }

    /// A result's owner offers it to a need.
    pub async fn offer(&self, actor: &Actor, input: OpenPairing) -> ServiceResult<PairingView> {
        self.open(actor, PairingOrigin::UniversityOffer, input)
            .await
    }

    /// A broker proposes a stored match; the pairing starts ACCEPTED, carried by that broker.
    pub async fn propose(&self, actor: &Actor, input: OpenPairing) -> ServiceResult<PairingView> {
        self.open(actor, PairingOrigin::BrokerProposal, input).await
    }

    async fn open(
        &self,
        actor: &Actor,
        origin: PairingOrigin,
        input: OpenPairing,
    ) -> ServiceResult<PairingView> {
        let action = match origin {
            PairingOrigin::FirmRequest => "requestPairing",
            PairingOrigin::UniversityOffer => "offerAchievement",
            PairingOrigin::BrokerProposal => "proposePairing",
        };
        let r = async {
            policy::require_signed_in(actor)?;
            let message = required_text("message", &input.message, "对接说明")?;
            let txn = self.ctx.db.begin_write().await?;
            let now = self.ctx.clock.now();
            // Locked (result before need, as every pairing move does): a listing withdrawn at
            // this moment is either seen withdrawn or withdrawn after the pairing exists.
            let achievement = listings::find_for_update::<Achievement, _>(&txn, input.achievement_id)
                .await?
                .filter(|a| {
                    a.effective_status(now) == AchievementStatus::Published
                        || policy::may_see_unpublished(actor, a.owner_id)
                })
                .ok_or_else(|| ServiceError::not_found("科技成果"))?;
            if achievement.effective_status(now) != AchievementStatus::Published {
                return Err(ServiceError::coded(
                    ErrorCode::InvalidStateTransition,
                    "只能对已发布的科技成果发起对接",
                ));
            }
            let need = match input.need_id {
                Some(id) => Some(
                    listings::find_for_update::<Need, _>(&txn, id)
                        .await?
                        .filter(|n| policy::may_see_need(actor, n))
                        .ok_or_else(|| ServiceError::not_found("技术需求"))?,
                ),
                None => None,
            };
            if let Some(n) = &need
                && !n.effective_status(now).is_live()
            {
                return Err(ServiceError::coded(
                    ErrorCode::InvalidStateTransition,
                    "只能对寻找中或洽谈中的技术需求发起对接",
                ));
            }
            let enterprise_org = match (origin, &need) {
                (PairingOrigin::FirmRequest, Some(n)) => {
                    policy::may_edit_listing(actor, n.owner_id)?;
                    n.owner_id
                }
                (PairingOrigin::FirmRequest, None) => actor.organization_id().ok_or_else(|| {
                    ServiceError::coded(
                        ErrorCode::Forbidden,
                        "请先加入一个机构，再以机构名义申请对接",
                    )
                })?,
                (PairingOrigin::UniversityOffer, Some(n)) => {
                    policy::may_edit_listing(actor, achievement.owner_id)?;
                    n.owner_id
                }
                (PairingOrigin::BrokerProposal, Some(n)) => {
                    policy::require_broker(actor)?;
                    let stored = matches::stored_for(&txn, ListingKind::Need, n.id, 1000).await?;
                    if !stored.iter().any(|m| m.achievement_id == achievement.id) {
                        return Err(ServiceError::Invalid(vec![FieldError::new(
                            "achievementId",
                            ErrorCode::InvalidArgument,
                            "该成果不在这项需求的匹配结果中，请从匹配结果中选择",
                        )]));
                    }
                    n.owner_id
                }
                (_, None) => {
                    return Err(ServiceError::Invalid(vec![FieldError::new(
                        "needId",
                        ErrorCode::InvalidArgument,
                        "推荐成果或撮合对接时必须指明技术需求",
                    )]));
                }
            };
            if enterprise_org == achievement.owner_id {
                return Err(ServiceError::coded(
                    ErrorCode::InvalidArgument,
                    "不能与本机构的成果对接",
                ));
            }
            let firm = organizations::find(&txn, enterprise_org)
                .await?
                .ok_or_else(|| ServiceError::not_found("机构"))?;
            let mut p = Pairing {
                id: 0,
                need_id: need.as_ref().map(|n| n.id),
                achievement_id: achievement.id,
                enterprise_org_id: enterprise_org,
                university_org_id: achievement.owner_id,
                origin,
                requested_by: actor.user_id(),
                message,
                status: PairingStatus::Requested,
                broker_id: None,
                enterprise_agreed: origin == PairingOrigin::FirmRequest,
                university_agreed: origin == PairingOrigin::UniversityOffer,
                track_code: achievement
                    .priority_tracks
                    .first()
                    .or_else(|| need.as_ref().and_then(|n| n.priority_tracks.first()))
                    .cloned(),
                industry_code: need
                    .as_ref()
                    .and_then(|n| n.industry_codes.first())
                    .or_else(|| achievement.industry_codes.first())
                    .cloned(),
                region_code: firm.region_code,
                created_at: now,
                updated_at: now,
                accepted_at: None,
                introduced_at: None,
                negotiating_at: None,
                signed_at: None,
                closed_at: None,
                due_at: None,
                awaiting: None,
                decline_reason: None,
                contract: None,
            };
            if let Some(key) = p.open_key()
                && let Some(existing) = repo::find_open(&txn, &key).await?
            {
                return Err(ServiceError::coded(
                    ErrorCode::Conflict,
                    format!(
                        "这项成果与{}之间已有进行中的对接（{} 创建，见 pairings），请在原对接中继续",
                        if p.need_id.is_some() {
                            "该需求"
                        } else {
                            "贵机构"
                        },
                        existing.created_at.format("%Y-%m-%d")
                    ),
                ));
            }
            let role = match origin {
                PairingOrigin::FirmRequest => PairingRole::Enterprise,
                PairingOrigin::UniversityOffer => PairingRole::University,
                PairingOrigin::BrokerProposal => PairingRole::Broker,
            };
            if origin == PairingOrigin::BrokerProposal {
                p.status = PairingStatus::Accepted;
                p.broker_id = actor.user_id();
                p.accepted_at = Some(now);
            }
            self.schedule(&mut p, now);
            let saved = repo::save(&txn, &p).await?;
            let mut events = vec![event(
                &saved,
                actor,
                Change::new(PairingEventKind::Requested, role)
                    .with_note(Some(saved.message.clone())),
                None,
                now,
            )];
            if origin == PairingOrigin::BrokerProposal {
                events.push(event(
                    &saved,
                    actor,
                    Change::new(PairingEventKind::Accepted, role),
                    Some(PairingStatus::Requested),
                    now,
                ));
            }
            let mut sent = Vec::new();
            for e in events {
                let e = repo::add_event(&txn, &e).await?;
                sent.extend(
                    self.notify(&txn, actor, &saved, &e, &achievement, need.as_ref(), now)
                        .await?,
                );
            }
            self.ctx
                .audit_ok(&txn, actor, action, Target::of("Pairing", saved.id))
                .await?;
            txn.commit().await?;
            self.ctx.hub.publish(sent);
            tracing::debug!(pairing_id = saved.id, origin = %origin, "pairing opened");
            self.view(actor, saved).await
        }
        .await;
        self.ctx
            .audit_failure(
                actor,
                action,
                Target::of("Achievement", input.achievement_id),
                r,
            )
            .await
    }

    /// A broker takes a request from the queue.
    pub async fn take(&self, actor: &Actor, id: i32) -> ServiceResult<PairingView> {
        policy::require_broker(actor)?;
        let me = actor.user_id();
        self.transition(actor, id, "takePairing", move |p, _, _| {
            p.status = next(p, Move::Accept)?;
            p.broker_id = me;
            Ok(Change::new(PairingEventKind::Accepted, PairingRole::Broker))
        })
        .await
    }

    /// An operator assigns a broker: a waiting request becomes ACCEPTED; an open pairing
    /// changes hands.
    pub async fn assign(
        &self,
        actor: &Actor,
        id: i32,
        broker_user_id: i32,
    ) -> ServiceResult<PairingView> {
        policy::require_operator(actor)?;
        let broker = crate::db::users::find(&self.ctx.db.conn, broker_user_id)
            .await?
            .filter(|u| u.is_broker)
            .ok_or_else(|| {
                ServiceError::Invalid(vec![FieldError::new(
                    "brokerId",
                    ErrorCode::InvalidArgument,
                    "指派对象不是技术经纪人",
                )])
            })?;
        self.transition(actor, id, "assignPairing", move |p, _, _| {
            if p.status == PairingStatus::Requested {
                p.status = next(p, Move::Accept)?;
            } else if !p.status.is_open() {
                return Err(illegal(format!(
                    "对接当前为“{}”，不能指派经纪人",
                    p.status.label_zh()
                )));
            }
            p.broker_id = Some(broker.id);
            Ok(
                Change::new(PairingEventKind::Assigned, PairingRole::Operator)
                    .with_note(Some(format!("指派技术经纪人：{}", broker.display_name))),
            )
        })
        .await
    }

    /// A side agrees to talk; when both have, the pairing is INTRODUCED and each side's
    /// confidential detail and contacts are disclosed to the other.
    pub async fn agree(&self, actor: &Actor, id: i32) -> ServiceResult<PairingView> {
        self.transition(actor, id, "agreePairing", |p, roles, _| {
            let side = side_of(roles)?;
            p.status = next(p, Move::Agree(side))?;
            match side {
                PairingRole::Enterprise => p.enterprise_agreed = true,
                _ => p.university_agreed = true,
            }
            Ok(Change::new(PairingEventKind::Agreed, side))
        })
        .await
    }

    /// A side or the broker starts negotiation.
    pub async fn negotiate(&self, actor: &Actor, id: i32) -> ServiceResult<PairingView> {
        self.transition(actor, id, "startNegotiation", |p, roles, actor| {
            let role = side_or_steering(p, roles, actor)?;
            p.status = next(p, Move::Negotiate)?;
            Ok(Change::new(PairingEventKind::Negotiating, role))
        })
        .await
    }

    /// The broker (or an operator) records the signed contract.
    pub async fn sign(
        &self,
        actor: &Actor,
        id: i32,
        input: SignInput,
    ) -> ServiceResult<PairingView> {
        let contract = validate_contract(&input, self.ctx.clock.now().date_naive())?;
        self.transition(actor, id, "signPairing", move |p, _, actor| {
            let role = steering_role(p, actor)?;
            p.status = next(p, Move::Sign)?;
            let note = format!(
                "{}，合同金额 {} 元，签订日期 {}",
                contract.kind.label_zh(),
                contract.amount_yuan,
                contract.signed_on
            );
            p.contract = Some(contract);
            let mut change = Change::new(PairingEventKind::Signed, role).with_note(Some(note));
            change.mark_transferred = input.mark_transferred;
            Ok(change)
        })
        .await
    }

    /// A side or the broker declines, with a reason both sides see.
    pub async fn decline(
        &self,
        actor: &Actor,
        id: i32,
        reason: &str,
    ) -> ServiceResult<PairingView> {
        let reason = required_text("reason", reason, "拒绝理由")?;
        self.transition(actor, id, "declinePairing", move |p, roles, actor| {
            let role = side_or_steering(p, roles, actor)?;
            p.status = next(p, Move::Decline)?;
            p.decline_reason = Some(reason.clone());
            Ok(Change::new(PairingEventKind::Declined, role).with_note(Some(reason)))
        })
        .await
    }

    /// The requester withdraws (the requesting side, or the broker who proposed it).
    pub async fn withdraw(
        &self,
        actor: &Actor,
        id: i32,
        note: Option<&str>,
    ) -> ServiceResult<PairingView> {
        let note = optional_text("note", note)?;
        self.transition(actor, id, "withdrawPairing", move |p, roles, actor| {
            let role = match p.requesting_side() {
                Some(side) if roles.contains(&side) => side,
                None if p.broker_id.is_some() && actor.user_id() == p.broker_id => {
                    PairingRole::Broker
                }
                _ => {
                    return Err(ServiceError::coded(
                        ErrorCode::Forbidden,
                        "只有发起对接的一方可以撤回",
                    ));
                }
            };
            p.status = next(p, Move::Withdraw)?;
            Ok(Change::new(PairingEventKind::Withdrawn, role).with_note(note))
        })
        .await
    }

    /// Adds a note to the timeline; `internal` notes are for brokers and operators only.
    /// A note keeps a pairing in talks from expiring.
    pub async fn note(
        &self,
        actor: &Actor,
        id: i32,
        text: &str,
        internal: bool,
    ) -> ServiceResult<PairingView> {
        let text = required_text("text", text, "备注")?;
        self.transition(actor, id, "notePairing", move |_, roles, _| {
            let staff = roles
                .iter()
                .find(|r| matches!(r, PairingRole::Broker | PairingRole::Operator));
            let role = match (internal, staff) {
                (true, Some(r)) => *r,
                (true, None) => {
                    return Err(ServiceError::coded(
                        ErrorCode::Forbidden,
                        "只有技术经纪人或平台管理员可以添加内部备注",
                    ));
                }
                (false, _) => roles[0],
            };
            let mut change = Change::new(PairingEventKind::Note, role).with_note(Some(text));
            change.internal = internal;
            Ok(change)
        })
        .await
    }

    /// Expires open pairings whose answer is overdue, telling both sides why. Returns how many.
    pub async fn expire_due(&self) -> ServiceResult<u64> {
        let now = self.ctx.clock.now();
        let overdue = repo::overdue(&self.ctx.db.conn, now, 500).await?;
        let mut expired = 0;
        for p in overdue {
            let days = match p.awaiting {
                Some(Awaiting::Broker) => self.rules().accept_within_days,
                _ => self.rules().answer_within_days,
            };
            let reason = expiry_reason(p.awaiting, days);
            let r = self
                .transition(&Actor::System, p.id, "expirePairing", move |p, _, _| {
                    // Re-checked inside the transaction: an answer may have just arrived.
                    if p.due_at.is_none_or(|due| due > now) {
                        return Err(illegal("已有答复，不再超时".to_owned()));
                    }
                    p.status = next(p, Move::Expire)?;
                    p.decline_reason = Some(reason.clone());
                    Ok(Change::new(PairingEventKind::Expired, PairingRole::System)
                        .with_note(Some(reason)))
                })
                .await;
            match r {
                Ok(_) => expired += 1,
                Err(ServiceError::Coded {
                    code: ErrorCode::InvalidStateTransition,
                    ..
                }) => {}
                Err(err) => return Err(err),
            }
        }
        if expired > 0 {
            tracing::info!(expired, "overdue pairings expired");
        }
        Ok(expired)
    }

    /// One pairing, if the caller is involved in it (a side, a broker or an operator).
    pub async fn get(&self, actor: &Actor, id: i32) -> ServiceResult<Option<PairingView>> {
        match repo::find(&self.ctx.db.conn, id).await? {
            Some(p)
                if !policy::pairing_roles(actor, p.enterprise_org_id, p.university_org_id)
                    .is_empty() =>
            {
                Ok(Some(self.view(actor, p).await?))
            }
            _ => Ok(None),
        }
    }

    /// The timeline of a pairing the caller may see; internal notes for brokers and operators.
    pub async fn timeline(&self, p: &PairingView) -> ServiceResult<Vec<PairingEvent>> {
        let internal = p.roles.iter().any(|r| {
            matches!(
                r,
                PairingRole::Broker | PairingRole::Operator | PairingRole::System
            )
        });
        Ok(repo::events(&self.ctx.db.conn, p.pairing.id, internal).await?)
    }

    /// Pairings the caller may see: brokers and operators see the whole queue; members of an
    /// organisation see those their organisation is a side of. Oldest first.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: &PairingFilter,
        window: Window,
    ) -> ServiceResult<Page<PairingView>> {
        policy::require_signed_in(actor)?;
        let staff = policy::require_broker_or_operator(actor).is_ok();
        let organization = if staff {
            None
        } else {
            Some(actor.organization_id().ok_or_else(|| {
                ServiceError::coded(ErrorCode::Forbidden, "加入机构后才能查看本机构的对接")
            })?)
        };
        if filter.assigned_to_me && actor.user_id().is_none() {
            return Err(ServiceError::coded(
                ErrorCode::Forbidden,
                "只有登录用户有“指派给我”",
            ));
        }
        let now = self.ctx.clock.now();
        let query = PairingQuery {
            statuses: if filter.statuses.is_empty() {
                PairingStatus::ALL
                    .iter()
                    .copied()
                    .filter(|s| s.is_open())
                    .collect()
            } else {
                filter.statuses.clone()
            },
            track: filter.track.clone(),
            industry: filter.industry.clone(),
            region: filter.region.clone(),
            created_before: filter.min_age_days.map(|d| now - Duration::days(d.max(0))),
            broker: filter.assigned_to_me.then(|| actor.user_id()).flatten(),
            unassigned: filter.unassigned,
            organization,
        };
        let db = &self.ctx.db.conn;
        let total = repo::count(db, &query).await?;
        let mut page = self
            .ctx
            .paged(window, total, |offset, limit| {
                repo::page(db, &query, offset, limit)
            })
            .await?;
        let mut items = Vec::with_capacity(page.items.len());
        for p in std::mem::take(&mut page.items) {
            items.push(self.view(actor, p).await?);
        }
        Ok(page.with_items(items))
    }

    async fn view(&self, actor: &Actor, pairing: Pairing) -> ServiceResult<PairingView> {
        let roles =
            policy::pairing_roles(actor, pairing.enterprise_org_id, pairing.university_org_id);
        let enterprise_visible = roles.iter().any(|r| *r != PairingRole::University)
            || firm_disclosed(&pairing, self.need_visibility(&pairing).await?);
        Ok(PairingView {
            pairing,
            roles,
            enterprise_visible,
        })
    }

    async fn need_visibility(&self, p: &Pairing) -> ServiceResult<Option<NeedVisibility>> {
        Ok(match p.need_id {
            Some(id) => listings::find::<Need, _>(&self.ctx.db.conn, id)
                .await?
                .map(|n| n.visibility),
            None => None,
        })
    }

    /// Sets whose answer is due and by when.
    fn schedule(&self, p: &mut Pairing, now: DateTime<Utc>) {
        p.awaiting = awaiting(p, p.status);
        p.due_at = p.awaiting.map(|a| {
            let days = match a {
                Awaiting::Broker => self.rules().accept_within_days,
                _ => self.rules().answer_within_days,
            };
            now + Duration::days(days)
        });
    }

    async fn transition<F>(
        &self,
        actor: &Actor,
        id: i32,
        action: &'static str,
        decide: F,
    ) -> ServiceResult<PairingView>
    where
        F: FnOnce(&mut Pairing, &[PairingRole], &Actor) -> ServiceResult<Change>,
    {
        let r = async {
            policy::require_signed_in(actor)?;
            let txn = self.ctx.db.begin_write().await?;
            let mut p = repo::find_for_update(&txn, id)
                .await?
                .ok_or_else(|| ServiceError::not_found("对接"))?;
            let roles = policy::pairing_roles(actor, p.enterprise_org_id, p.university_org_id);
            if roles.is_empty() {
                return Err(ServiceError::not_found("对接"));
            }
            let before = p.clone();
            let now = self.ctx.clock.now();
            let change = decide(&mut p, &roles, actor)?;
            p.updated_at = now;
            let moved = p.status != before.status;
            if moved {
                stamp(&mut p, now);
            }
            let activity = moved
                || p.broker_id != before.broker_id
                || p.enterprise_agreed != before.enterprise_agreed
                || p.university_agreed != before.university_agreed
                || (change.kind == PairingEventKind::Note && !change.internal);
            if activity {
                self.schedule(&mut p, now);
            }
            let achievement = listings::find_for_update::<Achievement, _>(&txn, p.achievement_id)
                .await?
                .ok_or_else(|| ServiceError::not_found("科技成果"))?;
            let need = match p.need_id {
                Some(id) => listings::find_for_update::<Need, _>(&txn, id).await?,
                None => None,
            };
            if moved {
                self.side_effects(&txn, actor, &p, &change, &achievement, need.as_ref(), now)
                    .await?;
            }
            let saved = repo::save(&txn, &p).await?;
            let e = repo::add_event(&txn, &event(&saved, actor, change, Some(before.status), now))
                .await?;
            let sent = self
                .notify(&txn, actor, &saved, &e, &achievement, need.as_ref(), now)
                .await?;
            self.ctx
                .audit_ok(&txn, actor, action, Target::of("Pairing", id))
                .await?;
            txn.commit().await?;
            self.ctx.hub.publish(sent);
            if moved {
                tracing::debug!(pairing_id = id, from = %before.status, to = %saved.status, action, "pairing moved");
            }
            self.view(actor, saved).await
        }
        .await;
        self.ctx
            .audit_failure(actor, action, Target::of("Pairing", id), r)
            .await
    }

    /// Disclosure at INTRODUCED; listing statuses at NEGOTIATING and SIGNED.
    #[allow(clippy::too_many_arguments)]
    async fn side_effects(
        &self,
        txn: &DatabaseTransaction,
        actor: &Actor,
        p: &Pairing,
        change: &Change,
        achievement: &Achievement,
        need: Option<&Need>,
        now: DateTime<Utc>,
    ) -> ServiceResult<()> {
        match p.status {
            PairingStatus::Introduced => {
                let by = actor.user_id();
                let reason = format!("对接 {} 引荐", p.id);
                grants::grant(
                    txn,
                    grants::NewGrant {
                        kind: ListingKind::Achievement,
                        listing_id: achievement.id,
                        owner_org_id: achievement.owner_id,
                        grantee_org_id: p.enterprise_org_id,
                        granted_by: by,
                        reason: &reason,
                    },
                    now,
                )
                .await?;
                match need {
                    Some(n) => {
                        grants::grant(
                            txn,
                            grants::NewGrant {
                                kind: ListingKind::Need,
                                listing_id: n.id,
                                owner_org_id: n.owner_id,
                                grantee_org_id: p.university_org_id,
                                granted_by: by,
                                reason: &reason,
                            },
                            now,
                        )
                        .await?;
                    }
                    None => {
                        grants::grant_contacts(
                            txn,
                            p.id,
                            p.enterprise_org_id,
                            p.university_org_id,
                            by,
                            now,
                        )
                        .await?;
                    }
                }
            }
            PairingStatus::Negotiating => {
                if let Some(n) = need
                    && n.effective_status(now) == NeedStatus::Open
                {
                    self.set_need_status(txn, n, NeedStatus::Negotiating, now)
                        .await?;
                }
            }
            PairingStatus::Signed => {
                if let Some(n) = need
                    && n.effective_status(now).is_live()
                {
                    self.set_need_status(txn, n, NeedStatus::Signed, now)
                        .await?;
                }
                if change.mark_transferred
                    && achievement.effective_status(now) == AchievementStatus::Published
                {
                    let mut a = achievement.clone();
                    a.status = AchievementStatus::Transferred;
                    a.expires_at = None;
                    a.updated_at = now;
                    listings::save_row(txn, &a).await?;
                    outbox::enqueue(
                        txn,
                        ListingKind::Achievement,
                        a.id,
                        ListingChange::Upsert,
                        now,
                    )
                    .await?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    async fn set_need_status(
        &self,
        txn: &DatabaseTransaction,
        n: &Need,
        status: NeedStatus,
        now: DateTime<Utc>,
    ) -> ServiceResult<()> {
        let mut n = n.clone();
        n.status = status;
        if status == NeedStatus::Signed {
            n.expires_at = None;
        }
        n.updated_at = now;
        listings::save_row(txn, &n).await?;
        outbox::enqueue(txn, ListingKind::Need, n.id, ListingChange::Upsert, now).await?;
        Ok(())
    }

    /// Stores the notifications of one timeline event for everyone involved but its author:
    /// both sides' members, the broker, and for a new request every broker (the queue).
    /// Internal notes reach the pairing's broker only. Texts never name the firm, and name a
    /// confidential need to the result's owner only after INTRODUCED.
    #[allow(clippy::too_many_arguments)]
    async fn notify(
        &self,
        txn: &DatabaseTransaction,
        actor: &Actor,
        p: &Pairing,
        e: &PairingEvent,
        achievement: &Achievement,
        need: Option<&Need>,
        now: DateTime<Utc>,
    ) -> ServiceResult<Vec<Notification>> {
        let me = actor.user_id();
        let not_me =
            |ids: Vec<i32>| -> Vec<i32> { ids.into_iter().filter(|u| Some(*u) != me).collect() };
        let broker: Vec<i32> = not_me(p.broker_id.into_iter().collect());
        if e.internal {
            return stage(
                txn,
                &broker,
                self.outgoing(p, e, achievement, need, true),
                now,
            )
            .await;
        }
        let mut staff = broker;
        if e.kind == PairingEventKind::Requested && p.status == PairingStatus::Requested {
            staff.extend(not_me(inbox::brokers(txn).await?));
        }
        let firm = not_me(inbox::members_of(txn, &[p.enterprise_org_id]).await?);
        let owner = not_me(inbox::members_of(txn, &[p.university_org_id]).await?);
        let mut sent = Vec::new();
        staff.extend(firm);
        sent.extend(
            stage(
                txn,
                &staff,
                self.outgoing(p, e, achievement, need, true),
                now,
            )
            .await?,
        );
        let need_named = need.is_some_and(|n| {
            n.visibility != NeedVisibility::Confidential || p.introduced_at.is_some()
        });
        sent.extend(
            stage(
                txn,
                &owner,
                self.outgoing(p, e, achievement, need, need_named),
                now,
            )
            .await?,
        );
        Ok(sent)
    }

    fn outgoing(
        &self,
        p: &Pairing,
        e: &PairingEvent,
        achievement: &Achievement,
        need: Option<&Need>,
        need_named: bool,
    ) -> Outgoing {
        let subject = match need.filter(|_| need_named) {
            Some(n) => format!("成果“{}”与需求“{}”", achievement.title, n.title),
            None => format!("成果“{}”", achievement.title),
        };
        let mut body = format!("{}：{subject}。", e.kind.label_zh());
        if let Some(note) = &e.note
            && e.kind != PairingEventKind::Requested
        {
            body.push_str(&format!("说明：{note}"));
        }
        if let (Some(due), Some(a)) = (p.due_at, p.awaiting) {
            body.push_str(&format!(
                "（等待{}在 {} 前答复）",
                a.label_zh(),
                due.format("%Y-%m-%d")
            ));
        }
        Outgoing {
            kind: if e.kind == PairingEventKind::Expired {
                NotificationKind::PairingExpired
            } else {
                NotificationKind::Pairing
            },
            // Named by the result, which every recipient may read, not by a row number.
            title: format!("“{}”的对接：{}", achievement.title, p.status.label_zh()),
            body,
            pairing_id: Some(p.id),
            listing: None,
            event_key: Some(format!("pairing-event:{}", e.id)),
        }
    }
}

/// Whether the result's owner may know the firm: it asked openly, its need is public, or the
/// two were introduced.
fn firm_disclosed(p: &Pairing, need_visibility: Option<NeedVisibility>) -> bool {
    p.introduced_at.is_some()
        || match need_visibility {
            None => p.need_id.is_none(),
            Some(v) => v == NeedVisibility::Public,
        }
}

fn stamp(p: &mut Pairing, now: DateTime<Utc>) {
    match p.status {
        PairingStatus::Accepted => {
            p.accepted_at.get_or_insert(now);
        }
        PairingStatus::Introduced => p.introduced_at = Some(now),
        PairingStatus::Negotiating => p.negotiating_at = Some(now),
        PairingStatus::Signed => {
            p.signed_at = Some(now);
            p.closed_at = Some(now);
        }
        PairingStatus::Declined | PairingStatus::Withdrawn | PairingStatus::Expired => {
            p.closed_at = Some(now);
        }
        PairingStatus::Requested => {}
    }
}

fn event(
    p: &Pairing,
    actor: &Actor,
    change: Change,
    from: Option<PairingStatus>,
    now: DateTime<Utc>,
) -> PairingEvent {
    PairingEvent {
        id: 0,
        pairing_id: p.id,
        at: now,
        actor_id: actor.user_id(),
        actor_role: change.role,
        kind: change.kind,
        from_status: from,
        to_status: Some(p.status),
        note: change.note,
        internal: change.internal,
    }
}

fn next(p: &Pairing, m: Move) -> ServiceResult<PairingStatus> {
    next_status(p, m).map_err(|e| illegal(e.0))
}

fn illegal(message: String) -> ServiceError {
    ServiceError::coded(ErrorCode::InvalidStateTransition, message)
}

/// The side the actor answers for.
fn side_of(roles: &[PairingRole]) -> ServiceResult<PairingRole> {
    roles
        .iter()
        .copied()
        .find(|r| matches!(r, PairingRole::Enterprise | PairingRole::University))
        .ok_or_else(|| {
            ServiceError::coded(ErrorCode::Forbidden, "只有企业方或成果方的成员可以答复对接")
        })
}

/// The pairing's broker or an operator, in that role.
fn steering_role(p: &Pairing, actor: &Actor) -> ServiceResult<PairingRole> {
    if !policy::steers_pairing(actor, p.broker_id) {
        return Err(ServiceError::coded(
            ErrorCode::Forbidden,
            "只有负责该对接的技术经纪人或平台管理员可以执行此操作",
        ));
    }
    Ok(if actor.user_id() == p.broker_id {
        PairingRole::Broker
    } else {
        PairingRole::Operator
    })
}

fn side_or_steering(
    p: &Pairing,
    roles: &[PairingRole],
    actor: &Actor,
) -> ServiceResult<PairingRole> {
    side_of(roles).or_else(|_| steering_role(p, actor))
}

fn required_text(field: &str, text: &str, what: &str) -> ServiceResult<String> {
    let text = text.trim();
    if let Some(err) = crate::domain::text::control_character(text, field, what) {
        return Err(ServiceError::Invalid(vec![err]));
    }
    if text.is_empty() || text.chars().count() > MAX_TEXT {
        return Err(ServiceError::Invalid(vec![FieldError::new(
            field,
            ErrorCode::InvalidText,
            format!("{what}不能为空，且不超过 {MAX_TEXT} 个字"),
        )]));
    }
    Ok(text.to_owned())
}

fn optional_text(field: &str, text: Option<&str>) -> ServiceResult<Option<String>> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => required_text(field, t, "说明").map(Some),
        None => Ok(None),
    }
}

fn validate_contract(input: &SignInput, today: NaiveDate) -> ServiceResult<Contract> {
    let mut errors = Vec::new();
    if input.amount_yuan <= 0 || input.amount_yuan > 100_000_000_000 {
        errors.push(FieldError::new(
            "contract.amountYuan",
            ErrorCode::InvalidPriceRange,
            "合同金额须大于 0 元且不超过 1000 亿元（以元为单位）",
        ));
    }
    if input.signed_on > today {
        errors.push(FieldError::new(
            "contract.signedOn",
            ErrorCode::InvalidDate,
            "签订日期不能晚于今天",
        ));
    }
    let registration_number = match input.registration_number.as_deref().map(str::trim) {
        Some(n) if !n.is_empty() => {
            if n.len() > 40 || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                errors.push(FieldError::new(
                    "contract.registrationNumber",
                    ErrorCode::InvalidRegistrationNumber,
                    "技术合同登记号只能由字母、数字和连字符组成，且不超过 40 位",
                ));
            }
            Some(n.to_ascii_uppercase())
        }
        _ => None,
    };
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    Ok(Contract {
        kind: input.kind,
        amount_yuan: input.amount_yuan,
        signed_on: input.signed_on,
        registration_number,
    })
}
