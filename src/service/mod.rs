//! Use cases: validation, visibility, lifecycle and transactions.
//!
//! Every call takes the [`Actor`] it acts for; the rules about who may see or change what live
//! in [`policy`] and nowhere else, so no resolver can bypass them. Services return domain
//! records and never build GraphQL types.
//!
//! By area: `listings/` (results and needs through one core, their owners, tracks and inputs),
//! `accounts/` (who people are, tokens, membership), `pairings/` (the broker workflow and its
//! statistics), `markets/` (market sync and spreadsheet import). Beside them: the actor and
//! `policy`, audit, disclosure grants, notifications and alerts, background-job leases, search
//! and matching.

pub mod accounts;
pub mod actor;
pub mod audit;
pub mod disclosure;
pub mod jobs;
pub mod listings;
pub mod markets;
pub mod matching;
pub mod notifications;
pub mod page;
pub mod pairings;
pub mod policy;

pub use actor::Actor;
pub use page::{Page, Window};

// The paths these modules had before the folders, for callers outside them (the tests and
// benches), so a module's move is not an API change for them.
pub use accounts::{members, tokens};
pub use listings::{achievements, expiry, filters, inputs, needs, organizations, tracks};
pub use markets::{dedup, import, import_columns, sync};
pub use matching::{alerts, search};
pub use pairings::{stats as pairing_stats, stats_period};

use crate::clock::SharedClock;
use crate::db::Database;
use std::sync::Arc;

/// Settings the use cases need.
#[derive(Debug, Clone)]
pub struct ServiceSettings {
    /// Days a published listing stays live without renewal.
    pub listing_ttl_days: i64,
    /// Broker workflow deadlines and notification thresholds.
    pub pairing: pairings::PairingRules,
    /// Market connections.
    pub connectors: crate::connectors::ConnectorsSettings,
    /// Largest page a list query returns.
    pub max_page_size: u64,
    /// Page size when the caller gives none.
    pub default_page_size: u64,
    /// The signing secret (resolved: never empty), token lifetimes and password hashing cost.
    pub auth: accounts::AuthSettings,
    /// Seconds a replica holds a background job's lease without renewing it.
    pub job_lease_secs: i64,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        Self {
            listing_ttl_days: 180,
            pairing: pairings::PairingRules::default(),
            connectors: Default::default(),
            max_page_size: 100,
            default_page_size: 20,
            auth: accounts::AuthSettings {
                signing_secret: "qianxian-test-secret-0123456789abcdef".to_owned(),
                ..Default::default()
            },
            job_lease_secs: 30,
        }
    }
}

/// What every service holds: the database, the clock and the settings.
#[derive(Debug)]
pub struct Context {
    /// The database.
    pub db: Database,
    /// The clock.
    pub clock: SharedClock,
    /// Settings.
    pub settings: ServiceSettings,
    /// Pushes committed notifications to live subscribers.
    pub hub: notifications::NotificationHub,
    /// Names rows outside the service (API ids, keys pushed to markets).
    pub ids: crate::ids::IdCodec,
}

impl Context {
    /// Resolves `window` against `total` and reads that slice with `read(offset, limit)`.
    pub(crate) async fn paged<T, F, Fut>(
        &self,
        window: Window,
        total: u64,
        read: F,
    ) -> crate::error::ServiceResult<Page<T>>
    where
        F: FnOnce(u64, u64) -> Fut,
        Fut: std::future::Future<Output = Result<Vec<T>, sea_orm::DbErr>>,
    {
        let s = &self.settings;
        let (offset, limit) = window.resolve(total, s.default_page_size, s.max_page_size)?;
        let items = if limit == 0 {
            Vec::new()
        } else {
            read(offset, limit).await?
        };
        Ok(Window::page(items, offset, total))
    }

    /// Stores a moderation notice for every member of `org_id` inside `txn`; publish the
    /// result after the commit.
    pub(crate) async fn moderation_notice(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        org_id: i32,
        title: String,
        body: String,
        listing: Option<(crate::db::outbox::ListingKind, i32)>,
    ) -> crate::error::ServiceResult<Vec<notifications::Notification>> {
        let members = crate::db::notifications::members_of(txn, &[org_id]).await?;
        notifications::stage(
            txn,
            &members,
            notifications::Outgoing {
                kind: crate::domain::NotificationKind::Moderation,
                title,
                body,
                pairing_id: None,
                listing,
                event_key: None,
            },
            self.clock.now(),
        )
        .await
    }

    /// Fails unless the owner of a listing is verified; `verb` names the refused action.
    pub(crate) async fn ensure_owner_verified(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        owner_id: i32,
        verb: &str,
    ) -> crate::error::ServiceResult<()> {
        // Shared lock: an operator revoking the verification waits for this change, or
        // this change sees the revocation.
        let owner = crate::db::organizations::find_shared(txn, owner_id)
            .await?
            .ok_or_else(|| crate::error::ServiceError::not_found("机构"))?;
        if owner.verified {
            Ok(())
        } else {
            Err(crate::error::ServiceError::coded(
                crate::error::ErrorCode::InvalidStateTransition,
                format!("机构“{}”尚未通过平台认证，暂不能{verb}", owner.name),
            ))
        }
    }
}

/// All services, cheap to clone.
#[derive(Debug, Clone)]
pub struct Services {
    /// Organisations.
    pub organizations: organizations::OrganizationService,
    /// Research results.
    pub achievements: achievements::AchievementService,
    /// Technology needs.
    pub needs: needs::NeedService,
    /// Priority tracks.
    pub tracks: tracks::TrackService,
    /// Listing expiry.
    pub expiry: expiry::ExpiryService,
    /// Accounts and tokens.
    pub accounts: accounts::AccountService,
    /// Organisation membership and platform roles.
    pub members: members::MemberService,
    /// The audit log.
    pub audit: audit::AuditService,
    /// Disclosure grants.
    pub disclosure: disclosure::DisclosureService,
    /// Full-text search and the indexer.
    pub search: search::SearchService,
    /// Two-way matching and stored matches.
    pub matching: matching::MatchService,
    /// Pairings (对接) and their statistics.
    pub pairings: pairings::PairingService,
    /// Statistics of the broker workflow.
    pub pairing_stats: pairing_stats::PairingStatsService,
    /// Inboxes, live notifications and saved searches.
    pub notifications: notifications::NotificationService,
    /// Market sync.
    pub sync: sync::SyncService,
    /// Spreadsheet import.
    pub imports: import::ImportService,
    /// Leases of the cluster-wide background jobs.
    pub jobs: jobs::JobService,
    ctx: Arc<Context>,
}

impl Services {
    /// Builds every service over one context.
    pub fn new(
        db: Database,
        clock: SharedClock,
        settings: ServiceSettings,
        index: Arc<crate::search::index::SearchIndex>,
    ) -> Self {
        let signer = tokens::TokenSigner::new(settings.auth.signing_secret.as_bytes());
        let auth = settings.auth.clone();
        let ctx = Arc::new(Context {
            ids: crate::ids::IdCodec::new(settings.auth.signing_secret.as_bytes()),
            db,
            clock,
            settings,
            hub: notifications::NotificationHub::default(),
        });
        let achievements = achievements::AchievementService::new(ctx.clone());
        let needs = needs::NeedService::new(ctx.clone());
        let search = search::SearchService::new(
            ctx.clone(),
            index.clone(),
            achievements.clone(),
            needs.clone(),
        );
        let organizations = organizations::OrganizationService::new(ctx.clone());
        let jobs = jobs::JobService::new(ctx.clone());
        Self {
            sync: sync::SyncService::new(
                ctx.clone(),
                achievements.clone(),
                needs.clone(),
                organizations.clone(),
                jobs.clone(),
            ),
            organizations,
            imports: import::ImportService::new(ctx.clone(), achievements.clone()),
            matching: matching::MatchService::new(ctx.clone(), index, search.clone()),
            pairings: pairings::PairingService::new(ctx.clone()),
            pairing_stats: pairing_stats::PairingStatsService::new(ctx.clone()),
            notifications: notifications::NotificationService::new(ctx.clone()),
            search,
            achievements,
            needs,
            tracks: tracks::TrackService::new(ctx.clone()),
            expiry: expiry::ExpiryService::new(ctx.clone()),
            accounts: accounts::AccountService::new(ctx.clone(), signer, auth),
            members: members::MemberService::new(ctx.clone()),
            audit: audit::AuditService::new(ctx.clone()),
            disclosure: disclosure::DisclosureService::new(ctx.clone()),
            jobs,
            ctx,
        }
    }

    /// The shared context.
    pub fn context(&self) -> &Context {
        &self.ctx
    }
}

/// The one item a single-item view produced.
pub(crate) fn single<T>(mut items: Vec<T>) -> crate::error::ServiceResult<T> {
    items
        .pop()
        .ok_or_else(|| crate::error::ServiceError::Internal(anyhow::anyhow!("view lost its item")))
}
