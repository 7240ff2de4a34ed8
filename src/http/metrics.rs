//! Prometheus metrics: GraphQL requests and latency per operation, SQL statements, and the
//! search index (documents, outbox cursor applied).

use super::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::atomic::{AtomicU64, Ordering};

/// Labels of one GraphQL operation.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OperationLabels {
    /// Operation name (sanitised), or `anonymous`.
    pub operation: String,
    /// `ok` or `error`.
    pub outcome: String,
}

/// Labels of a latency series.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LatencyLabels {
    /// Operation name.
    pub operation: String,
}

/// The registry and its metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<OperationLabels, Counter>,
    latency: Family<LatencyLabels, Histogram>,
    db_statements: Gauge<u64, AtomicU64>,
    search_documents: Gauge<u64, AtomicU64>,
    search_outbox_cursor: Gauge<i64>,
    index_lag: Gauge<i64>,
    shed: Gauge<u64, AtomicU64>,
    in_flight: Gauge<i64>,
    /// Statements the scrapes themselves ran (the index lag), left out of `db_statements`.
    scrape_statements: AtomicU64,
    /// The schema's root fields: the only operation labels besides `other` and
    /// `introspection`.
    known_fields: std::collections::HashSet<String>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("qianxian");
        let requests = Family::<OperationLabels, Counter>::default();
        let latency = Family::<LatencyLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 16))
        });
        let db_statements = Gauge::<u64, AtomicU64>::default();
        registry.register(
            "graphql_requests",
            "GraphQL requests by operation and outcome",
            requests.clone(),
        );
        registry.register(
            "graphql_request_duration_seconds",
            "GraphQL request latency by operation",
            latency.clone(),
        );
        registry.register(
            "db_statements",
            "SQL statements executed since start (not counting the metrics scrapes' own)",
            db_statements.clone(),
        );
        let search_documents = Gauge::<u64, AtomicU64>::default();
        registry.register(
            "search_documents",
            "Listings in the search index (drafts and withdrawn included)",
            search_documents.clone(),
        );
        let search_outbox_cursor = Gauge::<i64>::default();
        registry.register(
            "search_outbox_cursor",
            "Place in the listing outbox's commit order of the last change the search index applied",
            search_outbox_cursor.clone(),
        );
        let index_lag = Gauge::<i64>::default();
        registry.register(
            "index_lag",
            "Listing changes committed to the database that this replica's search index has not applied (-1: unknown)",
            index_lag.clone(),
        );
        let shed = Gauge::<u64, AtomicU64>::default();
        registry.register(
            "requests_shed",
            "GraphQL requests refused with 503 because too many were in flight, since start",
            shed.clone(),
        );
        let in_flight = Gauge::<i64>::default();
        registry.register(
            "requests_in_flight",
            "GraphQL requests being served now",
            in_flight.clone(),
        );
        Self {
            registry,
            index_lag,
            shed,
            in_flight,
            scrape_statements: AtomicU64::new(0),
            known_fields: crate::graphql::root_field_names(),
            requests,
            latency,
            db_statements,
            search_documents,
            search_outbox_cursor,
        }
    }
}

impl Metrics {
    /// Whether `field` is one of the schema's root fields (a label the metrics may carry).
    pub fn knows(&self, field: &str) -> bool {
        self.known_fields.contains(field)
    }

    /// Records one GraphQL request.
    pub fn observe(&self, operation: &str, ok: bool, seconds: f64) {
        let operation = sanitize(operation);
        let outcome = if ok { "ok" } else { "error" }.to_owned();
        self.requests
            .get_or_create(&OperationLabels {
                operation: operation.clone(),
                outcome,
            })
            .inc();
        self.latency
            .get_or_create(&LatencyLabels { operation })
            .observe(seconds);
    }
}

/// Keeps label cardinality bounded: names are client-chosen.
fn sanitize(name: &str) -> String {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        name.to_owned()
    } else {
        "other".to_owned()
    }
}

/// Who may read `/metrics` where it is served.
#[derive(Debug, Clone, Default)]
pub struct Access {
    /// Anyone.
    pub public: bool,
    /// Or whoever sends `Authorization: Bearer <token>` (empty: nobody this way).
    pub token: String,
}

impl Access {
    fn allows(&self, headers: &axum::http::HeaderMap) -> bool {
        if self.public {
            return true;
        }
        !self.token.is_empty()
            && super::graphql::bearer_token(headers).is_some_and(|t| {
                // Compared in constant time: the token guards operational data.
                use sha2::Digest;
                sha2::Sha256::digest(t.as_bytes()) == sha2::Sha256::digest(self.token.as_bytes())
            })
    }
}

/// `GET /metrics` in Prometheus text format, for those [`Access`] allows (others get 404,
/// as if there were none).
pub async fn handler(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    if !state.metrics_access.allows(&headers) {
        return axum::http::StatusCode::NOT_FOUND.into_response();
    }
    render(&state).await.into_response()
}

async fn render(state: &AppState) -> impl IntoResponse + use<> {
    let metrics = &state.metrics;
    let search = &state.services.search;
    let stats = &state.services.context().db.stats;
    let before = stats.statements();
    let lag = match search.index_lag().await {
        Ok(lag) => i64::try_from(lag).unwrap_or(i64::MAX),
        Err(_) => -1,
    };
    // The scrape's own statements are left out of the count, so that reading the metrics
    // does not change them.
    let own = metrics
        .scrape_statements
        .fetch_add(stats.statements() - before, Ordering::Relaxed)
        + (stats.statements() - before);
    metrics
        .db_statements
        .set(stats.statements().saturating_sub(own));
    metrics.search_documents.set(search.indexed_documents());
    metrics.search_outbox_cursor.set(search.outbox_cursor());
    metrics.index_lag.set(lag);
    metrics.shed.set(state.in_flight.shed());
    metrics
        .in_flight
        .set(i64::try_from(state.in_flight.in_flight()).unwrap_or(i64::MAX));
    let mut body = String::new();
    if let Err(err) = encode(&mut body, &metrics.registry) {
        tracing::error!(error = %err, "encoding metrics failed");
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
}
