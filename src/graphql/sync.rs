//! Market sync for operators: the recorded runs with their counts and quarantined records,
//! and starting a run; and each listing's `sources`.

use crate::connectors::Market;
use crate::db::sync::{QuarantinedRow, RunRow, SourceLink};
use crate::domain::ListingSource;
use crate::graphql::errors::{ResultExt, UserError, split};
use crate::graphql::types::connection::{Parts, connection, edge, forward};
use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use crate::service::{Actor, Services};

/// How a run ended, or that it is still going.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum SyncStatus {
    /// Still running.
    Running,
    /// Every page applied.
    Succeeded,
    /// Stopped by a market error (or the process stopped); the next run resumes.
    Failed,
}

/// One sync run.
#[derive(Clone)]
pub struct SyncRun(pub RunRow);

#[Object]
impl SyncRun {
    /// Run number.
    async fn id(&self) -> i32 {
        self.0.id
    }
    /// Which market.
    async fn market(&self) -> Option<Market> {
        Market::parse(&self.0.market)
    }
    /// `SCHEDULE`, `COMMAND` or `OPERATOR`.
    async fn trigger(&self) -> &str {
        &self.0.trigger
    }
    /// Where it stands.
    async fn status(&self) -> SyncStatus {
        match self.0.status.as_str() {
            "RUNNING" => SyncStatus::Running,
            "SUCCEEDED" => SyncStatus::Succeeded,
            _ => SyncStatus::Failed,
        }
    }
    /// Started.
    async fn started_at(&self) -> DateTime<Utc> {
        self.0.started_at
    }
    /// Ended.
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
    /// Records read.
    async fn fetched(&self) -> i64 {
        self.0.fetched
    }
    /// Listings created.
    async fn created(&self) -> i64 {
        self.0.created
    }
    /// Listings updated.
    async fn updated(&self) -> i64 {
        self.0.updated
    }
    /// Records already applied (repeated or stale).
    async fn unchanged(&self) -> i64 {
        self.0.unchanged
    }
    /// Listings withdrawn because the market took them down.
    async fn withdrawn(&self) -> i64 {
        self.0.withdrawn
    }
    /// Records recognised as a listing we already hold and linked to it.
    async fn merged(&self) -> i64 {
        self.0.merged
    }
    /// Records quarantined.
    async fn quarantined(&self) -> i64 {
        self.0.quarantined
    }
    /// Records with values that have no mapping to our codes (kept with the listing's source).
    async fn with_unmapped_values(&self) -> i64 {
        self.0.unmapped
    }
    /// Why it failed.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    /// The records this run quarantined, with why.
    async fn quarantined_records(&self, ctx: &Context<'_>) -> Result<Vec<QuarantinedRecord>> {
        let (services, actor) = (ctx.data::<Services>()?, ctx.data::<Actor>()?);
        Ok(services
            .sync
            .quarantined(actor, self.0.id)
            .await
            .gql()?
            .into_iter()
            .map(QuarantinedRecord::from)
            .collect())
    }
}

/// A record a run could not take.
#[derive(SimpleObject)]
pub struct QuarantinedRecord {
    /// Its id at the market, when readable.
    pub external_id: Option<String>,
    /// Why, in Chinese.
    pub error: String,
    /// The record as received.
    pub raw: String,
    /// When.
    pub at: DateTime<Utc>,
}

impl From<QuarantinedRow> for QuarantinedRecord {
    fn from(r: QuarantinedRow) -> Self {
        Self {
            external_id: r.external_id,
            error: r.error,
            raw: r.raw,
            at: r.created_at,
        }
    }
}

/// Where a listing came from.
#[derive(SimpleObject)]
pub struct ListingSourceRef {
    /// The market, or SPREADSHEET for a transfer office's import.
    pub source: ListingSource,
    /// Its id there (for a spreadsheet, the 成果编号).
    pub external_id: String,
    /// True when this record created the listing; false when it was recognised as the same
    /// result and linked.
    pub primary: bool,
    /// The market took it down.
    pub removed: bool,
    /// Last change at the market.
    pub remote_updated_at: DateTime<Utc>,
    /// Values without a mapping to our codes, as `field=value`.
    pub unmapped: Vec<String>,
}

impl From<SourceLink> for ListingSourceRef {
    fn from(l: SourceLink) -> Self {
        let unmapped: Vec<(String, String)> = serde_json::from_str(&l.unmapped).unwrap_or_default();
        let source = ListingSource::parse(&l.source).unwrap_or(ListingSource::Local);
        // Spreadsheet keys are stored per organisation (`owner:key`); show the office's own key.
        let external_id = match (source, l.external_id.split_once(':')) {
            (ListingSource::Spreadsheet, Some((_, key))) => key.to_owned(),
            _ => l.external_id,
        };
        Self {
            source,
            external_id,
            primary: l.link == "created",
            removed: l.removed,
            remote_updated_at: l.remote_updated_at,
            unmapped: unmapped
                .into_iter()
                .map(|(f, v)| format!("{f}={v}"))
                .collect(),
        }
    }
}

/// One of our listings at one market.
#[derive(SimpleObject)]
pub struct MarketPush {
    /// `achievement` or `need`.
    pub listing_kind: String,
    /// Global id of the listing.
    pub listing_id: crate::graphql::ids::GlobalId,
    /// The market.
    pub market: Option<Market>,
    /// Its id there, once published.
    pub remote_id: Option<String>,
    /// `LISTED` or `WITHDRAWN`: what the market should show.
    pub wanted: String,
    /// `PENDING`, `DONE` or `FAILED` (retried at `nextAttemptAt`).
    pub state: String,
    /// Failed attempts since the last success.
    pub attempts: i32,
    /// The last failure.
    pub last_error: Option<String>,
    /// When it is tried next.
    pub next_attempt_at: DateTime<Utc>,
}

impl From<crate::db::sync::PushRow> for MarketPush {
    fn from(p: crate::db::sync::PushRow) -> Self {
        use crate::graphql::ids::{NodeType, encode};
        let kind = crate::db::outbox::ListingKind::from_stored(&p.listing_kind);
        let node = NodeType::of_listing(kind);
        Self {
            listing_id: encode(node, p.listing_id),
            listing_kind: p.listing_kind,
            market: Market::parse(&p.market),
            remote_id: p.remote_id,
            wanted: p.wanted,
            state: p.state,
            attempts: p.attempts,
            last_error: p.last_error,
            next_attempt_at: p.next_attempt_at,
        }
    }
}

edge!(SyncRunEdge, SyncRun, "sync run");
connection!(SyncRunConnection, SyncRunEdge, "sync runs, newest first");

edge!(MarketPushEdge, MarketPush, "market push");
connection!(
    MarketPushConnection,
    MarketPushEdge,
    "market pushes, most recently changed first"
);

/// Sync queries.
#[derive(Default)]
pub struct SyncQuery;

#[Object]
impl SyncQuery {
    /// The sync runs, of one market or all, newest first; operators.
    #[graphql(
        complexity = "crate::graphql::limits::list_cost(first, None, 20, 100, child_complexity)"
    )]
    async fn sync_runs(
        &self,
        ctx: &Context<'_>,
        market: Option<Market>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<SyncRunConnection> {
        let (services, actor) = (ctx.data::<Services>()?, ctx.data::<Actor>()?);
        let page = services
            .sync
            .runs(actor, market, forward(first, after)?)
            .await
            .gql()?;
        Ok(SyncRunConnection::new(Parts::of_nodes(page, SyncRun)))
    }

    /// Our listings at the markets, most recently changed first (state `FAILED` shows what
    /// is waiting for a retry); operators.
    #[graphql(
        complexity = "crate::graphql::limits::list_cost(first, None, 20, 100, child_complexity)"
    )]
    async fn market_pushes(
        &self,
        ctx: &Context<'_>,
        market: Option<Market>,
        state: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<MarketPushConnection> {
        let (services, actor) = (ctx.data::<Services>()?, ctx.data::<Actor>()?);
        let page = services
            .sync
            .pushes(actor, market, state.as_deref(), forward(first, after)?)
            .await
            .gql()?;
        Ok(MarketPushConnection::new(Parts::of_nodes(
            page,
            MarketPush::from,
        )))
    }
}

/// Publishes an organisation's listings to a market, or stops.
#[derive(InputObject)]
pub struct SetMarketPublishingInput {
    /// The organisation.
    pub organization_id: async_graphql::ID,
    /// The market.
    pub market: Market,
    /// Publish (true) or stop (false; what was published is taken down as listings change).
    pub enabled: bool,
}

/// Result of `setMarketPublishing`.
#[derive(SimpleObject)]
pub struct SetMarketPublishingPayload {
    /// The markets the organisation now publishes to.
    pub markets: Vec<Market>,
    /// What was wrong.
    pub user_errors: Vec<UserError>,
}

/// Splits a merged market record off into a listing of its own.
#[derive(InputObject)]
pub struct SplitListingSourceInput {
    /// The market.
    pub market: Market,
    /// The record's id there.
    pub external_id: String,
}

/// Result of `splitListingSource`.
#[derive(SimpleObject)]
pub struct SplitListingSourcePayload {
    /// Global id of the new listing.
    pub listing_id: Option<crate::graphql::ids::GlobalId>,
    /// What was wrong.
    pub user_errors: Vec<UserError>,
}

/// Starts a sync.
#[derive(InputObject)]
pub struct RunSyncInput {
    /// Which market.
    pub market: Market,
}

/// Result of `runSync`.
#[derive(SimpleObject)]
pub struct RunSyncPayload {
    /// The run as started; follow it with `syncRuns`.
    pub run: Option<SyncRun>,
    /// What was wrong (not configured, already running).
    pub user_errors: Vec<UserError>,
}

/// Sync mutations.
#[derive(Default)]
pub struct SyncMutation;

#[Object]
impl SyncMutation {
    /// Starts a sync with a market now; it runs in the background. Operators.
    async fn run_sync(&self, ctx: &Context<'_>, input: RunSyncInput) -> Result<RunSyncPayload> {
        let (services, actor) = (ctx.data::<Services>()?, ctx.data::<Actor>()?);
        let (run, user_errors) = split(services.sync.start(actor, input.market).await)?;
        Ok(RunSyncPayload {
            run: run.map(SyncRun),
            user_errors,
        })
    }

    /// Undoes a wrong merge: the market record becomes a listing of its own. Operators.
    async fn split_listing_source(
        &self,
        ctx: &Context<'_>,
        input: SplitListingSourceInput,
    ) -> Result<SplitListingSourcePayload> {
        use crate::graphql::ids::{NodeType, encode};
        let (services, actor) = (ctx.data::<Services>()?, ctx.data::<Actor>()?);
        let (split_off, user_errors) = split(
            services
                .sync
                .split(actor, input.market, input.external_id.trim())
                .await,
        )?;
        Ok(SplitListingSourcePayload {
            listing_id: split_off.map(|(kind, id)| encode(NodeType::of_listing(kind), id)),
            user_errors,
        })
    }

    /// Publishes the organisation's live listings (public needs only) to a market and keeps
    /// them in step there; its admins.
    async fn set_market_publishing(
        &self,
        ctx: &Context<'_>,
        input: SetMarketPublishingInput,
    ) -> Result<SetMarketPublishingPayload> {
        let (services, actor) = (ctx.data::<Services>()?, ctx.data::<Actor>()?);
        let r = async {
            let org = crate::graphql::ids::IdCodec::of(ctx).decode(
                &input.organization_id,
                crate::graphql::ids::NodeType::Organization,
            )?;
            services
                .sync
                .set_publishing(actor, org, input.market, input.enabled)
                .await
        }
        .await;
        let (markets, user_errors) = split(r)?;
        Ok(SetMarketPublishingPayload {
            markets: markets.unwrap_or_default(),
            user_errors,
        })
    }
}
