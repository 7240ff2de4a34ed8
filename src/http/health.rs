//! Liveness and readiness probes.

use super::AppState;
use axum::extract::State;
use axum::http::StatusCode;

/// Alive: the process answers.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready: the database answers, its schema is the one this binary expects (every migration
/// it knows applied; newer ones are fine, as in a rolling upgrade), and the local search
/// index is at most `search.max_ready_lag` changes behind the outbox — or was complete
/// within `search.ready_grace_secs` and is catching up with a large commit. A replica that
/// is (re)building its index is not ready. A load balancer sends traffic only to ready ones.
/// The answer says why, never how far behind (that is logged).
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, String) {
    let db = &state.services.context().db;
    if !db.ping().await {
        return not_ready("database unavailable".to_owned());
    }
    match db.schema_is_current().await {
        Ok(true) => {}
        Ok(false) => {
            return not_ready(
                "database schema is not the expected one (migrations pending)".to_owned(),
            );
        }
        Err(err) => {
            tracing::warn!(error = %err, "readiness: reading the migration table failed");
            return not_ready("database schema unreadable".to_owned());
        }
    }
    let search = &state.services.search;
    // The lag is logged, not answered: the probe is public, and the number counts every
    // change, drafts and confidential needs included.
    match search.index_lag().await {
        Ok(lag) if lag <= state.max_ready_lag => (StatusCode::OK, "ready".to_owned()),
        // One large commit (an import) puts every replica behind at once; one that was
        // complete a moment ago is working through it and stays in the pool.
        Ok(lag) if lag != u64::MAX && search.caught_up_within(state.ready_grace) => {
            tracing::debug!(lag, "readiness: search index catching up");
            (
                StatusCode::OK,
                "ready (search index catching up)".to_owned(),
            )
        }
        Ok(lag) => {
            tracing::debug!(
                lag,
                max = state.max_ready_lag,
                "readiness: search index behind"
            );
            not_ready("search index behind the database".to_owned())
        }
        Err(err) => {
            tracing::warn!(error = ?err, "readiness: measuring the index lag failed");
            not_ready("search index lag unknown".to_owned())
        }
    }
}

fn not_ready(why: String) -> (StatusCode, String) {
    (StatusCode::SERVICE_UNAVAILABLE, why)
}
