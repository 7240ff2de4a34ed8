//! GraphQL over HTTP: methods, media types, status codes, limits, probes and metrics.

use crate::common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const MODERN: &str = "application/graphql-response+json";

#[tokio::test]
async fn browsers_get_graphiql_and_clients_can_query_with_get() {
    let app = spawn_app().await;
    let page = app
        .client
        .get(format!("{}/graphql", app.address))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text()
            .await
            .unwrap()
            .to_lowercase()
            .contains("graphiql")
    );

    let resp = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[("query", "{ priorityTracks { code } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({ "data": { "priorityTracks": [] } })
    );

    let mutation = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[(
            "query",
            "mutation { publishNeed(input: { id: \"x\" }) { userErrors { code } } }",
        )])
        .send()
        .await
        .unwrap();
    assert_eq!(
        mutation.status(),
        StatusCode::METHOD_NOT_ALLOWED,
        "mutations need POST"
    );
}

#[tokio::test]
async fn malformed_requests_get_the_right_status_and_code() {
    let app = spawn_app().await;
    let url = format!("{}/graphql", app.address);
    let wrong_type = app
        .client
        .post(&url)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let bad_json = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body("{ nope")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_json.status(), StatusCode::BAD_REQUEST);
    let body: Value = bad_json.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");

    let syntax = app
        .client
        .post(&url)
        .header("accept", MODERN)
        .json(&json!({ "query": "{ achievements(" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        syntax.status(),
        StatusCode::BAD_REQUEST,
        "unparsable documents are 400 for graphql-response+json"
    );
    assert_eq!(syntax.headers()["content-type"], MODERN);
    let body: Value = syntax.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");

    let legacy = app
        .client
        .post(&url)
        .json(&json!({ "query": "{ noSuchField }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        legacy.status(),
        StatusCode::OK,
        "application/json keeps 200 for validation errors"
    );
    assert!(
        legacy.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );

    let ok = app
        .client
        .post(&url)
        .header("accept", MODERN)
        .json(&json!({ "query": "{ trlLevels { level name } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let body: Value = ok.json().await.unwrap();
    assert_eq!(body["data"]["trlLevels"].as_array().unwrap().len(), 9);
}

#[tokio::test]
async fn depth_alias_and_body_limits_are_enforced() {
    let app = spawn_app_with(Options {
        body_limit: Some(4096),
        max_depth: Some(5),
        max_aliases: Some(3),
        ..Default::default()
    })
    .await;
    let url = format!("{}/graphql", app.address);
    let deep = "{ organizations { nodes { achievements { nodes { owner { name } } } } } }";
    let body: Value = app
        .client
        .post(&url)
        .json(&json!({ "query": deep }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX",
        "{body}"
    );

    let aliases = "{ a: trlLevels { level } b: trlLevels { level } c: trlLevels { level } d: trlLevels { level } }";
    let resp = app
        .client
        .post(&url)
        .json(&json!({ "query": aliases }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX");

    let big = format!("{{ trlLevels {{ level }} }} # {}", "x".repeat(8192));
    let resp = app
        .client
        .post(&url)
        .json(&json!({ "query": big }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn lists_cost_their_items_so_nested_and_repeated_lists_are_refused() {
    // async-graphql counts one a field by default: a list of a hundred cost as much as one,
    // and a fragment spread thousands of times went past the alias limit. Both were found
    // by an outside attacker (108,000 statements, then 3.4 GB, from one anonymous request).
    let app = spawn_app().await;
    let uni = app.university("青岛复杂度大学").await;
    let need = app
        .published_need(
            &app.enterprise("青岛复杂度企业有限公司").await,
            need_fields(),
        )
        .await;
    app.published_achievement(&uni, achievement_fields()).await;
    let too_complex = |body: &Value| body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX";

    let nested = "{ achievements(first: 100) { nodes { owner { achievements(first: 50) { nodes { owner { achievements(first: 50) { nodes { id } } } } } } } } }";
    let body = app.gql(nested, json!({})).await;
    assert!(too_complex(&body), "{body}");

    let spread = format!(
        "query($id: ID!) {{ {} }} fragment F on QueryRoot {{ matchesForNeed(id: $id, first: 50) {{ totalCount }} }}",
        "...F ".repeat(100)
    );
    let body = app.gql(&spread, json!({ "id": need })).await;
    assert!(too_complex(&body), "{body}");

    // What a client really asks stays well inside: a full page with owners, a search page,
    // and a few match lists.
    let page = "{ achievements(first: 100) { totalCount nodes { id title summary status trl { level } industries { code name } owner { id name kind region { code name } } } pageInfo { hasNextPage endCursor } } }";
    app.gql_ok(page, json!({})).await;
    let search = "{ search(query: \"电池\", first: 100) { totalCount edges { score highlights { field snippet } node { __typename ... on Achievement { id title } ... on Need { id title } } } facets { dimension code count } } }";
    app.gql_ok(search, json!({})).await;
    let matches = "query($id: ID!) { a: matchesForNeed(id: $id, first: 20) { nodes { score achievement { id title } } } b: matchesForNeed(id: $id, first: 20) { totalCount } }";
    app.gql_ok(matches, json!({ "id": need })).await;
}

async fn metrics(app: &TestApp) -> String {
    app.get("/metrics").await.text().await.unwrap()
}

#[tokio::test]
async fn probes_and_metrics_answer() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz"] {
        let resp = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
    }
    app.client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": "query CountAchievements { achievements { totalCount } }", "operationName": "CountAchievements" }))
        .send()
        .await
        .unwrap();
    let text = metrics(&app).await;
    // Labelled by the schema field asked for, not the client's operation name.
    assert!(
        text.contains(
            "qianxian_graphql_requests_total{operation=\"achievements\",outcome=\"ok\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "qianxian_graphql_request_duration_seconds_count{operation=\"achievements\"} 1"
        )
    );
    assert!(app.statements().await > 0);

    // The search gauges follow the index.
    let uni = app.university("青岛指标大学").await;
    app.published_achievement(&uni, achievement_fields()).await;
    app.services.search.catch_up().await.unwrap();
    let text = metrics(&app).await;
    assert!(text.contains("qianxian_search_documents 1\n"), "{text}");
    let cursor = text
        .lines()
        .find_map(|l| l.strip_prefix("qianxian_search_outbox_cursor "))
        .and_then(|v| v.parse::<i64>().ok());
    assert!(cursor.is_some_and(|c| c >= 2), "{text}");
}

#[tokio::test]
async fn code_tables_are_browsable() {
    let app = spawn_app().await;
    let data = app
        .gql_ok("{ sections: industryCodes { code } c38: industryCodes(parent: \"C38\") { code name } disc: disciplineCodes(parent: \"430\") { code } qd: regionCodes(parent: \"370200\") { code name } }", json!({}))
        .await;
    assert_eq!(data["sections"].as_array().unwrap().len(), 20);
    assert!(
        data["c38"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["code"] == "C384" && c["name"] == "电池制造")
    );
    assert!(
        data["disc"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["code"] == "43070")
    );
    assert!(
        data["qd"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "崂山区")
    );
}

/// The standard introspection query (graphql-js `getIntrospectionQuery`), as GraphiQL's docs
/// panel and schema loaders send it.
const INTROSPECTION: &str = r#"query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}"#;

#[tokio::test]
async fn development_tools_answer_in_development_and_are_off_in_production() {
    // Development: the standard introspection query works (its depth is counted apart from
    // data queries'), and GraphiQL is served.
    let dev = spawn_app().await;
    let schema = dev.gql_ok(INTROSPECTION, json!({})).await;
    assert_eq!(schema["__schema"]["queryType"]["name"], "QueryRoot");
    let deep_data = dev
        .gql("{ needs { nodes { owner { achievements { nodes { owner { achievements { nodes { owner { achievements { nodes { owner { name } } } } } } } } } } } } }", json!({}))
        .await;
    assert_eq!(
        deep_data["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX",
        "data queries keep their depth limit: {deep_data}"
    );

    // Production: no GraphiQL, no introspection, no public /metrics.
    let prod = spawn_app_with(Options {
        production: true,
        ..Default::default()
    })
    .await;
    let page = prod
        .client
        .get(format!("{}/graphql", prod.address))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_ne!(page.status(), 200);
    assert!(!page.text().await.unwrap().contains("graphiql"));
    let refused = prod.gql(INTROSPECTION, json!({})).await;
    assert!(refused["data"]["__schema"].is_null(), "{refused}");
    let metrics = prod.get("/metrics").await;
    assert_eq!(metrics.status(), 404);
    // Ordinary queries are unaffected.
    let data = prod
        .gql_ok("{ achievements(first: 1) { totalCount } }", json!({}))
        .await;
    assert_eq!(data["achievements"]["totalCount"], 0);
}

#[tokio::test]
async fn metrics_behind_a_token_or_on_their_own_address() {
    let with_token = spawn_app_with(Options {
        production: true,
        metrics: Some(qianxian::config::MetricsSettings {
            token: "metrics-scraper-token-2026".to_owned(),
            ..Default::default()
        }),
        ..Default::default()
    })
    .await;
    let url = format!("{}/metrics", with_token.address);
    let anonymous = with_token.client.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 404);
    let wrong = with_token
        .client
        .get(&url)
        .bearer_auth("guess")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 404);
    let scraper = with_token
        .client
        .get(&url)
        .bearer_auth("metrics-scraper-token-2026")
        .send()
        .await
        .unwrap();
    assert_eq!(scraper.status(), 200);

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let apart = spawn_app_with(Options {
        metrics: Some(qianxian::config::MetricsSettings {
            listen: format!("127.0.0.1:{port}"),
            ..Default::default()
        }),
        ..Default::default()
    })
    .await;
    let on_api = apart.get("/metrics").await;
    assert_eq!(on_api.status(), 404, "not on the API's address");
    let own = apart
        .client
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
}

#[tokio::test]
async fn client_chosen_operation_names_never_become_metric_labels() {
    let app = spawn_app().await;
    for i in 0..40 {
        app.client
            .post(format!("{}/graphql", app.address))
            .json(&json!({ "query": format!("query Probe{i}x {{ achievements(first: 1) {{ totalCount }} }}"), "operationName": format!("Probe{i}x") }))
            .send()
            .await
            .unwrap();
    }
    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(!text.contains("Probe"), "{text}");
    assert!(
        text.contains("operation=\"achievements\""),
        "labelled by the field asked for"
    );
}

#[tokio::test]
async fn media_types_arguments_and_request_errors_follow_the_spec() {
    let app = spawn_app().await;
    let post = |content_type: &'static str, body: &'static str| {
        app.client
            .post(format!("{}/graphql", app.address))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let jsonx = post("application/jsonx", "{\"query\":\"{ __typename }\"}")
        .await
        .unwrap();
    assert_eq!(jsonx.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let charset = post(
        "application/json; charset=utf-8",
        "{\"query\":\"{ __typename }\"}",
    )
    .await
    .unwrap();
    assert_eq!(charset.status(), StatusCode::OK);

    // A document that does not parse, or does not validate, executed nothing: no `data`.
    for query in ["{ achievements(", "{ noSuchField }"] {
        let body = app.gql(query, json!({})).await;
        assert!(body.get("data").is_none(), "{query}: {body}");
        assert!(
            body["errors"][0]["extensions"]["code"].is_string(),
            "{body}"
        );
    }

    let operator = app.operator_token("参数管理员").await;
    let runs = app
        .gql_as(
            &operator,
            "{ syncRuns(first: -1) { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        runs["errors"][0]["extensions"]["code"], "INVALID_ARGUMENT",
        "{runs}"
    );
}

#[tokio::test]
async fn the_root_and_a_trailing_slash_lead_to_graphql() {
    let app = spawn_app().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for path in ["/", "/graphql/"] {
        let resp = client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_redirection(), "{path}: {}", resp.status());
        assert_eq!(resp.headers()["location"], "/graphql", "{path}");
    }
}
