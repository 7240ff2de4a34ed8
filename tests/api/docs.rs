//! The docs run: every ```graphql block in README.md and docs/**/*.md is sent, in order, to a
//! fresh service with the demo data, one service per file, and must answer without errors.
//!
//! Comment lines in a block steer the run (they are GraphQL comments, so the block still
//! pastes into GraphiQL as it is):
//! - `# as: broker@example.com` logs in as that demo account first (password
//!   `Qianxian-demo-2026`); without it the block runs as an anonymous visitor;
//! - `# save: needId = createNeed.need.id` keeps a value of the answer's `data` under a name;
//!   later blocks of the same file receive every kept value as variables (`$needId`);
//! - `# expect: FORBIDDEN` says the block shows a refusal: the answer must carry that code
//!   (in `errors` or a payload's `userErrors`).
//!
//! A subscription is checked over HTTP, where a valid one is answered "not supported on this
//! transport" only after it passed validation.

use crate::common::*;
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

const DEMO_PASSWORD: &str = "Qianxian-demo-2026";

/// One ```graphql block of a document.
#[derive(Debug)]
struct Block {
    /// `README.md:42`, for messages.
    place: String,
    text: String,
}

impl Block {
    /// The values of a `# name: value` comment line.
    fn directives<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.text.lines().filter_map(move |line| {
            let rest = line.trim().strip_prefix('#')?.trim_start();
            rest.strip_prefix(name)?.strip_prefix(':').map(str::trim)
        })
    }

    fn is_subscription(&self) -> bool {
        self.text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .is_some_and(|l| l.starts_with("subscription"))
    }
}

/// The documents whose examples must run.
fn documents() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = vec![root.join("README.md")];
    let mut folders = vec![root.join("docs")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("docs folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// The ```graphql blocks of one document, in order.
fn blocks(path: &Path) -> Vec<Block> {
    let text = std::fs::read_to_string(path).expect("readable document");
    let name = path
        .strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(path)
        .display()
        .to_string();
    let mut found = Vec::new();
    let mut open: Option<(usize, Vec<&str>)> = None;
    for (n, line) in text.lines().enumerate() {
        match &mut open {
            None if line.trim_start() == "```graphql" => open = Some((n + 1, Vec::new())),
            None => {}
            Some((start, lines)) if line.trim_start().starts_with("```") => {
                found.push(Block {
                    place: format!("{name}:{start}"),
                    text: lines.join("\n"),
                });
                open = None;
            }
            Some((_, lines)) => lines.push(line),
        }
    }
    found
}

/// Error codes anywhere in an answer: `errors[].extensions.code` and `userErrors[].code`.
fn codes(answer: &Value) -> Vec<String> {
    fn user_errors(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                for (key, value) in map {
                    if key == "userErrors" {
                        for e in value.as_array().into_iter().flatten() {
                            out.push(e["code"].as_str().unwrap_or("?").to_owned());
                        }
                    } else {
                        user_errors(value, out);
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| user_errors(i, out)),
            _ => {}
        }
    }
    let mut out: Vec<String> = answer["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["extensions"]["code"].as_str().unwrap_or("?").to_owned())
        .collect();
    user_errors(&answer["data"], &mut out);
    out
}

/// `createNeed.need.id` in `data`, with numbers for list positions.
fn at<'a>(data: &'a Value, path: &str) -> &'a Value {
    path.split('.')
        .fold(data, |v, key| match key.parse::<usize>() {
            Ok(i) => &v[i],
            Err(_) => &v[key],
        })
}

async fn run_document(path: &Path) -> Vec<String> {
    let blocks = blocks(path);
    if blocks.is_empty() {
        return Vec::new();
    }
    let app = spawn_app_with(Options {
        demo_data: true,
        ..Default::default()
    })
    .await;
    let mut saved = Map::new();
    let mut failures = Vec::new();
    for block in &blocks {
        // What earlier blocks wrote is indexed and matched before the next one reads.
        app.services
            .search
            .catch_up()
            .await
            .expect("index catches up");
        app.run_jobs().await;
        let token = match block.directives("as").next() {
            Some(login) => Some(app.login(login, DEMO_PASSWORD).await),
            None => None,
        };
        let variables = Value::Object(saved.clone());
        let answer = match &token {
            Some(t) => app.gql_as(t, &block.text, variables).await,
            None => app.gql(&block.text, variables).await,
        };
        let found = codes(&answer);
        let expected: Vec<&str> = block.directives("expect").collect();
        let fine = if block.is_subscription() {
            answer["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains("not supported"))
        } else if expected.is_empty() {
            found.is_empty() && answer["data"].is_object()
        } else {
            expected.iter().all(|code| found.iter().any(|f| f == code))
        };
        if !fine {
            failures.push(format!("{}: {answer}", block.place));
            continue;
        }
        for save in block.directives("save") {
            let (name, path) = save.split_once('=').expect("# save: name = path");
            let value = at(&answer["data"], path.trim());
            if value.is_null() {
                failures.push(format!("{}: nothing at {path} in {answer}", block.place));
            }
            saved.insert(name.trim().to_owned(), value.clone());
        }
    }
    app.stop().await;
    failures
}

#[tokio::test]
async fn every_graphql_example_in_the_docs_runs_as_written() {
    let mut failures = Vec::new();
    let mut ran = 0;
    for path in documents() {
        ran += blocks(&path).len();
        failures.extend(run_document(&path).await);
    }
    assert!(ran >= 10, "the docs hold GraphQL examples ({ran} found)");
    assert!(
        failures.is_empty(),
        "{} of {ran} examples failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn directives_and_paths_are_read_as_documented() {
    let block = Block {
        place: "x.md:1".into(),
        text: "# as: broker@example.com\n# save: needId = createNeed.need.id\nmutation { x }"
            .into(),
    };
    assert_eq!(
        block.directives("as").collect::<Vec<_>>(),
        ["broker@example.com"]
    );
    assert_eq!(
        block.directives("save").collect::<Vec<_>>(),
        ["needId = createNeed.need.id"]
    );
    assert!(!block.is_subscription());
    let data = json!({ "needs": { "nodes": [{ "id": "N1" }] } });
    assert_eq!(at(&data, "needs.nodes.0.id"), "N1");
    let answer =
        json!({ "data": { "createNeed": { "userErrors": [{ "code": "INVALID_ARGUMENT" }] } } });
    assert_eq!(codes(&answer), ["INVALID_ARGUMENT"]);
}
