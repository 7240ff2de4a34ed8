//! GraphQL over HTTP: methods, media types, status codes, limits, probes and metrics.

mod common;

use common::*;
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
    let deep = "{ organizations { nodes { achievements { owner { achievements { title } } } } } }";
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

async fn metrics(app: &TestApp) -> String {
    app.client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
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
    assert!(
        text.contains(
            "qianxian_graphql_requests_total{operation=\"CountAchievements\",outcome=\"ok\"} 1"
        ),
        "{text}"
    );
    assert!(text.contains(
        "qianxian_graphql_request_duration_seconds_count{operation=\"CountAchievements\"} 1"
    ));
    assert!(app.statements().await > 0);

    // The search gauges follow the index.
    let uni = app
        .create_org("UNIVERSITY", "青岛指标大学", "370212", true)
        .await;
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
