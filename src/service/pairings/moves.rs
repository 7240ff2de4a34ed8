//! The broker's moves on an open pairing (take, assign, agree, negotiate, sign, decline,
//! withdraw, note): who may make each, the state machine's answer, the deadline it sets, and
//! the one transaction that stores the move with its timeline event.

use super::{MAX_TEXT, PairingService, PairingView, SignInput};
use crate::db::listings;
use crate::db::pairings::{self as repo, PairingEvent};
use crate::domain::pairing::{Move, awaiting, next_status};
use crate::domain::{
    Achievement, Awaiting, Contract, Need, Pairing, PairingEventKind, PairingRole, PairingStatus,
};
use crate::error::{ErrorCode, FieldError, ServiceError, ServiceResult};
use crate::service::audit::Target;
use crate::service::{Actor, policy};
use chrono::{DateTime, Duration, NaiveDate, Utc};

impl PairingService {
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

    /// Sets whose answer is due and by when.
    pub(super) fn schedule(&self, p: &mut Pairing, now: DateTime<Utc>) {
        p.awaiting = awaiting(p, p.status);
        p.due_at = p.awaiting.map(|a| {
            let days = match a {
                Awaiting::Broker => self.rules().accept_within_days,
                _ => self.rules().answer_within_days,
            };
            now + Duration::days(days)
        });
    }

    pub(super) async fn transition<F>(
        &self,
        actor: &Actor,
        id: i32,
        action: &'static str,
        decide: F,
    ) -> ServiceResult<PairingView>
    where
        F: FnOnce(&mut Pairing, &[PairingRole], &Actor) -> ServiceResult<Change>,
    {
        self.ctx
            .audited(actor, action, Target::of("Pairing", id), async {
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
            })
            .await
    }
}

/// What one move does besides changing the status.
pub(super) struct Change {
    pub(super) kind: PairingEventKind,
    pub(super) role: PairingRole,
    pub(super) note: Option<String>,
    pub(super) internal: bool,
    pub(super) mark_transferred: bool,
}

impl Change {
    pub(super) fn new(kind: PairingEventKind, role: PairingRole) -> Self {
        Self {
            kind,
            role,
            note: None,
            internal: false,
            mark_transferred: false,
        }
    }

    pub(super) fn with_note(mut self, note: Option<String>) -> Self {
        self.note = note;
        self
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

pub(super) fn event(
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

pub(super) fn next(p: &Pairing, m: Move) -> ServiceResult<PairingStatus> {
    next_status(p, m).map_err(|e| illegal(e.0))
}

pub(super) fn illegal(message: String) -> ServiceError {
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

pub(super) fn required_text(field: &str, text: &str, what: &str) -> ServiceResult<String> {
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
