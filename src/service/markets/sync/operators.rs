//! What operators see and change of market sync: the runs, the quarantined records, a
//! listing's sources, the opt-in to publishing, and splitting a wrong duplicate link.

use super::SyncService;
use super::records::{achievement_input, need_input};
use crate::connectors::Market;
use crate::db::outbox::ListingKind;
use crate::db::sync::{self as repo, RunRow};
use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::service::{Actor, Page, Window, policy};

impl SyncService {
    /// A page of the runs (of one market, or all), newest first; operators.
    pub async fn runs(
        &self,
        actor: &Actor,
        market: Option<Market>,
        window: Window,
    ) -> ServiceResult<Page<RunRow>> {
        policy::require_operator(actor)?;
        let db = &self.ctx.db.conn;
        let market = market.map(Market::as_str);
        let total = repo::count_runs(db, market).await?;
        self.ctx
            .paged(window, total, |offset, limit| {
                repo::page_runs(db, market, offset, limit)
            })
            .await
    }

    /// The records one run quarantined; operators.
    pub async fn quarantined(
        &self,
        actor: &Actor,
        run_id: i32,
    ) -> ServiceResult<Vec<repo::QuarantinedRow>> {
        policy::require_operator(actor)?;
        Ok(repo::quarantined(&self.ctx.db.conn, run_id).await?)
    }

    /// Where a listing came from: every market record linked to it.
    pub async fn sources(
        &self,
        kind: ListingKind,
        listing_ids: &[i32],
    ) -> ServiceResult<Vec<repo::SourceLink>> {
        Ok(repo::links_of(&self.ctx.db.conn, kind, listing_ids).await?)
    }

    /// Opts an organisation in or out of publishing its listings to a market; its admins (or
    /// operators). Opting in queues every live listing of the organisation.
    pub async fn set_publishing(
        &self,
        actor: &Actor,
        organization_id: i32,
        market: Market,
        enabled: bool,
    ) -> ServiceResult<Vec<Market>> {
        policy::require_org_admin(actor, organization_id)?;
        let txn = self.ctx.db.begin_write().await?;
        crate::db::organizations::find(&txn, organization_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("机构"))?;
        repo::set_optin(
            &txn,
            organization_id,
            market.as_str(),
            enabled,
            self.ctx.clock.now(),
        )
        .await?;
        let markets = repo::optins(&txn, organization_id).await?;
        txn.commit().await?;
        if enabled {
            for (kind, id) in repo::listings_of_owner(&self.ctx.db.conn, organization_id).await? {
                self.plan_push(kind, id).await?;
            }
        }
        Ok(markets.iter().filter_map(|m| Market::parse(m)).collect())
    }

    /// Undoes a wrong merge: the market record linked to an existing listing becomes a listing
    /// of its own, created from the record as last received; operators. Later syncs update it.
    pub async fn split(
        &self,
        actor: &Actor,
        market: Market,
        external_id: &str,
    ) -> ServiceResult<(ListingKind, i32)> {
        policy::require_operator(actor)?;
        let db = &self.ctx.db.conn;
        let link = repo::find_link(db, market.source().as_str(), external_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("来源记录"))?;
        if link.link != "matched" {
            return Err(ServiceError::coded(
                ErrorCode::InvalidStateTransition,
                "这条来源记录创建了该信息本身，不是合并进来的，无需拆分",
            ));
        }
        let kind = ListingKind::from_stored(&link.listing_kind);
        let r = crate::connectors::reread(market, kind, &link.payload)
            .map_err(|b| ServiceError::coded(ErrorCode::InvalidArgument, b.error))?;
        let owner = self.owner(market, &r).await?;
        let tracks = crate::db::tracks::all(db).await?;
        let txn = self.ctx.db.begin_write().await?;
        let id = match kind {
            ListingKind::Achievement => {
                let input = achievement_input(&r)
                    .map_err(|why| ServiceError::coded(ErrorCode::InvalidArgument, why))?;
                self.achievements
                    .import_in(&txn, owner, &input, market.source(), external_id, &tracks)
                    .await?
                    .id
            }
            ListingKind::Need => {
                self.needs
                    .import_in(
                        &txn,
                        owner,
                        &need_input(&r),
                        market.source(),
                        external_id,
                        &tracks,
                    )
                    .await?
                    .id
            }
        };
        repo::relink(&txn, link.id, id, "created", self.ctx.clock.now()).await?;
        self.ctx
            .audit_ok(
                &txn,
                actor,
                "splitListingSource",
                crate::service::audit::Target::of(
                    if kind == ListingKind::Need {
                        "Need"
                    } else {
                        "Achievement"
                    },
                    id,
                ),
            )
            .await?;
        txn.commit().await?;
        tracing::info!(
            market = market.as_str(),
            external_id,
            from = link.listing_id,
            to = id,
            "merged record split off"
        );
        Ok((kind, id))
    }
}
