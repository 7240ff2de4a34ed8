//! Reading pairings as one viewer may: one pairing, its timeline, the broker queue and lists.

use super::effects::firm_disclosed;
use super::{PairingFilter, PairingService, PairingView};
use crate::db::listings;
use crate::db::pairings::{self as repo, PairingEvent, PairingQuery};
use crate::domain::{Need, NeedVisibility, Pairing, PairingRole, PairingStatus};
use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::service::{Actor, Page, Window, policy};
use chrono::Duration;

/// The oldest `minAgeDays` a pairing filter takes: a hundred years (a larger one once
/// overflowed the date arithmetic and dropped the connection).
const MAX_AGE_DAYS: i64 = 36_500;

impl PairingService {
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
        let created_before = match filter.min_age_days {
            None => None,
            Some(d @ 0..=MAX_AGE_DAYS) => Some(now - Duration::days(d)),
            Some(_) => {
                return Err(ServiceError::coded(
                    ErrorCode::InvalidArgument,
                    format!("minAgeDays 应在 0 到 {MAX_AGE_DAYS} 之间"),
                ));
            }
        };
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
            created_before,
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

    pub(super) async fn view(&self, actor: &Actor, pairing: Pairing) -> ServiceResult<PairingView> {
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

    pub(super) async fn need_visibility(
        &self,
        p: &Pairing,
    ) -> ServiceResult<Option<NeedVisibility>> {
        Ok(match p.need_id {
            Some(id) => listings::find::<Need, _>(&self.ctx.db.conn, id)
                .await?
                .map(|n| n.visibility),
            None => None,
        })
    }
}
