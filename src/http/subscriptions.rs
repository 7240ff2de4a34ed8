//! `GET /graphql/ws`: GraphQL subscriptions over WebSocket (graphql-transport-ws, and the older
//! graphql-ws for existing clients). The access token comes in the `connection_init` payload
//! (`{"authorization": "Bearer …"}`) or in the upgrade request's `Authorization` header, and
//! every operation on the socket runs as that user, through the same services and rules as
//! `POST /graphql`: the same depth, complexity and alias limits (schema-wide), the same rate
//! limits, and a session that is checked again before every operation and every event —
//! closed with 4401 when it ended (logout, expiry, revocation) and 4403 when the user's roles
//! or membership changed. A socket is bounded as a request is: sixteen operations at once
//! (4429 past them), `connection_init` within ten seconds and a query or mutation within the
//! request timeout (4408), and a client that stops reading for thirty seconds is let go.

use super::AppState;
use super::graphql::bearer_token;
use crate::error::ErrorCode;
use crate::graphql::request_data;
use crate::service::Actor;
use async_graphql::Data;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::ws::{CloseFrame, Message};
use axum::extract::{ConnectInfo, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// Close codes: the session ended (logout, expiry, revocation), or what it may do changed
/// (roles or membership), or the client sent too much.
const CLOSE_SESSION_ENDED: u16 = 4401;
const CLOSE_POWERS_CHANGED: u16 = 4403;
const CLOSE_TOO_MANY: u16 = 4429;
/// The client took too long: to send `connection_init` (graphql-transport-ws's own code), or
/// a query or mutation ran past the request timeout.
const CLOSE_TIMEOUT: u16 = 4408;
/// The database could not confirm the session before an event: reconnect and resume.
const CLOSE_TRY_AGAIN: u16 = 1013;

/// Operations one socket may have running at once (subscriptions included).
const MAX_OPERATIONS: usize = 16;
/// How long a client may take to send `connection_init` (the request timeout, if shorter).
const INIT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// How long one message may take to leave: a client that stops reading is let go rather
/// than held in memory.
const WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The socket's session: its token and the actor it stood for at `connection_init`. Before
/// every operation the client starts, and before every event sent to it, the token is
/// checked again: a session that ended or whose powers changed closes the socket, so an open
/// socket never outlives a logout, an expiry or a demotion.
#[derive(Default)]
struct Session {
    token: Option<String>,
    actor: Option<Actor>,
}

type Closing = Arc<Mutex<Option<(u16, String)>>>;

/// The operations running on a socket: their ids, and for queries and mutations when they
/// must be done by (a subscription runs as long as the client wants).
#[derive(Default)]
struct Running {
    initialised: bool,
    operations: std::collections::HashMap<String, Option<tokio::time::Instant>>,
}

type Operations = Arc<Mutex<Running>>;

/// Upgrades to a GraphQL WebSocket.
pub async fn handler(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let client = super::client_address(peer.ip(), &headers, &state.trusted_proxies);
    if state.rate_limits.check_address(client).is_err() {
        return StatusCode::TOO_MANY_REQUESTS.into_response();
    }
    let header_token = bearer_token(&headers).map(str::to_owned);
    let body_limit = state.body_limit;
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        // One message may be as large as one HTTP request body, no larger.
        .max_message_size(body_limit)
        .max_frame_size(body_limit)
        .on_upgrade(move |socket| serve(state, socket, protocol, client, header_token))
}

async fn serve(
    state: AppState,
    socket: axum::extract::ws::WebSocket,
    protocol: GraphQLProtocol,
    client: std::net::IpAddr,
    header_token: Option<String>,
) {
    let session: Arc<Mutex<Session>> = Arc::default();
    let closing: Closing = Arc::default();
    let running: Operations = Arc::default();
    let opened = tokio::time::Instant::now();
    let timeout = state.request_timeout;
    let (mut socket_sink, socket_stream) = socket.split();
    let (out_tx, mut out_rx) = futures::channel::mpsc::channel::<Message>(32);

    // What the client sends: every operation it starts is checked first.
    let input = {
        let (state, session, closing, running) = (
            state.clone(),
            session.clone(),
            closing.clone(),
            running.clone(),
        );
        socket_stream.then(move |msg| {
            let (state, session, closing, running) = (
                state.clone(),
                session.clone(),
                closing.clone(),
                running.clone(),
            );
            async move {
                let msg = msg?;
                // Binary frames carry operations too (the server reads both).
                let text = match &msg {
                    Message::Text(text) => Some(text.as_str().to_owned()),
                    Message::Binary(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
                    _ => None,
                };
                let Some(text) = text else {
                    return Ok(msg);
                };
                let refused = match ClientMessage::read(&text) {
                    ClientMessage::Start { id, subscription } => {
                        match admit(&state, &session, client).await {
                            Err(refusal) => Some(refusal),
                            Ok(()) => start(
                                &running,
                                id,
                                subscription,
                                timeout,
                                tokio::time::Instant::now(),
                            ),
                        }
                    }
                    ClientMessage::Stop { id } => {
                        lock(&running).operations.remove(&id);
                        None
                    }
                    ClientMessage::Other => None,
                };
                if let Some((code, reason)) = refused {
                    tracing::info!(code, reason = %reason, "closing a graphql websocket");
                    *lock(&closing) = Some((code, reason));
                    // An error ends the input, and with it the socket's operations.
                    return Err(axum::Error::new(std::io::Error::other("session closed")));
                }
                Ok(msg)
            }
        })
    };

    let services = state.services.clone();
    let init_session = session.clone();
    let init_running = running.clone();
    let graphql = GraphQLWebSocket::new_with_pair(out_tx, input, state.schema.clone(), protocol)
        .on_connection_init(move |payload| async move {
            lock(&init_running).initialised = true;
            let token = token_in(&payload).or(header_token);
            let actor = match &token {
                None => Actor::Anonymous,
                Some(token) => services
                    .accounts
                    .authenticate(token)
                    .await
                    // A database fault keeps its code (UNAVAILABLE): not a bad token.
                    .map_err(crate::graphql::errors::to_gql)?,
            };
            *lock(&init_session) = Session {
                token,
                actor: Some(actor.clone()),
            };
            let (actor, loaders) = request_data(&services, actor);
            let mut data = Data::default();
            data.insert(actor);
            data.insert(loaders);
            data.insert(crate::graphql::ClientAddress(client));
            Ok(data)
        })
        .serve();

    // What the socket sends: every event is checked before it leaves; a client that is too
    // slow to start, to read, or whose query runs too long is let go.
    let forward = async {
        let mut watch = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            let msg = tokio::select! {
                msg = out_rx.next() => match msg {
                    Some(msg) => msg,
                    None => break,
                },
                _ = watch.tick() => {
                    if let Some(late) = overdue(&running, opened, INIT_TIMEOUT.min(timeout), tokio::time::Instant::now()) {
                        tracing::info!(code = late.0, reason = %late.1, "closing a graphql websocket");
                        *lock(&closing) = Some(late);
                        break;
                    }
                    continue;
                }
            };
            if let Message::Text(text) = &msg {
                match ServerMessage::read(text) {
                    ServerMessage::Event => {
                        if let Err((code, reason)) = still_valid(&state, &session, false).await {
                            *lock(&closing) = Some((code, reason));
                            break;
                        }
                    }
                    ServerMessage::Done { id } => {
                        lock(&running).operations.remove(&id);
                    }
                    ServerMessage::Other => {}
                }
            }
            match tokio::time::timeout(WRITE_TIMEOUT, socket_sink.send(msg)).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => return,
                Err(_) => {
                    tracing::info!("closing a graphql websocket whose client stopped reading");
                    return;
                }
            }
        }
        let close = lock(&closing).take();
        if let Some((code, reason)) = close {
            let _ = socket_sink
                .send(Message::Close(Some(CloseFrame {
                    code,
                    reason: reason.into(),
                })))
                .await;
        }
        let _ = socket_sink.close().await;
    };
    // When the forwarder stops (a closed session), the GraphQL side's sends fail and it ends.
    futures::future::join(graphql, forward).await;
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What a client message means to the socket's bookkeeping.
enum ClientMessage {
    /// graphql-transport-ws `subscribe`, or graphql-ws `start`.
    Start {
        id: String,
        subscription: bool,
    },
    /// graphql-transport-ws `complete`, or graphql-ws `stop`.
    Stop {
        id: String,
    },
    Other,
}

impl ClientMessage {
    fn read(text: &str) -> Self {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(text) else {
            return Self::Other;
        };
        let id = v
            .get("id")
            .and_then(|i| i.as_str())
            .unwrap_or_default()
            .to_owned();
        match v.get("type").and_then(|t| t.as_str()) {
            Some("subscribe" | "start") => Self::Start {
                id,
                subscription: is_subscription(&v["payload"]),
            },
            Some("complete" | "stop") => Self::Stop { id },
            _ => Self::Other,
        }
    }
}

/// Whether an operation's payload runs a subscription (the named operation, or the only
/// one); anything unreadable counts as a query, which errors at once.
fn is_subscription(payload: &serde_json::Value) -> bool {
    use async_graphql::parser::types::{DocumentOperations, OperationType};
    let Some(query) = payload.get("query").and_then(|q| q.as_str()) else {
        return false;
    };
    let Ok(doc) = async_graphql::parser::parse_query(query) else {
        return false;
    };
    let wanted = payload.get("operationName").and_then(|n| n.as_str());
    let ty = match &doc.operations {
        DocumentOperations::Single(op) => Some(op.node.ty),
        DocumentOperations::Multiple(ops) => wanted
            .and_then(|w| ops.iter().find(|(name, _)| name.as_str() == w))
            .map(|(_, op)| op.node.ty),
    };
    ty == Some(OperationType::Subscription)
}

/// What a server message means to the socket's bookkeeping.
enum ServerMessage {
    /// A result: `next`, or graphql-ws `data`.
    Event,
    /// The operation ended: `complete`, or `error`.
    Done {
        id: String,
    },
    Other,
}

impl ServerMessage {
    fn read(text: &str) -> Self {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(text) else {
            return Self::Other;
        };
        match v.get("type").and_then(|t| t.as_str()) {
            Some("next" | "data") => Self::Event,
            Some("complete" | "error") => Self::Done {
                id: v
                    .get("id")
                    .and_then(|i| i.as_str())
                    .unwrap_or_default()
                    .to_owned(),
            },
            _ => Self::Other,
        }
    }
}

/// Counts an operation in, unless the socket already runs its share.
fn start(
    running: &Mutex<Running>,
    id: String,
    subscription: bool,
    timeout: std::time::Duration,
    now: tokio::time::Instant,
) -> Option<(u16, String)> {
    let mut running = lock(running);
    if running.operations.len() >= MAX_OPERATIONS && !running.operations.contains_key(&id) {
        return Some((
            CLOSE_TOO_MANY,
            format!("同一连接上同时进行的操作过多（最多 {MAX_OPERATIONS} 个）"),
        ));
    }
    let deadline = (!subscription).then(|| now + timeout);
    running.operations.insert(id, deadline);
    None
}

/// Why the socket must close now: no `connection_init` in time, or a query or mutation past
/// its deadline.
fn overdue(
    running: &Mutex<Running>,
    opened: tokio::time::Instant,
    init_timeout: std::time::Duration,
    now: tokio::time::Instant,
) -> Option<(u16, String)> {
    let running = lock(running);
    if !running.initialised && now - opened > init_timeout {
        return Some((
            CLOSE_TIMEOUT,
            "Connection initialisation timeout".to_owned(),
        ));
    }
    running
        .operations
        .values()
        .flatten()
        .any(|deadline| now > *deadline)
        .then(|| {
            (
                CLOSE_TIMEOUT,
                "操作超时：查询或修改未能在时限内完成".to_owned(),
            )
        })
}

/// Checks an operation the client starts: the session still stands and the same request
/// limits as on HTTP (per address and per token) allow it.
async fn admit(
    state: &AppState,
    session: &Mutex<Session>,
    client: std::net::IpAddr,
) -> Result<(), (u16, String)> {
    let too_many = |wait: std::time::Duration| {
        (
            CLOSE_TOO_MANY,
            format!("请求过于频繁，请在 {} 秒后重试", wait.as_secs().max(1)),
        )
    };
    state.rate_limits.check_address(client).map_err(too_many)?;
    let token_id = lock(session)
        .actor
        .as_ref()
        .and_then(|a| a.user())
        .map(|u| u.token_id);
    if let Some(token_id) = token_id {
        state.rate_limits.check_token(token_id).map_err(too_many)?;
    }
    still_valid(state, session, true).await
}

/// Whether the session's token still stands for the same powers. When the database cannot
/// say, an operation goes ahead (it answers `UNAVAILABLE` itself) but an event does not: the
/// socket closes with 1013 and the client resumes after reconnecting, missing nothing.
async fn still_valid(
    state: &AppState,
    session: &Mutex<Session>,
    operation: bool,
) -> Result<(), (u16, String)> {
    let (token, actor) = {
        let s = lock(session);
        (s.token.clone(), s.actor.clone())
    };
    let (Some(token), Some(actor)) = (token, actor) else {
        return Ok(());
    };
    match state.services.accounts.authenticate(&token).await {
        Ok(fresh) if fresh == actor => Ok(()),
        Ok(_) => Err((
            CLOSE_POWERS_CHANGED,
            "账号的角色或所属机构已变化，请重新连接".to_owned(),
        )),
        Err(err) if err.code() == ErrorCode::Unauthenticated => {
            Err((CLOSE_SESSION_ENDED, err.to_string()))
        }
        Err(_) if operation => Ok(()),
        Err(_) => Err((
            CLOSE_TRY_AGAIN,
            "暂时无法确认登录状态，请稍后重新连接".to_owned(),
        )),
    }
}

/// The token of a `connection_init` payload: `authorization` / `Authorization` with or without
/// the `Bearer ` prefix, or `token`.
fn token_in(payload: &serde_json::Value) -> Option<String> {
    ["authorization", "Authorization", "token"]
        .iter()
        .find_map(|k| payload.get(k).and_then(|v| v.as_str()))
        .map(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
                .unwrap_or(v)
                .trim()
                .to_owned()
        })
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn secs(n: u64) -> std::time::Duration {
        std::time::Duration::from_secs(n)
    }

    #[test]
    fn queries_run_to_a_deadline_and_subscriptions_as_long_as_wanted() {
        let running = Mutex::new(Running {
            initialised: true,
            ..Default::default()
        });
        let opened = tokio::time::Instant::now();
        assert_eq!(start(&running, "s".into(), true, secs(30), opened), None);
        assert_eq!(start(&running, "q".into(), false, secs(30), opened), None);
        let late = |after: u64| overdue(&running, opened, INIT_TIMEOUT, opened + secs(after));
        assert_eq!(late(29), None);
        assert_eq!(
            late(31).map(|(code, _)| code),
            Some(CLOSE_TIMEOUT),
            "a query past its deadline"
        );
        lock(&running).operations.remove("q");
        assert_eq!(late(3600), None, "a subscription runs on");
    }

    #[test]
    fn a_socket_runs_its_share_of_operations_and_waits_for_its_init() {
        let running = Mutex::new(Running::default());
        let now = tokio::time::Instant::now();
        for i in 0..MAX_OPERATIONS {
            assert_eq!(start(&running, format!("{i}"), true, secs(30), now), None);
        }
        assert_eq!(
            start(&running, "one more".into(), true, secs(30), now).map(|(code, _)| code),
            Some(CLOSE_TOO_MANY)
        );
        assert_eq!(
            start(&running, "3".into(), true, secs(30), now),
            None,
            "an id reused"
        );
        assert_eq!(overdue(&running, now, INIT_TIMEOUT, now + secs(5)), None);
        assert_eq!(
            overdue(&running, now, INIT_TIMEOUT, now + INIT_TIMEOUT + secs(1))
                .map(|(code, _)| code),
            Some(CLOSE_TIMEOUT),
            "no connection_init in time"
        );
    }

    #[test]
    fn subscriptions_are_told_from_queries() {
        let read = |payload: serde_json::Value| {
            let text = json!({ "id": "1", "type": "subscribe", "payload": payload }).to_string();
            match ClientMessage::read(&text) {
                ClientMessage::Start { subscription, .. } => subscription,
                _ => panic!("a start"),
            }
        };
        assert!(read(
            json!({ "query": "subscription { notificationAdded { id } }" })
        ));
        assert!(!read(json!({ "query": "{ trlLevels { level } }" })));
        assert!(!read(json!({ "query": "not graphql" })));
        assert!(read(json!({
            "query": "query A { trlLevels { level } } subscription B { notificationAdded { id } }",
            "operationName": "B"
        })));
    }

    #[test]
    fn tokens_come_from_the_usual_payload_keys() {
        assert_eq!(
            token_in(&json!({"authorization": "Bearer abc"})).as_deref(),
            Some("abc")
        );
        assert_eq!(
            token_in(&json!({"Authorization": "abc"})).as_deref(),
            Some("abc")
        );
        assert_eq!(token_in(&json!({"token": "abc"})).as_deref(), Some("abc"));
        assert_eq!(token_in(&json!({"authorization": "Bearer "})), None);
        assert_eq!(token_in(&json!(null)), None);
    }
}
