//! GraphQL over HTTP: GET for queries (GraphiQL for browsers), POST with JSON, responses as
//! `application/graphql-response+json` when the client accepts it, with the status codes of the
//! GraphQL-over-HTTP draft.

use super::AppState;
use crate::error::{ErrorCode, ServiceError};
use crate::graphql::{limits, request_data};
use crate::service::Actor;
use async_graphql::parser::types::OperationType;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use std::time::Instant;

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// `GET /graphql`: GraphiQL for a browser, otherwise a query from the URL.
pub async fn get_handler(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    if query.is_empty() {
        if accepts(&headers, "text/html") && state.graphiql {
            // Served from the binary with its assets: no CDN (src/http/graphiql.rs).
            return super::graphiql::page();
        }
        return request_error(
            &headers,
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            "缺少 query 参数：GET /graphql?query={…}，或用 POST 发送 JSON",
        );
    }
    match async_graphql::http::parse_query_string(&query) {
        Ok(request) => execute(state, peer, headers, request, true).await,
        Err(err) => request_error(
            &headers,
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            &format!("查询字符串有误：{err}"),
        ),
    }
}

/// `POST /graphql` with an `application/json` body, or a GraphQL multipart request (file
/// uploads).
pub async fn post_handler(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let lower = content_type.to_ascii_lowercase();
    if lower.starts_with("multipart/form-data") {
        let options = async_graphql::http::MultipartOptions::default()
            .max_file_size(state.upload_limit)
            .max_num_files(1);
        return match async_graphql::http::receive_body(Some(content_type), &body[..], options).await
        {
            Ok(request) => execute(state, peer, headers, request, false).await,
            Err(err) => request_error(
                &headers,
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                &format!("multipart 上传请求有误：{err}"),
            ),
        };
    }
    if body.len() > state.body_limit {
        return request_error(
            &headers,
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::BadRequest,
            &format!("请求体超过 {} 字节的上限", state.body_limit),
        );
    }
    // The media type itself, without parameters: `application/jsonx` is not JSON.
    let media_type = lower.split(';').next().unwrap_or_default().trim();
    if media_type != "application/json" {
        return request_error(
            &headers,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::BadRequest,
            "Content-Type 须为 application/json（上传文件用 multipart/form-data）",
        );
    }
    match serde_json::from_slice::<async_graphql::Request>(&body) {
        Ok(request) => execute(state, peer, headers, request, false).await,
        Err(err) => request_error(
            &headers,
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            &format!(
                "请求体不是 GraphQL 请求（应为 {{\"query\": \"…\", \"variables\": {{…}}}}）：{err}"
            ),
        ),
    }
}

async fn execute(
    state: AppState,
    peer: SocketAddr,
    headers: HeaderMap,
    request: async_graphql::Request,
    via_get: bool,
) -> Response {
    let started = Instant::now();
    let client = super::client_address(peer.ip(), &headers, &state.trusted_proxies);
    if let Err(wait) = state.rate_limits.check_address(client) {
        return too_many_requests(&headers, wait);
    }
    // An Authorization header that is not `Bearer <token>` (a bare token pasted into
    // GraphiQL's headers, `Token …`) is refused, not taken for an anonymous visitor.
    if headers.contains_key(header::AUTHORIZATION) && bearer_token(&headers).is_none() {
        return authentication_failed(
            &headers,
            ServiceError::coded(
                ErrorCode::Unauthenticated,
                "Authorization 请求头应为 “Bearer <访问令牌>”（Bearer、一个空格，再接 login 返回的 accessToken）",
            ),
        );
    }
    let actor = match bearer_token(&headers) {
        None => Actor::Anonymous,
        Some(token) => match state.services.accounts.authenticate(token).await {
            Ok(actor) => actor,
            Err(err) => return authentication_failed(&headers, err),
        },
    };
    if let Some(Err(wait)) = actor
        .user()
        .map(|u| state.rate_limits.check_token(u.token_id))
    {
        return too_many_requests(&headers, wait);
    }
    // Metrics label requests by the schema field they ask for (a closed set), never by the
    // client's own operation name, so the label set cannot grow without bound.
    let mut operation = "other".to_owned();
    let mut introspection_only = false;
    if request.query.trim().is_empty() {
        return request_error(
            &headers,
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            "query 不能为空",
        );
    }
    // Parse once up front for the checks async-graphql leaves to us; it parses again itself.
    if let Ok(doc) = async_graphql::parser::parse_query(&request.query) {
        let (roots, only_fields) = limits::root_fields(&doc, request.operation_name.as_deref());
        // Only `__schema` / `__type` fields at the root (no fragments, which could hold
        // anything): those alone may use the introspection schema's looser depth limit.
        introspection_only = only_fields
            && roots.iter().any(|f| f == "__schema" || f == "__type")
            && roots
                .iter()
                .all(|f| f == "__schema" || f == "__type" || f == "__typename");
        operation = if introspection_only {
            "introspection".to_owned()
        } else {
            roots
                .into_iter()
                .find(|f| state.metrics.knows(f))
                .unwrap_or_else(|| "other".to_owned())
        };
        if limits::count_aliases(&doc) > state.max_aliases {
            return request_error(
                &headers,
                StatusCode::BAD_REQUEST,
                ErrorCode::QueryTooComplex,
                &format!("别名过多（最多 {} 个）", state.max_aliases),
            );
        }
        if via_get && selected_is_mutation(&doc, request.operation_name.as_deref()) {
            let mut resp = request_error(
                &headers,
                StatusCode::METHOD_NOT_ALLOWED,
                ErrorCode::BadRequest,
                "mutation 须用 POST 发送",
            );
            resp.headers_mut()
                .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
            return resp;
        }
    }
    let (actor, loaders) = request_data(&state.services, actor);
    // An introspection-only query (GraphiQL's docs, schema loaders) runs under its own depth
    // limit, when introspection is on at all.
    let schema = match &state.introspection_schema {
        Some(schema) if introspection_only => schema,
        _ => &state.schema,
    };
    let response = schema
        .execute(
            request
                .data(actor)
                .data(loaders)
                .data(crate::graphql::ClientAddress(client)),
        )
        .await;
    state.metrics.observe(
        &operation,
        response.errors.is_empty(),
        started.elapsed().as_secs_f64(),
    );
    let is_request_error = !response.errors.is_empty()
        && response.data == async_graphql::Value::Null
        && response.errors.iter().all(|e| e.path.is_empty());
    let mut response = response;
    for err in &mut response.errors {
        if err
            .extensions
            .as_ref()
            .is_none_or(|ext| ext.get("code").is_none())
        {
            // Our resolvers always set a code; the rest come from async-graphql's own checks.
            let code = classify(&err.message);
            err.extensions
                .get_or_insert_with(Default::default)
                .set("code", code.as_str());
        }
    }
    let modern = accepts(&headers, GRAPHQL_RESPONSE);
    let unavailable = response.errors.iter().any(|e| {
        e.extensions
            .as_ref()
            .and_then(|ext| ext.get("code"))
            .is_some_and(|c| *c == async_graphql::Value::from(ErrorCode::Unavailable.as_str()))
    });
    // Throttled logins: the longest wait any of them asked for.
    let retry_after = response
        .errors
        .iter()
        .filter_map(|e| e.extensions.as_ref()?.get("retryAfter"))
        .filter_map(|v| match v {
            async_graphql::Value::Number(n) => n.as_u64(),
            _ => None,
        })
        .max();
    let status = if unavailable {
        // Clients and load balancers retry elsewhere or later; nothing was decided.
        StatusCode::SERVICE_UNAVAILABLE
    } else if retry_after.is_some() && response.data == async_graphql::Value::Null {
        StatusCode::TOO_MANY_REQUESTS
    } else if modern && is_request_error {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    // A request that never executed (it did not parse or validate) has no `data` at all
    // (GraphQL over HTTP), rather than `data: null`.
    let body = if is_request_error {
        serde_json::to_vec(&serde_json::json!({ "errors": response.errors }))
    } else {
        serde_json::to_vec(&response)
    }
    .unwrap_or_default();
    let content_type = if modern {
        GRAPHQL_RESPONSE
    } else {
        "application/json"
    };
    let mut resp = (status, [(header::CONTENT_TYPE, content_type)], body).into_response();
    if unavailable {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    } else if let Some(secs) = retry_after
        && let Ok(v) = header::HeaderValue::from_str(&secs.to_string())
    {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

/// The answer when a bearer token could not be turned into an actor. Only a verdict on the
/// token is a 401: when the database could not be asked, the token may well be good, and a
/// 401 would make clients throw it away.
fn authentication_failed(headers: &HeaderMap, err: ServiceError) -> Response {
    let code = match err.code() {
        ErrorCode::Unauthenticated => ErrorCode::Unauthenticated,
        ErrorCode::Internal | ErrorCode::Unavailable => ErrorCode::Unavailable,
        other => other,
    };
    if code != ErrorCode::Unauthenticated {
        if let ServiceError::Internal(cause) = &err {
            tracing::warn!(error = ?cause, "could not check a token");
        }
        let mut resp = request_error(
            headers,
            StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
            code,
            "服务暂时不可用，请稍后重试",
        );
        resp.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        return resp;
    }
    let mut resp = request_error(headers, StatusCode::UNAUTHORIZED, code, &err.to_string());
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer"),
    );
    resp
}

/// Codes for errors async-graphql raises itself (parsing, validation, argument checks).
fn classify(message: &str) -> ErrorCode {
    let m = message.to_ascii_lowercase();
    if m.contains("too complex") || m.contains("nested too deep") || m.contains("complexity") {
        ErrorCode::QueryTooComplex
    } else if m.contains("invalid value for argument") || m.contains("failed to parse") {
        ErrorCode::InvalidArgument
    } else {
        ErrorCode::BadRequest
    }
}

fn selected_is_mutation(
    doc: &async_graphql::parser::types::ExecutableDocument,
    name: Option<&str>,
) -> bool {
    doc.operations.iter().any(|(op_name, op)| {
        let selected = match name {
            Some(n) => op_name.is_some_and(|o| o.as_str() == n),
            None => true,
        };
        selected && op.node.ty == OperationType::Mutation
    })
}

/// The token of an `Authorization: Bearer …` header.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

fn too_many_requests(headers: &HeaderMap, wait: std::time::Duration) -> Response {
    let secs = wait.as_secs().max(1);
    let mut resp = request_error(
        headers,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
        &format!("请求过于频繁，请在 {secs} 秒后重试"),
    );
    if let Ok(v) = header::HeaderValue::from_str(&secs.to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

fn accepts(headers: &HeaderMap, mime: &str) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|part| part.trim().starts_with(mime)))
}

/// A GraphQL-shaped error response for a request that could not be executed.
fn request_error(
    headers: &HeaderMap,
    status: StatusCode,
    code: ErrorCode,
    message: &str,
) -> Response {
    let modern = accepts(headers, GRAPHQL_RESPONSE);
    let body = serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code.as_str() } }] });
    let content_type = if modern {
        GRAPHQL_RESPONSE
    } else {
        "application/json"
    };
    (
        status,
        [(header::CONTENT_TYPE, content_type)],
        body.to_string(),
    )
        .into_response()
}
