//! Deadlines: the sweeper expires pairings whose awaited answer is overdue, re-checking each
//! inside its transaction.

use super::PairingService;
use super::moves::{Change, illegal, next};
use crate::db::pairings::{self as repo};
use crate::domain::pairing::{Move, expiry_reason};
use crate::domain::{Awaiting, PairingEventKind, PairingRole};
use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::service::Actor;

impl PairingService {
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
}
