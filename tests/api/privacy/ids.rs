//! Ids as an attacker reads them: a global id is base64 of `Type:<number>`, and rows are
//! numbered in the order they are made, confidential needs and drafts included. Were the number
//! the row id, the gap between two public needs' numbers would count the hidden listings made
//! between them.

use super::{matching_parties, uncoded_need, visitor_and_outsider};
use crate::common::*;
use base64::Engine;
use serde_json::{Value, json};

const NEEDS: &str = "query { needs(first: 50) { nodes { id title } } }";
const NODE: &str = "query($id: ID!) { node(id: $id) { ... on Need { id title } } }";

/// The number inside a global id, as anyone can read it.
fn number_inside(id: &str) -> i64 {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(id)
        .expect("base64");
    let text = String::from_utf8(raw).expect("utf-8");
    text.split_once(':')
        .expect("Type:number")
        .1
        .parse()
        .expect("a number")
}

/// Two public needs of one firm, with `hidden` listings of a rival (confidential needs and
/// drafts, alternately) made between them. What a visitor and a member of another
/// organisation list (the member over HTTP and over the WebSocket), and the two ids.
async fn ids_world(hidden: usize) -> (Value, Value, [String; 2]) {
    let app = spawn_app().await;
    let (university, firm, rival) = matching_parties(&app, "编号").await;
    let problem = "需要一种公开的海水淡化膜清洗方案，降低运行成本。";
    let first = app
        .published_need(&firm, uncoded_need("第一条公开需求", problem, "PUBLIC"))
        .await;
    for i in 0..hidden {
        let need = uncoded_need(&format!("隐藏需求{i}"), problem, "CONFIDENTIAL");
        if i % 2 == 0 {
            app.published_need(&rival, need).await;
        } else {
            app.create_need(&rival, need).await;
        }
    }
    let second = app
        .published_need(&firm, uncoded_need("第二条公开需求", problem, "PUBLIC"))
        .await;
    for id in [&first, &second] {
        let found = app.gql_ok(NODE, json!({ "id": id })).await;
        assert_eq!(found["node"]["id"], json!(id), "an id finds its need");
    }
    let (visitor, outsider) =
        visitor_and_outsider(&app, &university, vec![(NEEDS, json!({}))]).await;
    (visitor[0].clone(), outsider[0].clone(), [first, second])
}

#[tokio::test]
async fn ids_tell_nothing_of_hidden_listings_made_between_two_public_ones() {
    let (visitor_without, outsider_without, [first_without, second_without]) = ids_world(0).await;
    let (visitor_with, outsider_with, [first_with, second_with]) = ids_world(3).await;
    // The first need is row 1 in both worlds: ids are stable, not random per request.
    assert_eq!(first_without, first_with);
    // Everything else a visitor lists is the same but for the second need's id.
    let blind = |listing: &Value, second: &str| listing.to_string().replace(second, "<second>");
    assert_eq!(
        blind(&visitor_without, &second_without),
        blind(&visitor_with, &second_with)
    );
    assert_eq!(
        blind(&outsider_without, &second_without),
        blind(&outsider_with, &second_with)
    );
    assert!(
        visitor_with.to_string().contains(&second_with),
        "{visitor_with}"
    );
    // The attacker's reading of the gap between the two public ids counts nothing.
    let gap = |first: &str, second: &str| number_inside(second) - number_inside(first) - 1;
    assert_ne!(
        gap(&first_without, &second_without),
        0,
        "ids are not consecutive"
    );
    assert_ne!(
        gap(&first_with, &second_with),
        3,
        "ids do not count hidden listings"
    );
    let all = [&first_without, &second_without, &second_with];
    assert!(
        all.iter().all(|id| number_inside(id) > 1_000),
        "the number inside an id is not the row id: {:?}",
        all.map(|id| number_inside(id))
    );
}

/// The fewest statements `node(id:)` costs for `id`, asked by `token` (the app's background
/// loops may add one now and then, so the smallest of three runs is the query's).
async fn statements_for_node(app: &TestApp, token: &str, id: &str) -> u64 {
    let mut used = u64::MAX;
    for _ in 0..3 {
        let before = app.statements().await;
        let found = app.gql_ok_as(token, NODE, json!({ "id": id })).await;
        assert!(found["node"].is_null(), "{found}");
        used = used.min(app.statements().await - before);
    }
    used
}

#[tokio::test]
async fn a_hidden_need_costs_as_many_statements_to_look_up_as_a_missing_one() {
    // Someone who holds a confidential need's id (it was public once, or was shared) must not
    // tell from how long `node(id:)` takes whether it is hidden or gone.
    let app = spawn_app().await;
    let (university, _, rival) = matching_parties(&app, "计时").await;
    let problem = "需要一种保密的海水淡化膜清洗方案，降低运行成本。";
    let confidential = app
        .published_need(&rival, uncoded_need("保密需求", problem, "CONFIDENTIAL"))
        .await;
    let draft = app
        .create_need(&rival, uncoded_need("草稿需求", problem, "PUBLIC"))
        .await;
    let missing = global_id(qianxian::graphql::ids::NodeType::Need, 99_999);
    let member = app.member_token(&university, "计时探针成员").await;
    let costs = [
        statements_for_node(&app, &member, &missing).await,
        statements_for_node(&app, &member, &confidential).await,
        statements_for_node(&app, &member, &draft).await,
    ];
    assert!(
        costs.iter().all(|c| *c == costs[0]),
        "missing, confidential, draft: {costs:?}"
    );
}
