//! Load shedding: at most `max_in_flight` GraphQL requests are served at once, and one more
//! is refused at once with 503 `UNAVAILABLE` and `Retry-After` instead of waiting in a queue
//! that only grows. This is tower's `ConcurrencyLimit` behind `LoadShed`, written out so the
//! refusal is a GraphQL-shaped body and is counted in `/metrics`.

use crate::error::ErrorCode;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::Semaphore;

/// The permits of requests in flight, and how many were refused.
#[derive(Debug)]
pub struct InFlight {
    permits: Arc<Semaphore>,
    limit: usize,
    shed: AtomicU64,
}

impl InFlight {
    /// Room for `limit` requests at once (at least one).
    pub fn new(limit: usize) -> Self {
        let limit = limit.max(1);
        Self {
            permits: Arc::new(Semaphore::new(limit)),
            limit,
            shed: AtomicU64::new(0),
        }
    }

    /// Requests refused since start.
    pub fn shed(&self) -> u64 {
        self.shed.load(Ordering::Relaxed)
    }

    /// Requests being served now.
    pub fn in_flight(&self) -> usize {
        self.limit - self.permits.available_permits()
    }
}

/// Admits the request if there is room, else answers 503 at once.
pub async fn admit(
    State(in_flight): State<Arc<InFlight>>,
    request: Request,
    next: Next,
) -> Response {
    let Ok(_permit) = in_flight.permits.clone().try_acquire_owned() else {
        in_flight.shed.fetch_add(1, Ordering::Relaxed);
        let body = serde_json::json!({ "errors": [{
            "message": "服务繁忙，请稍后重试",
            "extensions": { "code": ErrorCode::Unavailable.as_str() },
        }] });
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::RETRY_AFTER, "1"),
            ],
            body.to_string(),
        )
            .into_response();
    };
    next.run(request).await
}
