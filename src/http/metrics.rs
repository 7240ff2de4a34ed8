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
use std::sync::atomic::AtomicU64;

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
            "SQL statements executed since start",
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
            "Last listing-outbox id the search index has applied",
            search_outbox_cursor.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            db_statements,
            search_documents,
            search_outbox_cursor,
        }
    }
}

impl Metrics {
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

/// `GET /metrics` in Prometheus text format.
pub async fn handler(State(state): State<AppState>) -> impl IntoResponse {
    let metrics = &state.metrics;
    metrics
        .db_statements
        .set(state.services.context().db.stats.statements());
    let search = &state.services.search;
    metrics.search_documents.set(search.indexed_documents());
    metrics.search_outbox_cursor.set(search.outbox_cursor());
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
