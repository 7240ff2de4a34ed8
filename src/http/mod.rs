//! The HTTP surface: `/graphql` (GraphiQL on GET from a browser, its files under
//! `/graphql/assets/`), `/graphql/ws` (subscriptions), `/healthz`, `/readyz`,
//! `/metrics`, with body-size and time limits and request tracing.

pub mod graphiql;
pub mod graphql;
pub mod health;
pub mod load_shed;
pub mod metrics;
pub mod rate_limit;
pub mod subscriptions;

use crate::graphql::AppSchema;
use crate::service::Services;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::IntoResponse;
use axum::routing::get;
use std::sync::Arc;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The GraphQL schema.
    pub schema: AppSchema,
    /// The schema for introspection-only queries (its own depth limit); `None` when
    /// introspection is off.
    pub introspection_schema: Option<AppSchema>,
    /// Whether a browser's `GET /graphql` gets GraphiQL.
    pub graphiql: bool,
    /// Who may read `/metrics` on this router.
    pub metrics_access: metrics::Access,
    /// The services.
    pub services: Services,
    /// Prometheus metrics.
    pub metrics: Arc<metrics::Metrics>,
    /// Most aliases per document.
    pub max_aliases: usize,
    /// Request rate limits.
    pub rate_limits: Arc<rate_limit::RateLimits>,
    /// Largest JSON request body in bytes.
    pub body_limit: usize,
    /// Largest multipart (file upload) request body in bytes.
    pub upload_limit: usize,
    /// GraphQL requests in flight, bounded (load shedding).
    pub in_flight: Arc<load_shed::InFlight>,
    /// How far behind the outbox the index may be for `/readyz` to say ready.
    pub max_ready_lag: u64,
    /// How recently the index must have been complete to stay ready while further behind.
    pub ready_grace: Duration,
    /// Load balancers whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Arc<Vec<std::net::IpAddr>>,
    /// How long one request (or one query or mutation on the WebSocket) may run.
    pub request_timeout: Duration,
}

/// The client's address: the connection's peer, or, when the peer is a trusted proxy, the
/// nearest address in `X-Forwarded-For` that is not one (a client cannot spoof it by sending
/// the header itself: only what trusted proxies appended counts).
pub fn client_address(
    peer: std::net::IpAddr,
    headers: &axum::http::HeaderMap,
    trusted: &[std::net::IpAddr],
) -> std::net::IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<std::net::IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    hops.into_iter()
        .rev()
        .find(|a| !trusted.contains(a))
        .unwrap_or(peer)
}

/// The router of a listener that serves `/metrics` only (`metrics.listen`): reachable where
/// the operator put it, e.g. an internal interface; a token, if set, is still required.
pub fn metrics_router(mut state: AppState, token: String) -> Router {
    state.metrics_access = metrics::Access {
        public: token.is_empty(),
        token,
    };
    Router::new()
        .route("/metrics", get(metrics::handler))
        .with_state(state)
}

/// Builds the router.
pub fn router(state: AppState) -> Router {
    let timeout = state.request_timeout;
    // Uploads may be larger than other bodies; the GraphQL handler holds JSON bodies to
    // `body_limit` itself.
    let body_limit = state.body_limit.max(state.upload_limit);
    let mut router = Router::new();
    if state.graphiql {
        // GraphiQL's own files, embedded: the page needs nothing from the internet.
        router = router.route(graphiql::ASSET_ROUTE, get(graphiql::asset));
    }
    router
        .route(
            "/graphql",
            get(graphql::get_handler).post(graphql::post_handler).layer(
                axum::middleware::from_fn_with_state(state.in_flight.clone(), load_shed::admit),
            ),
        )
        .route("/graphql/ws", get(subscriptions::handler))
        // Where people type the address by hand.
        .route(
            "/",
            get(|| async { axum::response::Redirect::to("/graphql") }),
        )
        .route(
            "/graphql/",
            get(|| async { axum::response::Redirect::to("/graphql") }),
        )
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::handler))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::custom(panicked))
        .with_state(state)
}

/// A request whose handler panicked gets a GraphQL-shaped 500 instead of a dropped
/// connection; the panic is logged (no panic is expected: each one is a bug to fix).
fn panicked(panic: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    let what = crate::telemetry::panic_message(panic.as_ref());
    tracing::error!(panic = what, "request handler panicked");
    let body = serde_json::json!({ "errors": [{
        "message": "服务内部错误，请稍后重试；如果一再出现，请联系平台运营人员",
        "extensions": { "code": crate::error::ErrorCode::Internal.as_str() },
    }] });
    (
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_panicking_handler_answers_a_typed_500() {
        async fn boom() -> &'static str {
            panic!("boom")
        }
        let app = Router::new()
            .route("/boom", get(boom))
            .layer(CatchPanicLayer::custom(panicked));
        let request = axum::http::Request::get("/boom")
            .body(axum::body::Body::empty())
            .unwrap();
        let response = app.oneshot(request).await.unwrap();
        assert_eq!(response.status(), 500);
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "INTERNAL",
            "{body}"
        );
    }
}
