//! Liveness and readiness probes.

use super::AppState;
use axum::extract::State;
use axum::http::StatusCode;

/// Alive: the process answers.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready: the database answers.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if state.services.context().db.ping().await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
    }
}
