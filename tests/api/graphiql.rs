//! GraphiQL without the internet (issue #21): the page and every file it loads come from the
//! service itself, the introspection query the bundled GraphiQL sends is answered, and a
//! headless Chromium cut off from every network but loopback shows GraphiQL's editor with the
//! schema loaded. In production, with GraphiQL off, neither the page nor its files are served.

use crate::common::*;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use reqwest::{StatusCode, Url};
use serde_json::{Value, json};
use std::time::Duration;

/// The introspection query the bundled GraphiQL (3.9.0) sends, byte for byte: graphql-js
/// 16.9.0's `getIntrospectionQuery({ inputValueDeprecation: true, schemaDescription: true })`,
/// the options `src/http/graphiql/qianxian-graphiql.js` passes, evaluated from the bundle itself
/// (`src/http/graphiql/assets/README.md` says how to regenerate it after an upgrade).
const GRAPHIQL_INTROSPECTION: &str = include_str!("graphiql_introspection.graphql");

/// Where Debian's `chromium` package puts the browser.
const CHROMIUM: &str = "/usr/bin/chromium";

/// How long Chromium may take to load the page, run GraphiQL and fetch the schema.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(120);

#[tokio::test]
async fn the_page_and_every_file_it_loads_come_from_the_service() {
    let app = spawn_app().await;
    let page_url = Url::parse(&format!("{}/graphql", app.address)).unwrap();
    let page = get_as_browser(&app, page_url.as_str()).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(header(&page, "content-type"), "text/html; charset=utf-8");
    let csp = header(&page, "content-security-policy");
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(
        csp.contains("script-src 'self';"),
        "no inline or eval'd script: {csp}"
    );
    let html = page.text().await.unwrap();
    assert!(
        html.contains("<title>牵线 Qianxian GraphiQL</title>"),
        "{html}"
    );
    assert_eq!(
        html.matches("<script").count(),
        html.matches("<script src=").count(),
        "every script is a file of the service (the CSP allows no inline script): {html}"
    );

    let links = [
        attribute_values(&html, "src"),
        attribute_values(&html, "href"),
    ]
    .concat();
    for wanted in [
        "react.production.min.js",
        "react-dom.production.min.js",
        "graphiql.min.js",
        "graphiql.min.css",
    ] {
        assert!(
            links.iter().any(|l| l.contains(wanted)),
            "{wanted} in {links:?}"
        );
    }
    for link in &links {
        assert!(
            !link.contains("://") && !link.starts_with("//"),
            "the page names another host: {link}"
        );
        let url = page_url.join(link).unwrap();
        assert_eq!(url.origin(), page_url.origin(), "{link}");
        let resp = app.client.get(url.clone()).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{url}");
        assert_eq!(
            header(&resp, "content-type"),
            content_type_for(url.path()),
            "{url}"
        );
        assert!(
            header(&resp, "cache-control").contains("immutable"),
            "{url}"
        );
        assert!(!resp.bytes().await.unwrap().is_empty(), "{url}");
    }

    let licence = app.get("/graphql/assets/LICENSE-graphiql.txt").await;
    assert_eq!(
        header(&licence, "content-type"),
        "text/plain; charset=utf-8"
    );
    assert!(licence.text().await.unwrap().contains("MIT License"));
    let missing = app.get("/graphql/assets/missing.js").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn graphiqls_introspection_query_is_answered_and_data_limits_hold() {
    // Deeper than data queries may go, within the introspection-only limit.
    let depth = field_depth(GRAPHIQL_INTROSPECTION);
    assert!(
        depth > qianxian::config::Settings::default().graphql.max_depth
            && depth <= qianxian::graphql::INTROSPECTION_MAX_DEPTH,
        "GraphiQL's introspection query nests {depth} deep"
    );
    let app = spawn_app().await;
    // As GraphiQL's fetcher sends it: JSON, with the operation's name.
    let body = introspect(&app, GRAPHIQL_INTROSPECTION).await;
    assert!(body.get("errors").is_none(), "{body}");
    let schema = &body["data"]["__schema"];
    assert_eq!(schema["queryType"]["name"], "QueryRoot");
    assert_eq!(schema["mutationType"]["name"], "MutationRoot");
    assert_eq!(schema["subscriptionType"]["name"], "SubscriptionRoot");
    assert!(schema["types"].as_array().unwrap().len() > 50, "{schema}");

    // The same document with a data field beside `__schema` is no longer introspection only:
    // it runs under the data queries' depth limit and is refused.
    let mixed = GRAPHIQL_INTROSPECTION.replacen(
        "__schema {",
        "priorityTracks { code }\n      __schema {",
        1,
    );
    let refused = introspect(&app, &mixed).await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX",
        "{refused}"
    );
    let deep_data = app
        .gql(
            "{ needs { nodes { owner { achievements { nodes { owner { achievements { nodes { owner { achievements { nodes { owner { name } } } } } } } } } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        deep_data["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX",
        "{deep_data}"
    );
}

#[tokio::test]
async fn chromium_without_the_internet_shows_graphiql_with_its_schema() {
    assert!(
        std::path::Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: this test runs GraphiQL in headless Chromium; install it with \
         `apt-get install -y chromium` (.ci/run does)"
    );
    let app = spawn_app().await;
    let (dom, console) = dump_dom_offline(&format!("{}/graphql", app.address)).await;

    assert!(
        dom.contains("graphiql-container"),
        "GraphiQL rendered: {dom}"
    );
    assert!(dom.contains("CodeMirror"), "its editors rendered: {dom}");
    assert!(
        !dom.contains(">Loading...<"),
        "GraphiQL replaced the placeholder: {dom}"
    );
    assert!(
        dom.contains("Show Documentation Explorer"),
        "the docs button is there: {dom}"
    );
    // Set by the page's script when GraphiQL's introspection request built a schema: what the
    // docs explorer shows.
    assert!(
        dom.contains(r#"data-schema="loaded""#) && dom.contains(r#"data-query-type="QueryRoot""#),
        "the schema loaded (docs explorer has something to show): {dom}\n{console}"
    );
    assert!(
        !console.contains("Content Security Policy"),
        "the page works under its own CSP: {console}"
    );
}

#[tokio::test]
async fn production_serves_neither_the_page_nor_its_files() {
    let app = spawn_app_with(Options {
        production: true,
        ..Default::default()
    })
    .await;
    let page = get_as_browser(&app, &format!("{}/graphql", app.address)).await;
    assert_ne!(page.status(), StatusCode::OK);
    for name in [
        "graphiql.min.js",
        "react.production.min.js",
        "LICENSE-react.txt",
    ] {
        let resp = app
            .client
            .get(format!("{}/graphql/assets/{name}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{name}");
    }
}

/// GETs `url` as a browser does (HTML first).
async fn get_as_browser(app: &TestApp, url: &str) -> reqwest::Response {
    app.client
        .get(url)
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .send()
        .await
        .unwrap()
}

/// POSTs an introspection document as GraphiQL's fetcher does.
async fn introspect(app: &TestApp, query: &str) -> Value {
    app.client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": query, "operationName": "IntrospectionQuery" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn header(resp: &reqwest::Response, name: &str) -> String {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// How deep the fields of `query` nest, fragments inlined: what async-graphql's depth limit
/// counts.
fn field_depth(query: &str) -> usize {
    let doc = async_graphql::parser::parse_query(query).expect("the query parses");
    doc.operations
        .iter()
        .map(|(_, op)| selection_depth(&op.node.selection_set.node, &doc))
        .max()
        .unwrap_or(0)
}

fn selection_depth(set: &SelectionSet, doc: &ExecutableDocument) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(f) => 1 + selection_depth(&f.node.selection_set.node, doc),
            Selection::InlineFragment(f) => selection_depth(&f.node.selection_set.node, doc),
            Selection::FragmentSpread(spread) => doc
                .fragments
                .get(&spread.node.fragment_name.node)
                .map_or(0, |f| selection_depth(&f.node.selection_set.node, doc)),
        })
        .max()
        .unwrap_or(0)
}

/// The values of every `name="…"` (or `'…'`) attribute in `html`.
fn attribute_values(html: &str, name: &str) -> Vec<String> {
    let mut values = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(&format!(" {name}=")) {
        rest = &rest[at + name.len() + 2..];
        let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        let Some(end) = rest[1..].find(quote) else {
            break;
        };
        values.push(rest[1..1 + end].to_owned());
        rest = &rest[1 + end..];
    }
    values
}

/// The content type a file of the page must be served with.
fn content_type_for(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        _ => panic!("the page names a file of an unexpected kind: {path}"),
    }
}

/// Loads `url` in headless Chromium that can reach loopback only, and returns the DOM once the
/// page settled, and what the browser logged (its console included).
///
/// Isolation: every request that is not to 127.0.0.1 goes to a proxy at 127.0.0.1:9, where
/// nothing listens, and every host name resolves to nothing; background services (updates,
/// sync, extensions) are off. A page that needed a CDN would stay at "Loading...".
async fn dump_dom_offline(url: &str) -> (String, String) {
    let profile = tempfile::tempdir().expect("temp dir");
    let mut command = tokio::process::Command::new(CHROMIUM);
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-default-apps",
            "--disable-sync",
            "--proxy-server=http://127.0.0.1:9",
            "--proxy-bypass-list=127.0.0.1",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=30000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(url)
        .kill_on_drop(true);
    let output = tokio::time::timeout(BROWSER_TIMEOUT, command.output())
        .await
        .unwrap_or_else(|_| panic!("Chromium did not finish within {BROWSER_TIMEOUT:?}"))
        .expect("Chromium runs");
    let console = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "Chromium failed ({}): {console}",
        output.status
    );
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        console,
    )
}
