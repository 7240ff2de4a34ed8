//! `GET /graphql/ws`: GraphQL subscriptions over WebSocket (graphql-transport-ws, and the older
//! graphql-ws for existing clients). The access token comes in the `connection_init` payload
//! (`{"authorization": "Bearer …"}`) or in the upgrade request's `Authorization` header, and
//! every operation on the socket runs as that user, through the same services and rules as
//! `POST /graphql`.

use super::AppState;
use super::graphql::bearer_token;
use crate::graphql::request_data;
use crate::service::Actor;
use async_graphql::Data;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::{ConnectInfo, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;

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
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            let services = state.services.clone();
            GraphQLWebSocket::new(socket, state.schema.clone(), protocol)
                .on_connection_init(move |payload| async move {
                    let token = token_in(&payload).or(header_token);
                    let actor = match token {
                        None => Actor::Anonymous,
                        Some(token) => services
                            .accounts
                            .authenticate(&token)
                            .await
                            // A database fault keeps its code (UNAVAILABLE): not a bad token.
                            .map_err(crate::graphql::errors::to_gql)?,
                    };
                    let (actor, loaders) = request_data(&services, actor);
                    let mut data = Data::default();
                    data.insert(actor);
                    data.insert(loaders);
                    data.insert(crate::graphql::ClientAddress(client));
                    Ok(data)
                })
                .serve()
        })
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
