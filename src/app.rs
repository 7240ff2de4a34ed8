//! Assembling and running the service: database, migrations, demo data, services, schema,
//! router, background jobs and graceful shutdown. Tests build the same [`Application`] on port 0.

use crate::clock::SharedClock;
use crate::config::Settings;
use crate::db::Database;
use crate::graphql::build_schema;
use crate::http::{self, AppState};
use crate::seed;
use crate::service::Services;
use crate::service::jobs::Job;
use anyhow::Context;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// A built service, bound to its port, not yet serving.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    services: Services,
    rate_limits: Arc<http::rate_limit::RateLimits>,
    sweep_every: Duration,
    index_poll: Duration,
    sync_every: Vec<(crate::connectors::Market, Duration)>,
    first_passes: tokio::sync::watch::Sender<usize>,
    database_url: String,
    /// `/metrics` on a listener of its own, when `metrics.listen` is set.
    metrics: Option<(TcpListener, axum::Router)>,
    /// Whether `GET /graphql` serves GraphiQL (named in the ready line).
    graphiql: bool,
    /// This process's hold on the data folder (its search index), released when it stops.
    _data_dir: crate::data_dir::DataDirLock,
}

/// The background loops that run a first pass as soon as the service starts: the indexer,
/// the outbox jobs (stored matches, market pushes), the expiry sweeper, and the notification
/// feed (listening, on PostgreSQL).
const LOOPS_WITH_A_FIRST_PASS: usize = 4;

/// Completes once every background loop has finished its first pass after start, so that a
/// caller driving the services itself (tests, tools) never races those passes.
pub struct FirstPasses(tokio::sync::watch::Receiver<usize>);

impl FirstPasses {
    /// Waits for the first passes; returns at once if the service has already stopped.
    pub async fn done(mut self) {
        let _ = self.0.wait_for(|n| *n >= LOOPS_WITH_A_FIRST_PASS).await;
    }
}

/// One loop's share of [`FirstPasses`]: counts the loop's first pass, and only that one.
struct FirstPass(Option<tokio::sync::watch::Sender<usize>>);

impl FirstPass {
    fn of(first_passes: &tokio::sync::watch::Sender<usize>) -> Self {
        Self(Some(first_passes.clone()))
    }

    fn done(&mut self) {
        if let Some(count) = self.0.take() {
            count.send_modify(|n| *n += 1);
        }
    }
}

impl Application {
    /// Connects, migrates, loads demo data if enabled and the database is empty, and binds.
    pub async fn build(settings: &Settings, clock: SharedClock) -> anyhow::Result<Self> {
        crate::connectors::http::install_crypto();
        let data_dir = crate::data_dir::DataDirLock::acquire(&settings.data_dir, "serve")?;
        let db =
            Database::connect(&settings.database_url(), settings.database.max_connections).await?;
        db.migrate().await?;
        let services = Services::new(
            db,
            clock,
            settings.service_settings()?,
            settings.open_search_index()?,
        );
        let seed_dir = &settings.seed.dir;
        if settings.seed.demo_data && !seed_dir.is_dir() {
            tracing::warn!(dir = %seed_dir.display(), "seed folder not found; starting without demo data");
        } else if settings.seed.demo_data {
            let _one_loader = services
                .context()
                .db
                .cluster_lock(crate::db::SEED_LOCK)
                .await?;
            if seed::database_is_empty(&services).await? {
                let report = seed::load_dir(&services, seed_dir).await?;
                tracing::info!(%report, "demo data loaded");
            }
        }
        let rate_limits = Arc::new(http::rate_limit::RateLimits::new(
            settings.rate_limit.per_address_per_minute,
            settings.rate_limit.per_token_per_minute,
        ));
        let state = AppState {
            schema: build_schema(
                services.clone(),
                &settings.graphql,
                settings.introspection_enabled(),
            ),
            introspection_schema: settings.introspection_enabled().then(|| {
                crate::graphql::build_introspection_schema(services.clone(), &settings.graphql)
            }),
            graphiql: settings.graphiql_enabled(),
            metrics_access: http::metrics::Access {
                // With a listener of its own, /metrics is not served with the API.
                public: settings.metrics.listen.is_empty() && settings.metrics_public(),
                token: if settings.metrics.listen.is_empty() {
                    settings.metrics.token.clone()
                } else {
                    String::new()
                },
            },
            services: services.clone(),
            metrics: Arc::new(http::metrics::Metrics::default()),
            max_aliases: settings.graphql.max_aliases,
            rate_limits: rate_limits.clone(),
            body_limit: settings.server.body_limit_bytes,
            upload_limit: settings.server.upload_limit_bytes,
            in_flight: Arc::new(http::load_shed::InFlight::new(
                settings.server.max_in_flight,
            )),
            request_timeout: Duration::from_secs(settings.server.request_timeout_secs),
            max_ready_lag: settings.search.max_ready_lag,
            ready_grace: Duration::from_secs(settings.search.ready_grace_secs),
            trusted_proxies: Arc::new(
                settings
                    .server
                    .trusted_proxies
                    .iter()
                    .map(|a| {
                        a.trim().parse().with_context(|| {
                            format!("server.trusted_proxies: {a:?} is not an IP address")
                        })
                    })
                    .collect::<anyhow::Result<_>>()?,
            ),
        };
        let metrics = if settings.metrics.listen.is_empty() {
            None
        } else {
            let listener = TcpListener::bind(&settings.metrics.listen)
                .await
                .with_context(|| {
                    format!(
                        "无法在 metrics.listen {} 上提供指标",
                        settings.metrics.listen
                    )
                })?;
            Some((
                listener,
                http::metrics_router(state.clone(), settings.metrics.token.clone()),
            ))
        };
        let router = http::router(state);
        let listener = TcpListener::bind(&settings.server.listen)
            .await
            .with_context(|| {
                format!(
                    "无法在 {} 上提供服务：换一个地址（serve --listen 127.0.0.1:8081 或 server.listen），或停止占用它的进程",
                    settings.server.listen
                )
            })?;
        Ok(Self {
            listener,
            router,
            metrics,
            services,
            rate_limits,
            sweep_every: Duration::from_secs(settings.listings.expiry_sweep_secs.max(1)),
            index_poll: Duration::from_millis(settings.search.poll_ms.max(10)),
            sync_every: crate::connectors::Market::ALL
                .into_iter()
                .filter_map(|m| {
                    let s = settings.connectors.of(m);
                    (s.enabled && s.every_minutes > 0)
                        .then(|| (m, Duration::from_secs(s.every_minutes * 60)))
                })
                .collect(),
            first_passes: tokio::sync::watch::channel(0).0,
            database_url: settings.database_url(),
            graphiql: settings.graphiql_enabled(),
            _data_dir: data_dir,
        })
    }

    /// Completes when the background loops have finished their first pass after
    /// [`Application::run_until_stopped`] starts them.
    pub fn first_passes(&self) -> FirstPasses {
        FirstPasses(self.first_passes.subscribe())
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    /// The services, for tests and tools running in the same process.
    pub fn services(&self) -> &Services {
        &self.services
    }

    /// Serves until `shutdown` completes, then drains in-flight requests.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let addr = self.listener.local_addr()?;
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let ticker = |every| Ticker {
            every,
            first_pass: FirstPass::of(&self.first_passes),
            stop: stop_rx.clone(),
        };
        let indexer = tokio::spawn(run_indexer(self.services.clone(), ticker(self.index_poll)));
        let outbox_jobs = tokio::spawn(run_outbox_jobs(
            self.services.clone(),
            ticker(self.index_poll),
        ));
        let sweeper = tokio::spawn(sweep_expired(
            self.services.clone(),
            self.rate_limits.clone(),
            ticker(self.sweep_every),
        ));
        let feed = {
            let (services, url, stop) = (
                self.services.clone(),
                self.database_url.clone(),
                stop_rx.clone(),
            );
            let mut first_pass = FirstPass::of(&self.first_passes);
            tokio::spawn(async move {
                services
                    .notifications
                    .follow_cluster(&url, stop, || first_pass.done())
                    .await
            })
        };
        let schedules: Vec<_> = self
            .sync_every
            .iter()
            .map(|(market, every)| {
                tokio::spawn(sync_on_schedule(
                    self.services.clone(),
                    *market,
                    *every,
                    stop_rx.clone(),
                ))
            })
            .collect();
        tracing::info!(%addr, "qianxian listening");
        // The start's last line, once the first passes (index catch-up, sweeps) are done: where
        // to point a browser.
        let ready = self.first_passes();
        let graphiql = self.graphiql;
        tokio::spawn(async move {
            ready.done().await;
            let host = if addr.ip().is_unspecified() {
                std::net::SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), addr.port())
            } else {
                addr
            };
            if graphiql {
                tracing::info!(url = %format!("http://{host}/graphql"), "ready: open GraphiQL in a browser");
            } else {
                tracing::info!(url = %format!("http://{host}/graphql"), "ready");
            }
        });
        let metrics_server = self.metrics.map(|(listener, router)| {
            if let Ok(at) = listener.local_addr() {
                tracing::info!(addr = %at, "metrics listening");
            }
            let mut stop = stop_rx.clone();
            tokio::spawn(async move {
                let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
                let stopped = async move {
                    let _ = stop.changed().await;
                };
                axum::serve(listener, service)
                    .with_graceful_shutdown(stopped)
                    .await
            })
        });
        let service = self
            .router
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        axum::serve(self.listener, service)
            .with_graceful_shutdown(shutdown)
            .await?;
        let _ = stop_tx.send(true);
        if let Some(server) = metrics_server {
            let _ = server.await;
        }
        for schedule in schedules {
            let _ = schedule.await;
        }
        let _ = sweeper.await;
        let _ = indexer.await;
        let _ = outbox_jobs.await;
        let _ = feed.await;
        self.services.jobs.release_all().await;
        tracing::info!("qianxian stopped");
        Ok(())
    }
}

async fn sweep_expired(
    services: Services,
    rate_limits: Arc<http::rate_limit::RateLimits>,
    ticker: Ticker,
) {
    let (services, rate_limits) = (&services, &rate_limits);
    ticker
        .run(move || async move {
            rate_limits.forget_idle();
            if holds(services, Job::Sweep).await {
                let listings = services.expiry.expire_due();
                or_warn(listings, "expiry sweep failed").await;
                let pairings = services.pairings.expire_due();
                or_warn(pairings, "pairing deadline sweep failed").await;
            }
        })
        .await
}

/// The one task that writes the search index: catches up with the outbox on start (rebuilding
/// when the index configuration changed), then applies new changes in batches as they arrive.
async fn run_indexer(services: Services, ticker: Ticker) {
    let services = &services;
    ticker
        .run(move || async move {
            // Every replica keeps its own index.
            let indexing = services.search.catch_up();
            or_warn(indexing, "search indexing failed; retrying").await;
            let relearning = services.search.relearn_disciplines();
            or_warn(relearning, "relearning the discipline model failed").await;
        })
        .await
}

/// The jobs that follow the outbox on one replica of the cluster (stored matches and their
/// alerts, market pushes), in a task of their own so that the replica holding them indexes
/// as promptly as the others.
async fn run_outbox_jobs(services: Services, ticker: Ticker) {
    let services = &services;
    ticker
        .run(move || async move {
            // Each batch asks for the lease again (renewing it), so a pass that outlasts
            // the lease stops instead of running beside the replica that took it over.
            let refreshing = services
                .matching
                .refresh_stored_while(|| holds(services, Job::StoredMatches));
            or_warn(refreshing, "refreshing stored matches failed; retrying").await;
            let pushing = services
                .sync
                .push_pending_while(|| holds(services, Job::MarketPush));
            or_warn(pushing, "publishing to the markets failed; retrying").await;
        })
        .await
}

/// Runs one step of a background pass and logs its failure; the next tick tries again.
async fn or_warn<T, E: std::fmt::Debug>(step: impl Future<Output = Result<T, E>>, what: &str) {
    if let Err(err) = step.await {
        tracing::warn!(error = ?err, "{what}");
    }
}

/// A background loop's clock: a pass at once and then every `every` (a tick missed while a
/// pass ran waits for the next rather than bursting) until `stop` changes; each finished pass
/// tells `first_pass`.
struct Ticker {
    every: Duration,
    first_pass: FirstPass,
    stop: tokio::sync::watch::Receiver<bool>,
}

impl Ticker {
    async fn run<Pass: Future<Output = ()>>(mut self, mut pass: impl FnMut() -> Pass) {
        let mut tick = tokio::time::interval(self.every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    survive("background pass", pass()).await;
                    self.first_pass.done();
                }
                _ = self.stop.changed() => break,
            }
        }
    }
}

/// Runs `pass`; a panic in it is logged and the loop that runs it goes on to its next tick
/// (a panicking pass once ended its loop for good: a market stopped syncing until restart).
async fn survive<T>(what: &'static str, pass: impl Future<Output = T>) -> Option<T> {
    use futures::FutureExt;
    match std::panic::AssertUnwindSafe(pass).catch_unwind().await {
        Ok(done) => Some(done),
        Err(panic) => {
            let cause = crate::telemetry::panic_message(panic.as_ref());
            tracing::error!(
                what,
                panic = cause,
                "background work panicked; it runs again next time"
            );
            None
        }
    }
}

/// Syncs one market every `every` (the first run one period after start).
async fn sync_on_schedule(
    services: Services,
    market: crate::connectors::Market,
    every: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                // One replica per period: the lease lasts the period, so replicas whose timers
                // tick later find it taken.
                match services.jobs.claim_period(Job::Sync(market), every).await {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(err) => {
                        tracing::warn!(market = market.as_str(), error = ?err, "could not claim the sync period");
                        continue;
                    }
                }
                let run = services
                    .sync
                    .run(&crate::service::Actor::System, market, crate::service::markets::sync::Trigger::Schedule, |_| {});
                if let Some(Err(err)) = survive("scheduled sync", run).await {
                    tracing::warn!(market = market.as_str(), error = ?err, "scheduled sync did not run");
                }
            }
            _ = stop.changed() => break,
        }
    }
}

/// Whether this replica runs `job`'s pass now (it holds the job's lease); a database
/// failure counts as no.
async fn holds(services: &Services, job: Job) -> bool {
    match services.jobs.hold(job).await {
        Ok(held) => held,
        Err(err) => {
            tracing::warn!(job = %job.name(), error = ?err, "could not check the job lease");
            false
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received");
}
