//! Reading listings as one viewer may: who may see which status, redaction of confidential
//! detail and moderation notes, and list queries whose status clauses already leave out what
//! the viewer may not list (so counts never include it).

use crate::db::grants;
use crate::db::listing_query::StatusClause;
use crate::db::listings as repo;
use crate::domain::{ListingSource, ListingStatus};
use crate::error::{ServiceError, ServiceResult};
use crate::service::listings::filters::{ListingFilter, scoped_statuses};
use crate::service::listings::{Kind, ListingService};
use crate::service::{Actor, Page, Window, policy};

impl<K: Kind> ListingService<K> {
    /// One listing, if `actor` may see it. A listing the viewer may not know of is also
    /// visible to an organisation it was disclosed to (a pairing that reached INTRODUCED).
    pub async fn get(&self, actor: &Actor, id: i32) -> ServiceResult<Option<K::View>> {
        let found = match repo::find::<K, _>(&self.ctx.db.conn, id).await? {
            Some(listing) if self.may_see(actor, &listing) => {
                return Ok(Some(self.view_one(actor, listing).await?));
            }
            found => found,
        };
        // Asked whether or not the listing exists, so that a hidden one takes as long to
        // answer as a missing one.
        let disclosed = self.disclosed_to(actor, id).await?;
        match found {
            Some(listing)
                if disclosed && listing.effective_status(self.ctx.clock.now()).is_public() =>
            {
                Ok(Some(self.view_one(actor, listing).await?))
            }
            _ => Ok(None),
        }
    }

    /// The listing with this external id at `source`, for idempotent seeding and imports.
    pub async fn find_external(
        &self,
        actor: &Actor,
        source: ListingSource,
        external_id: &str,
    ) -> ServiceResult<Option<K::View>> {
        match repo::find_external::<K, _>(&self.ctx.db.conn, source, external_id)
            .await?
            .filter(|listing| self.may_see(actor, listing))
        {
            Some(listing) => Ok(Some(self.view_one(actor, listing).await?)),
            None => Ok(None),
        }
    }

    /// A page of listings matching `filter` that `actor` may list.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: &ListingFilter<K::Status>,
        window: Window,
    ) -> ServiceResult<Page<K::View>> {
        let now = self.ctx.clock.now();
        let mut query = filter.to_query(now).map_err(ServiceError::Invalid)?;
        let wanted = if filter.statuses.is_empty() {
            K::Status::LIVE_STATUSES.to_vec()
        } else {
            filter.statuses.clone()
        };
        query.statuses = scoped_statuses(actor, &wanted, K::Status::is_public, status_clause);
        K::restrict(actor, &mut query, filter.depends_on_owner());
        if query.statuses.is_empty() {
            return Ok(Window::page(Vec::new(), 0, 0));
        }
        let db = &self.ctx.db.conn;
        let total = repo::count::<K, _>(db, &query).await?;
        let mut page = self
            .ctx
            .paged(window, total, |offset, limit| {
                repo::page::<K, _>(db, &query, offset, limit)
            })
            .await?;
        let items = self.views(actor, std::mem::take(&mut page.items)).await?;
        Ok(page.with_items(items))
    }

    /// Live listings of each owner, newest first, at most `per_owner` each (for DataLoaders);
    /// listings the viewer may not attribute to their owner are left out of the query, so they
    /// take no places.
    pub async fn live_by_owners(
        &self,
        actor: &Actor,
        owner_ids: &[i32],
        per_owner: usize,
    ) -> ServiceResult<Vec<K::View>> {
        let filter = ListingFilter::<K::Status> {
            owner_ids: owner_ids.to_vec(),
            ..Default::default()
        };
        let mut query = filter
            .to_query(self.ctx.clock.now())
            .map_err(ServiceError::Invalid)?;
        let live = K::Status::LIVE_STATUSES.iter().copied();
        query.statuses = live.map(status_clause).collect();
        K::restrict(actor, &mut query, true);
        let rows = repo::newest_per_owner(&self.ctx.db.conn, &query, per_owner as u64).await?;
        self.views(actor, rows).await
    }

    /// Whether `actor` may see `listing`: published, or unpublished within their scope.
    pub(super) fn may_see(&self, actor: &Actor, listing: &K) -> bool {
        K::may_know(actor, listing)
            && (listing.effective_status(self.ctx.clock.now()).is_public()
                || policy::may_see_unpublished(actor, listing.owner_id()))
    }

    async fn disclosed_to(&self, actor: &Actor, id: i32) -> ServiceResult<bool> {
        Ok(match actor.organization_id() {
            Some(org) => grants::granted_listings(&self.ctx.db.conn, K::KIND, org, &[id])
                .await?
                .contains(&id),
            None => false,
        })
    }

    pub(super) async fn view_one(&self, actor: &Actor, listing: K) -> ServiceResult<K::View> {
        crate::service::single(self.views(actor, vec![listing]).await?)
    }

    /// Redacts what `actor` may not read and reports the effective status.
    async fn views(&self, actor: &Actor, items: Vec<K>) -> ServiceResult<Vec<K::View>> {
        // Grants are read for every page with another organisation's listing on it, not only
        // for pages whose listings hold a confidential detail: the extra statement would tell
        // by its time which visible listings hold one.
        let granted = match actor.organization_id() {
            Some(org) if items.iter().any(|listing| listing.owner_id() != org) => {
                let ids: Vec<i32> = items.iter().map(K::id).collect();
                grants::granted_listings(&self.ctx.db.conn, K::KIND, org, &ids).await?
            }
            _ => Default::default(),
        };
        let now = self.ctx.clock.now();
        Ok(items
            .into_iter()
            .map(|mut listing| {
                let disclosed = granted.contains(&listing.id());
                let owner_id = listing.owner_id();
                if !policy::may_see_confidential(actor, owner_id, disclosed) {
                    *listing.confidential_detail_mut() = None;
                }
                let mut life = listing.lifecycle();
                if !policy::may_see_unpublished(actor, owner_id) {
                    life.moderation_note = None;
                }
                life.status = listing.effective_status(now);
                listing.set_lifecycle(life);
                K::view(actor, listing, disclosed)
            })
            .collect())
    }
}

/// The SQL clause for one wanted status: live statuses not yet past their expiry, EXPIRED
/// stored or overdue, anything else as stored.
fn status_clause<S: ListingStatus>(status: S) -> StatusClause {
    if status.is_live() {
        StatusClause::LiveUnexpired(status.as_str())
    } else if status == S::EXPIRED {
        StatusClause::ExpiredOrOverdue(S::LIVE_STATUSES.iter().map(|s| s.as_str()).collect())
    } else {
        StatusClause::Is(status.as_str())
    }
}
