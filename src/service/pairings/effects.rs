//! What a move does besides the pairing row: disclosure grants at INTRODUCED, the listing
//! status at NEGOTIATING and SIGNED, a judgement on the match at SIGNED and DECLINED, and the
//! notifications of everyone involved (texts that
//! never name a firm the reader may not know).

use super::PairingService;
use super::moves::Change;
use crate::db::listings;
use crate::db::matches::{Judgement, record_judgement};
use crate::db::outbox::{self, ListingChange, ListingKind};
use crate::db::pairings::PairingEvent;
use crate::db::{grants, notifications as inbox};
use crate::domain::{
    Achievement, AchievementStatus, Listing, Need, NeedStatus, NeedVisibility, NotificationKind,
    Pairing, PairingEventKind, PairingStatus,
};
use crate::error::ServiceResult;
use crate::service::Actor;
use crate::service::notifications::{Notification, Outgoing, stage};
use chrono::{DateTime, Utc};
use sea_orm::DatabaseTransaction;

impl PairingService {
    /// Disclosure at INTRODUCED; listing statuses at NEGOTIATING and SIGNED.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn side_effects(
        &self,
        txn: &DatabaseTransaction,
        actor: &Actor,
        p: &Pairing,
        change: &Change,
        achievement: &Achievement,
        need: Option<&Need>,
        now: DateTime<Utc>,
    ) -> ServiceResult<()> {
        // A contract or a refusal is a judgement on the match of the two listings.
        let judgement = match p.status {
            PairingStatus::Signed => Some(Judgement::Signed),
            PairingStatus::Declined => Some(Judgement::Declined),
            _ => None,
        };
        if let (Some(judgement), Some(n)) = (judgement, need) {
            record_judgement(
                txn,
                n.id,
                achievement.id,
                judgement,
                Some(p.id),
                actor.user_id(),
                now,
            )
            .await?;
        }
        match p.status {
            PairingStatus::Introduced => {
                let by = actor.user_id();
                grants::grant(
                    txn,
                    grants::NewGrant {
                        kind: ListingKind::Achievement,
                        listing_id: achievement.id,
                        owner_org_id: achievement.owner_id,
                        grantee_org_id: p.enterprise_org_id,
                        granted_by: by,
                        reason: "对接引荐",
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
                                reason: "对接引荐",
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
    pub(super) async fn notify(
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
pub(super) fn firm_disclosed(p: &Pairing, need_visibility: Option<NeedVisibility>) -> bool {
    p.introduced_at.is_some()
        || match need_visibility {
            None => p.need_id.is_none(),
            Some(v) => v == NeedVisibility::Public,
        }
}
