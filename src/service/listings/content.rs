//! Writing a listing's content: create a draft, change it, and the paths by which market sync
//! and spreadsheet import write inside their own transactions. Content changes keep the
//! lifecycle; validation reads the priority tracks in the same transaction.

use crate::db::listings as repo;
use crate::db::organizations as org_repo;
use crate::db::outbox::{self, ListingChange};
use crate::db::tracks as track_repo;
use crate::domain::{Lifecycle, ListingSource, ListingStatus, PriorityTrack};
use crate::error::{ErrorCode, ServiceError, ServiceResult};
use crate::service::audit::Target;
use crate::service::listings::kind::StatusOf;
use crate::service::listings::{Kind, ListingService};
use crate::service::{Actor, policy};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::DatabaseTransaction;

impl<K: Kind> ListingService<K> {
    /// Creates a draft owned by `owner_id`; members of that organisation only.
    pub async fn create(
        &self,
        actor: &Actor,
        owner_id: i32,
        input: &K::Input,
    ) -> ServiceResult<K::View> {
        self.create_from(actor, owner_id, input, ListingSource::Local, None)
            .await
    }

    /// Creates a draft that came from `source` under `external_id` (seeding, imports).
    pub async fn create_from(
        &self,
        actor: &Actor,
        owner_id: i32,
        input: &K::Input,
        source: ListingSource,
        external_id: Option<String>,
    ) -> ServiceResult<K::View> {
        let action = format!("create{}", K::NODE);
        self.ctx
            .audited(actor, &action, Target::org(owner_id), async {
                policy::may_edit_listing(actor, owner_id)?;
                let txn = self.ctx.db.begin_write().await?;
                if org_repo::find(&txn, owner_id).await?.is_none() {
                    return Err(ServiceError::not_found("机构"));
                }
                let now = self.ctx.clock.now();
                let content = validate::<K>(&txn, input, now.date_naive()).await?;
                let life = Lifecycle {
                    owner_id,
                    source,
                    external_id,
                    ..Lifecycle::draft(now)
                };
                let saved = repo::save(&txn, &stamped(content, life)).await?;
                outbox::enqueue(&txn, K::KIND, saved.id(), ListingChange::Upsert, now).await?;
                self.ctx
                    .audit_ok(&txn, actor, &action, Target::of(K::NODE, saved.id()))
                    .await?;
                txn.commit().await?;
                tracing::debug!(kind = K::NODE, id = saved.id(), owner_id, "listing created");
                self.view_one(actor, saved).await
            })
            .await
    }

    /// Applies `patch`; lifecycle status is unchanged.
    pub async fn update(&self, actor: &Actor, id: i32, patch: K::Patch) -> ServiceResult<K::View> {
        self.save_content(actor, id, "update", |current| current.patched(patch))
            .await
    }

    /// Replaces the content of a listing that came from a market with what the market now
    /// says; lifecycle status is unchanged. The system only (market sync).
    pub(crate) async fn replace_imported(
        &self,
        id: i32,
        input: &K::Input,
    ) -> ServiceResult<K::View> {
        self.save_content(&Actor::System, id, "sync", |_| input.clone())
            .await
    }

    async fn save_content(
        &self,
        actor: &Actor,
        id: i32,
        verb: &'static str,
        input: impl FnOnce(&K) -> K::Input,
    ) -> ServiceResult<K::View> {
        let action = format!("{verb}{}", K::NODE);
        self.ctx
            .audited(actor, &action, Target::of(K::NODE, id), async {
                let txn = self.ctx.db.begin_write().await?;
                let current = self.load_for_edit(&txn, actor, id).await?;
                current.ensure_editable()?;
                let now = self.ctx.clock.now();
                let earliest = current.earliest_deadline(now.date_naive());
                let content = validate::<K>(&txn, &input(&current), earliest).await?;
                let next = with_content(&current, content, now);
                let saved = repo::save(&txn, &next).await?;
                outbox::enqueue(&txn, K::KIND, id, ListingChange::Upsert, now).await?;
                self.ctx
                    .audit_ok(&txn, actor, &action, Target::of(K::NODE, id))
                    .await?;
                txn.commit().await?;
                self.view_one(actor, saved).await
            })
            .await
    }

    /// Creates a listing that came from a market, already live (the market vouches for its
    /// owner), inside the caller's transaction: market sync writes (and audits) a page at a
    /// time. `tracks` are the priority tracks, read once per run.
    pub(crate) async fn import_in(
        &self,
        txn: &DatabaseTransaction,
        owner_id: i32,
        input: &K::Input,
        source: ListingSource,
        external_id: &str,
        tracks: &[PriorityTrack],
    ) -> ServiceResult<K> {
        let now = self.ctx.clock.now();
        let known = |code: &str| tracks.iter().any(|t| t.code == code && t.active);
        let content =
            K::validate(input, &known, now.date_naive()).map_err(ServiceError::Invalid)?;
        let life = Lifecycle {
            owner_id,
            source,
            external_id: Some(external_id.to_owned()),
            ..self.published(now)
        };
        let saved = repo::save(txn, &stamped(content, life)).await?;
        outbox::enqueue(txn, K::KIND, saved.id(), ListingChange::Upsert, now).await?;
        Ok(saved)
    }

    /// Creates listings from spreadsheet rows inside the caller's transaction, in a few
    /// statements (the import audits the whole file once): drafts, or live when `publish`
    /// (the caller checked that the owner is verified). Returns them in no particular order.
    pub(crate) async fn create_imported_many_in(
        &self,
        txn: &DatabaseTransaction,
        owner_id: i32,
        contents: Vec<K>,
        publish: bool,
    ) -> ServiceResult<Vec<K>> {
        let now = self.ctx.clock.now();
        let life = Lifecycle {
            owner_id,
            ..if publish {
                self.published(now)
            } else {
                Lifecycle::draft(now)
            }
        };
        let drafts: Vec<K> = contents
            .into_iter()
            .map(|content| stamped(content, life.clone()))
            .collect();
        let saved = repo::insert_many(txn, &drafts).await?;
        let ids: Vec<i32> = saved.iter().map(K::id).collect();
        outbox::enqueue_many(txn, K::KIND, &ids, now).await?;
        Ok(saved)
    }

    /// What `current` becomes with `content` from a spreadsheet row, unsaved; `None` when
    /// nothing would change.
    pub(crate) fn revised(&self, current: &K, content: K) -> ServiceResult<Option<K>> {
        current.ensure_editable()?;
        let next = with_content(current, content, current.lifecycle().updated_at);
        Ok((next != *current).then_some(next))
    }

    /// Saves a revision made by [`Self::revised`] inside the caller's transaction.
    pub(crate) async fn save_revised_in(
        &self,
        txn: &DatabaseTransaction,
        next: K,
    ) -> ServiceResult<K> {
        // The revision was made from a copy read before this transaction: refuse it if the
        // listing changed since, rather than overwrite that change.
        let stored = repo::find_for_update::<K, _>(txn, next.id())
            .await?
            .ok_or_else(|| ServiceError::not_found(K::NOUN))?;
        let mut life = next.lifecycle();
        if stored.lifecycle().updated_at != life.updated_at {
            return Err(ServiceError::coded(
                ErrorCode::Conflict,
                format!(
                    "{}“{}”在导入期间被修改，请重新导入这一行",
                    K::SHORT_NOUN,
                    stored.title()
                ),
            ));
        }
        let now = self.ctx.clock.now();
        life.updated_at = now;
        let mut next = next;
        next.set_lifecycle(life);
        let saved = repo::save(txn, &next).await?;
        outbox::enqueue(txn, K::KIND, next.id(), ListingChange::Upsert, now).await?;
        Ok(saved)
    }

    /// A new listing's lifecycle when it goes live at `now`.
    fn published(&self, now: DateTime<Utc>) -> Lifecycle<StatusOf<K>> {
        Lifecycle {
            status: StatusOf::<K>::LIVE,
            published_at: Some(now),
            expires_at: Some(now + Duration::days(self.ctx.settings.listing_ttl_days)),
            ..Lifecycle::draft(now)
        }
    }
}

/// Validates `input` against the priority tracks as `txn` sees them.
async fn validate<K: Kind>(
    txn: &DatabaseTransaction,
    input: &K::Input,
    earliest_deadline: NaiveDate,
) -> ServiceResult<K> {
    let tracks = track_repo::all(txn).await?;
    let known = |code: &str| tracks.iter().any(|t| t.code == code && t.active);
    K::validate(input, &known, earliest_deadline).map_err(ServiceError::Invalid)
}

/// The validated `content` with the shared fields of `lifecycle`.
fn stamped<K: Kind>(mut content: K, lifecycle: Lifecycle<StatusOf<K>>) -> K {
    content.set_lifecycle(lifecycle);
    content
}

/// `current` with new content; lifecycle, origin and dates kept, `updated_at` given.
fn with_content<K: Kind>(current: &K, content: K, updated_at: DateTime<Utc>) -> K {
    let lifecycle = Lifecycle {
        updated_at,
        ..current.lifecycle()
    };
    stamped(content, lifecycle)
}
