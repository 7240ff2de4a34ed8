//! `GET /graphql/ws`: GraphQL subscriptions over WebSocket (graphql-transport-ws, and the older
//! graphql-ws for existing clients). The access token comes in the `connection_init` payload
//! (`{"authorization": "Bearer …"}`) or in the upgrade request's `Authorization` header, and
//! every operation on the socket runs as that user, through the same services and rules as
//! `POST /graphql`: the same depth, complexity and alias limits (schema-wide), the same rate
//! limits, and a session that is checked again before every operation and every event —
//! closed with 4401 when it ended (logout, expiry, revocation) and 4403 when the user's roles
//! or membership changed.

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
    let (mut socket_sink, socket_stream) = socket.split();
    let (out_tx, mut out_rx) = futures::channel::mpsc::channel::<Message>(32);

    // What the client sends: every operation it starts is checked first.
    let input = {
        let (state, session, closing) = (state.clone(), session.clone(), closing.clone());
        socket_stream.then(move |msg| {
            let (state, session, closing) = (state.clone(), session.clone(), closing.clone());
            async move {
                let msg = msg?;
                // Binary frames carry operations too (the server reads both).
                let text = match &msg {
                    Message::Text(text) => Some(text.as_str().to_owned()),
                    Message::Binary(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
                    _ => None,
                };
                if let Some(text) = text
                    && starts_operation(&text)
                    && let Err((code, reason)) = admit(&state, &session, client).await
                {
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
    let graphql = GraphQLWebSocket::new_with_pair(out_tx, input, state.schema.clone(), protocol)
        .on_connection_init(move |payload| async move {
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

    // What the socket sends: every event is checked before it leaves.
    let forward = async {
        while let Some(msg) = out_rx.next().await {
            if let Message::Text(text) = &msg
                && is_event(text)
                && let Err((code, reason)) = still_valid(&state, &session).await
            {
                *lock(&closing) = Some((code, reason));
                break;
            }
            if socket_sink.send(msg).await.is_err() {
                return;
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

/// Whether a client message starts an operation (graphql-transport-ws `subscribe`, or the
/// older graphql-ws `start`).
fn starts_operation(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| {
            v.get("type")?
                .as_str()
                .map(|t| t == "subscribe" || t == "start")
        })
        .unwrap_or(false)
}

/// Whether a server message carries a result (`next`, or graphql-ws `data`).
fn is_event(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("type")?.as_str().map(|t| t == "next" || t == "data"))
        .unwrap_or(false)
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
    still_valid(state, session).await
}

/// Whether the session's token still stands for the same powers.
async fn still_valid(state: &AppState, session: &Mutex<Session>) -> Result<(), (u16, String)> {
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
        // The database could not say: keep the socket; the operation answers UNAVAILABLE.
        Err(_) => Ok(()),
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
    use super::token_in;
    use serde_json::json;

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
