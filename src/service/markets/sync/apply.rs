//! Applying a pulled page: per record, create (or link as a duplicate), update what the
//! record created, withdraw what the market removed, or quarantine what cannot be read; one
//! transaction per page.

use super::records::{achievement_input, need_input};
use super::{Outcome, SyncService};
use crate::connectors::{Market, RemoteListing};
use crate::db::outbox::ListingKind;
use crate::db::sync::{self as repo, NewLink, RunCounts};
use crate::domain::{AchievementStatus, ListingSource, NeedStatus, OrganizationKind};
use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::service::Actor;
use crate::service::listings::inputs::OrganizationInput;
use crate::service::markets::dedup::Siblings;
use std::collections::HashMap;
use std::sync::Arc;

impl SyncService {
    /// Applies one page. Records we hold already (updates, removals) go one by one through
    /// the listing services; new records are created or linked in one transaction together
    /// with the page's quarantine rows, the run's counts and the cursor, so a crash leaves
    /// either the whole page applied or none of it.
    pub(super) async fn apply_page(
        &self,
        market: Market,
        run_id: i32,
        page: &crate::connectors::Page,
        counts: &mut RunCounts,
        cache: &mut RunCache,
    ) -> ServiceResult<()> {
        let db = &self.ctx.db.conn;
        let source = market.source();
        let ids: Vec<&str> = page
            .records
            .iter()
            .map(|r| r.external_id.as_str())
            .collect();
        let known = repo::known_external_ids(db, source.as_str(), &ids).await?;
        let mut quarantine: Vec<(Option<String>, String, String)> = page
            .bad
            .iter()
            .map(|b| (b.external_id.clone(), b.raw.clone(), b.error.clone()))
            .collect();
        counts.quarantined += quarantine.len() as i64;
        // The newest version of each new record in this page (pages may repeat records).
        let mut fresh: Vec<&RemoteListing> = Vec::new();
        for r in &page.records {
            if !r.unmapped.is_empty() {
                counts.unmapped += 1;
            }
            if known.contains(r.external_id.as_str()) {
                let outcome = self.apply(market, r).await?;
                tally(counts, &mut quarantine, r, outcome);
            } else if r.removed {
                counts.unchanged += 1;
            } else if let Some(i) = fresh.iter().position(|f| f.external_id == r.external_id) {
                counts.unchanged += 1;
                if r.updated_at > fresh[i].updated_at {
                    fresh[i] = r;
                }
            } else {
                fresh.push(r);
            }
        }
        // Owners first: a new organisation is its own write.
        let mut ready: Vec<(&RemoteListing, i32)> = Vec::with_capacity(fresh.len());
        for r in fresh {
            match self.owner_cached(market, r, cache).await {
                Ok(owner) => ready.push((r, owner)),
                Err(ServiceError::Invalid(fields)) => {
                    tally(counts, &mut quarantine, r, quarantined(&fields))
                }
                Err(ServiceError::Coded { message, .. }) => {
                    tally(counts, &mut quarantine, r, Outcome::Quarantined(message))
                }
                Err(e) => return Err(e),
            }
        }
        let txn = self.ctx.db.begin_write().await?;
        for (r, owner) in ready {
            let outcome = self.create_or_link(&txn, market, r, owner, cache).await?;
            tally(counts, &mut quarantine, r, outcome);
        }
        let now = self.ctx.clock.now();
        for (external_id, raw, error) in &quarantine {
            repo::quarantine(
                &txn,
                run_id,
                market.as_str(),
                external_id.as_deref(),
                raw,
                error,
                now,
            )
            .await?;
        }
        repo::set_cursor(&txn, market.as_str(), &page.next_cursor, now).await?;
        repo::record_run(&txn, run_id, *counts, None).await?;
        self.ctx
            .audit_ok(
                &txn,
                &Actor::System,
                "syncPage",
                crate::service::audit::Target::of("SyncRun", run_id),
            )
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Creates a new record's listing, or links it to the listing it duplicates.
    async fn create_or_link(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        market: Market,
        r: &RemoteListing,
        owner: i32,
        cache: &mut RunCache,
    ) -> ServiceResult<Outcome> {
        let source = market.source();
        let tracks = cache.tracks.clone();
        let siblings = cache.siblings(&self.ctx.db.conn, r.kind, owner).await?;
        if let Some(existing) = siblings.find(&r.title, &r.patents) {
            repo::save_link(
                txn,
                link_of(r, market, existing, "matched"),
                self.ctx.clock.now(),
            )
            .await?;
            tracing::info!(market = market.as_str(), external_id = %r.external_id, listing = existing, "record recognised as an existing listing");
            return Ok(Outcome::Merged);
        }
        let created = match r.kind {
            ListingKind::Achievement => {
                let input = match achievement_input(r) {
                    Ok(input) => input,
                    Err(why) => return Ok(Outcome::Quarantined(why)),
                };
                self.achievements
                    .import_in(txn, owner, &input, source, &r.external_id, &tracks)
                    .await
                    .map(|a| a.id)
            }
            ListingKind::Need => self
                .needs
                .import_in(txn, owner, &need_input(r), source, &r.external_id, &tracks)
                .await
                .map(|n| n.id),
        };
        let id = match created {
            Ok(id) => id,
            Err(ServiceError::Invalid(fields)) => return Ok(quarantined(&fields)),
            Err(e) => return Err(e),
        };
        repo::save_link(txn, link_of(r, market, id, "created"), self.ctx.clock.now()).await?;
        siblings.push(id, &r.title, &r.patents);
        Ok(Outcome::Created)
    }

    async fn owner_cached(
        &self,
        market: Market,
        r: &RemoteListing,
        cache: &mut RunCache,
    ) -> ServiceResult<i32> {
        let code = r
            .owner
            .credit_code
            .as_deref()
            .map(str::trim)
            .unwrap_or_default();
        if let Some(id) = cache.owners.get(code) {
            return Ok(*id);
        }
        let id = self.owner(market, r).await?;
        cache.owners.insert(code.to_owned(), id);
        Ok(id)
    }

    pub(super) async fn apply(&self, market: Market, r: &RemoteListing) -> ServiceResult<Outcome> {
        let db = &self.ctx.db.conn;
        let source = market.source();
        let mut link = repo::find_link(db, source.as_str(), &r.external_id).await?;
        if link.is_none() {
            // Created in an earlier attempt whose link write was lost: the listing holds the id.
            if let Some(id) = self.find_created(r.kind, source, &r.external_id).await? {
                self.save_link(r, market, id, "created").await?;
                link = repo::find_link(db, source.as_str(), &r.external_id).await?;
            }
        }
        let unchanged = link
            .as_ref()
            .is_some_and(|l| r.updated_at <= l.remote_updated_at && r.removed == l.removed);
        if unchanged {
            return Ok(Outcome::Unchanged);
        }
        if r.removed {
            let Some(link) = link else {
                return Ok(Outcome::Unchanged);
            };
            if link.link == "created" {
                self.withdraw(r.kind, link.listing_id).await?;
            }
            self.save_link(r, market, link.listing_id, &link.link)
                .await?;
            return Ok(Outcome::Withdrawn);
        }
        if let Some(link) = link {
            if link.link == "created" {
                let outcome = self.replace(r, link.listing_id, link.removed).await?;
                if let Outcome::Quarantined(_) = outcome {
                    return Ok(outcome);
                }
            }
            self.save_link(r, market, link.listing_id, &link.link)
                .await?;
            return Ok(Outcome::Updated);
        }
        // Unknown records are created page-wise in `apply_page`.
        Ok(Outcome::Unchanged)
    }

    async fn find_created(
        &self,
        kind: ListingKind,
        source: ListingSource,
        external_id: &str,
    ) -> ServiceResult<Option<i32>> {
        Ok(match kind {
            ListingKind::Achievement => self
                .achievements
                .find_external(&Actor::System, source, external_id)
                .await?
                .map(|a| a.id),
            ListingKind::Need => self
                .needs
                .find_external(&Actor::System, source, external_id)
                .await?
                .map(|n| n.need.id),
        })
    }

    async fn save_link(
        &self,
        r: &RemoteListing,
        market: Market,
        listing_id: i32,
        link: &str,
    ) -> ServiceResult<()> {
        let row = link_of(r, market, listing_id, link);
        repo::save_link(&self.ctx.db.conn, row, self.ctx.clock.now()).await?;
        Ok(())
    }

    /// Withdraws a listing the market took down, if it is live.
    pub(super) async fn withdraw(&self, kind: ListingKind, id: i32) -> ServiceResult<()> {
        let r = match kind {
            ListingKind::Achievement => self
                .achievements
                .withdraw(&Actor::System, id)
                .await
                .map(|_| ()),
            ListingKind::Need => self.needs.withdraw(&Actor::System, id).await.map(|_| ()),
        };
        match r {
            Ok(()) => Ok(()),
            // Already withdrawn, closed or transferred here: nothing to undo.
            Err(ServiceError::Coded {
                code: ErrorCode::InvalidStateTransition,
                ..
            }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Updates a listing this market created; republishes it when the market had taken it
    /// down and lists it again (unless an operator moderated it here).
    async fn replace(
        &self,
        r: &RemoteListing,
        id: i32,
        was_removed: bool,
    ) -> ServiceResult<Outcome> {
        let result = match r.kind {
            ListingKind::Achievement => {
                let input = match achievement_input(r) {
                    Ok(input) => input,
                    Err(why) => return Ok(Outcome::Quarantined(why)),
                };
                match self.achievements.replace_imported(id, &input).await {
                    Ok(a) => {
                        if was_removed
                            && a.moderation_note.is_none()
                            && matches!(
                                a.status,
                                AchievementStatus::Withdrawn | AchievementStatus::Expired
                            )
                        {
                            self.achievements.publish_imported(id).await?;
                        }
                        Ok(())
                    }
                    Err(e) => Err(e),
                }
            }
            ListingKind::Need => match self.needs.replace_imported(id, &need_input(r)).await {
                Ok(n) => {
                    if was_removed
                        && n.need.moderation_note.is_none()
                        && matches!(n.need.status, NeedStatus::Withdrawn | NeedStatus::Expired)
                    {
                        self.needs.publish_imported(id).await?;
                    }
                    Ok(())
                }
                Err(e) => Err(e),
            },
        };
        match result {
            Ok(()) => Ok(Outcome::Updated),
            Err(ServiceError::Invalid(fields)) => Ok(quarantined(&fields)),
            // Transferred or signed here: the local state wins; the link still records the update.
            Err(ServiceError::Coded {
                code: ErrorCode::InvalidStateTransition,
                ..
            }) => Ok(Outcome::Updated),
            Err(e) => Err(e),
        }
    }

    /// The local organisation of a record's owner, created unverified when its credit code is
    /// new to us.
    pub(super) async fn owner(&self, market: Market, r: &RemoteListing) -> ServiceResult<i32> {
        let code = r
            .owner
            .credit_code
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .ok_or_else(|| {
                ServiceError::coded(
                    ErrorCode::InvalidCreditCode,
                    "缺少所属机构的统一社会信用代码，无法确认机构",
                )
            })?;
        if let Some(org) = self
            .organizations
            .find_by_credit_code(&Actor::System, code)
            .await?
        {
            return Ok(org.id);
        }
        let name = r.owner.name.trim();
        let kind = if name.contains("大学") || name.contains("学院") {
            OrganizationKind::University
        } else if name.contains("研究所") || name.contains("研究院") || name.contains("科学院")
        {
            OrganizationKind::ResearchInstitute
        } else {
            OrganizationKind::Enterprise
        };
        let input = OrganizationInput {
            kind,
            name: name.to_owned(),
            credit_code: code.to_owned(),
            region: r.owner.region.clone().unwrap_or_default(),
            description: format!("由{}同步的机构信息，尚未在本平台认证。", market.label_zh()),
            contact_name: None,
            contact_phone: None,
            contact_email: None,
        };
        match self.organizations.create(&Actor::System, &input).await {
            Ok(org) => Ok(org.id),
            // Created meanwhile (another market's run, or someone registering it): use it.
            Err(ServiceError::Coded {
                code: ErrorCode::Conflict,
                ..
            }) => self
                .organizations
                .find_by_credit_code(&Actor::System, code)
                .await?
                .map(|org| org.id)
                .ok_or_else(|| {
                    ServiceError::coded(ErrorCode::Conflict, "机构正被同时登记，请稍后重试")
                }),
            Err(err) => Err(err),
        }
    }
}

/// What one run remembers: owners by credit code, and each owner's listings for duplicate
/// detection (loaded once per owner, then kept up to date as the run creates listings).
#[derive(Default)]
pub(super) struct RunCache {
    pub(super) tracks: Arc<Vec<crate::domain::PriorityTrack>>,
    pub(super) owners: HashMap<String, i32>,
    pub(super) siblings: HashMap<(ListingKind, i32), Siblings>,
}

impl RunCache {
    async fn siblings(
        &mut self,
        db: &sea_orm::DatabaseConnection,
        kind: ListingKind,
        owner: i32,
    ) -> ServiceResult<&mut Siblings> {
        if let std::collections::hash_map::Entry::Vacant(slot) = self.siblings.entry((kind, owner))
        {
            slot.insert(Siblings::of_owner(db, kind, owner).await?);
        }
        Ok(self
            .siblings
            .get_mut(&(kind, owner))
            .expect("just inserted"))
    }
}

fn link_of<'a>(
    r: &'a RemoteListing,
    market: Market,
    listing_id: i32,
    link: &'a str,
) -> NewLink<'a> {
    NewLink {
        kind: r.kind,
        listing_id,
        source: market.source().as_str(),
        external_id: &r.external_id,
        remote_updated_at: r.updated_at,
        removed: r.removed,
        link,
        payload: &r.raw,
        unmapped: serde_json::to_string(&r.unmapped).unwrap_or_else(|_| "[]".into()),
    }
}

/// Adds one record's outcome to the counts; a quarantined record joins the page's list.
fn tally(
    counts: &mut RunCounts,
    quarantine: &mut Vec<(Option<String>, String, String)>,
    r: &RemoteListing,
    outcome: Outcome,
) {
    match outcome {
        Outcome::Created => counts.created += 1,
        Outcome::Updated => counts.updated += 1,
        Outcome::Unchanged => counts.unchanged += 1,
        Outcome::Withdrawn => counts.withdrawn += 1,
        Outcome::Merged => counts.merged += 1,
        Outcome::Quarantined(error) => {
            counts.quarantined += 1;
            quarantine.push((Some(r.external_id.clone()), r.raw.clone(), error));
        }
    }
}

pub(super) fn quarantined(fields: &[crate::error::FieldError]) -> Outcome {
    Outcome::Quarantined(
        fields
            .iter()
            .map(|f| format!("{}：{}", f.field.join("."), f.message))
            .collect::<Vec<_>>()
            .join("；"),
    )
}
