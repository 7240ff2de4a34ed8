//! Listing queries: every filter, sort orders, Relay pagination edges, `node`, and the bounded
//! number of SQL statements that DataLoaders buy.

use crate::common::*;
use chrono::Duration;
use serde_json::{Value, json};

struct Market {
    app: TestApp,
    ouc: Org,
    sdu_jinan: Org,
    institute: Org,
    firm: Org,
}

/// Four results and three needs with distinct facets.
async fn market() -> Market {
    let app = spawn_app().await;
    app.add_track("solid-state-battery", "固态电池").await;
    app.add_track("terahertz", "太赫兹").await;
    let ouc = app.university("青岛海洋测试大学").await;
    let sdu_jinan = app
        .create_org("UNIVERSITY", "济南测试大学", "370102", true)
        .await;
    let institute = app
        .create_org("RESEARCH_INSTITUTE", "青岛测试研究所", "370203", true)
        .await;
    let firm = app.enterprise("青岛查询测试有限公司").await;
    let a = |title: &str, patch: Value| {
        with(with(achievement_fields(), json!({ "title": title })), patch)
    };
    app.published_achievement(&ouc, a("甲 固态电解质", json!({ "industries": ["C3841"], "discipline": "43070", "trl": 4, "transferModes": ["ASSIGNMENT"], "price": { "min": 1000000, "max": 3000000 }, "tracks": ["solid-state-battery"] }))).await;
    app.published_achievement(&sdu_jinan, a("乙 太赫兹成像芯片", json!({ "industries": ["C3976"], "discipline": "51060", "trl": 7, "transferModes": ["LICENSE_EXCLUSIVE"], "price": { "min": 5000000, "max": 8000000 }, "tracks": ["terahertz"] }))).await;
    app.published_achievement(&institute, a("丙 海洋生物酶制剂", json!({ "industries": ["C2761"], "discipline": "416", "trl": 6, "transferModes": ["JOINT_DEVELOPMENT", "ASSIGNMENT"], "price": {} }))).await;
    app.published_achievement(&ouc, a("丁 锂电回收工艺", json!({ "industries": ["C38", "N7724"], "discipline": "430", "trl": 9, "transferModes": ["TECHNICAL_SERVICE"], "price": { "min": 200000, "max": 400000 } }))).await;
    app.create_achievement(&ouc, a("戊 草稿成果", json!({})))
        .await;
    let n = |title: &str, patch: Value| with(with(need_fields(), json!({ "title": title })), patch);
    app.published_need(&firm, n("需求一 快充电池", json!({ "industries": ["C3841"], "minTrl": 6, "cooperationModes": ["COMMISSIONED_DEVELOPMENT"], "budget": { "min": 300000, "max": 800000 }, "tracks": ["solid-state-battery"] }))).await;
    app.published_need(&firm, n("需求二 太赫兹检测", json!({ "industries": ["C4021"], "minTrl": 4, "cooperationModes": ["ASSIGNMENT"], "budget": {}, "tracks": ["terahertz"] }))).await;
    app.published_need(
        &firm,
        n(
            "需求三 保密工艺",
            json!({ "industries": ["C3841"], "visibility": "CONFIDENTIAL" }),
        ),
    )
    .await;
    Market {
        app,
        ouc,
        sdu_jinan,
        institute,
        firm,
    }
}

async fn titles(app: &TestApp, field: &str, filter: Value) -> Vec<String> {
    let input = if field == "achievements" {
        "AchievementFilterInput"
    } else {
        "NeedFilterInput"
    };
    let q = format!(
        "query($f: {input}) {{ {field}(filter: $f, sort: TITLE_ASC) {{ totalCount nodes {{ title }} }} }}"
    );
    let data = app.gql_ok(&q, json!({ "f": filter })).await;
    let nodes = data[field]["nodes"].as_array().unwrap();
    assert_eq!(
        data[field]["totalCount"].as_u64().unwrap() as usize,
        nodes.len()
    );
    nodes
        .iter()
        .map(|n| {
            n["title"]
                .as_str()
                .unwrap()
                .chars()
                .next()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn every_achievement_filter_narrows_the_list() {
    let m = market().await;
    let app = &m.app;
    let t = |f: Value| titles(app, "achievements", f);
    assert_eq!(t(json!({})).await, ["丁", "丙", "乙", "甲"]);
    assert_eq!(
        t(json!({ "ownerKinds": ["RESEARCH_INSTITUTE"] })).await,
        ["丙"]
    );
    assert_eq!(t(json!({ "ownerId": m.ouc })).await, ["丁", "甲"]);
    assert_eq!(t(json!({ "industry": "C38" })).await, ["丁", "甲"]);
    assert_eq!(
        t(json!({ "industry": "C" })).await,
        ["丁", "丙", "乙", "甲"]
    );
    assert_eq!(t(json!({ "industry": "N" })).await, ["丁"]);
    assert_eq!(
        t(json!({ "discipline": "430" })).await,
        ["丁", "甲"],
        "sub-disciplines match"
    );
    assert_eq!(t(json!({ "discipline": "43070" })).await, ["甲"]);
    assert_eq!(
        t(json!({ "region": "370200" })).await,
        ["丁", "丙", "甲"],
        "青岛市 includes its districts"
    );
    assert_eq!(t(json!({ "region": "370102" })).await, ["乙"]);
    assert_eq!(t(json!({ "region": "37" })).await.len(), 4);
    assert_eq!(t(json!({ "trlMin": 6 })).await, ["丁", "丙", "乙"]);
    assert_eq!(t(json!({ "trlMin": 5, "trlMax": 7 })).await, ["丙", "乙"]);
    assert_eq!(
        t(json!({ "transferModes": ["ASSIGNMENT"] })).await,
        ["丙", "甲"]
    );
    assert_eq!(
        t(json!({ "transferModes": ["TECHNICAL_SERVICE", "LICENSE_EXCLUSIVE"] })).await,
        ["丁", "乙"]
    );
    assert_eq!(
        t(json!({ "priceMin": 2000000, "priceMax": 6000000 })).await,
        ["乙", "甲"],
        "ranges overlap"
    );
    assert_eq!(
        t(json!({ "priceMax": 500000, "includeNegotiable": true })).await,
        ["丁", "丙"]
    );
    assert_eq!(t(json!({ "tracks": ["terahertz"] })).await, ["乙"]);
    assert_eq!(
        t(json!({ "statuses": ["PUBLISHED", "DRAFT"] })).await,
        ["丁", "丙", "乙", "甲"],
        "anonymous callers never list drafts"
    );
    assert_eq!(
        t(json!({ "industry": "C38", "trlMin": 5 })).await,
        ["丁"],
        "filters combine"
    );
    assert_eq!(t(json!({ "ownerId": m.sdu_jinan })).await, ["乙"]);
    assert_eq!(t(json!({ "ownerId": m.institute })).await, ["丙"]);
    let ids = app
        .gql_ok("{ achievements { nodes { id } } }", json!({}))
        .await;

    app.clock.advance(Duration::hours(1));
    let since = app.clock_now();
    let first_id = ids["achievements"]["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.gql_ok_as(&m.ouc.token,
        "mutation($id: ID!) { updateAchievement(input: { id: $id, patch: { advantages: \"更新后的优势\" } }) { userErrors { code } } }",
        json!({ "id": first_id }),
    )
    .await;
    assert_eq!(t(json!({ "updatedSince": since })).await.len(), 1);
}

#[tokio::test]
async fn need_filters_and_visibility_apply_together() {
    let m = market().await;
    let app = &m.app;
    let t = |f: Value| titles(app, "needs", f);
    assert_eq!(t(json!({})).await, ["需", "需"]);
    let data = app
        .gql_ok("{ needs(sort: TITLE_ASC) { nodes { title } } }", json!({}))
        .await;
    assert_eq!(
        data["needs"]["nodes"],
        json!([{ "title": "需求一 快充电池" }, { "title": "需求二 太赫兹检测" }])
    );
    assert_eq!(
        t(json!({ "industry": "C3841" })).await.len(),
        1,
        "the confidential C3841 need is not counted"
    );
    assert_eq!(t(json!({ "trlMin": 5 })).await.len(), 1);
    assert_eq!(
        t(json!({ "cooperationModes": ["ASSIGNMENT"] })).await.len(),
        1
    );
    assert_eq!(t(json!({ "budgetMin": 500000 })).await.len(), 1);
    assert_eq!(
        t(json!({ "budgetMin": 500000, "includeNegotiable": true }))
            .await
            .len(),
        2
    );
    assert_eq!(t(json!({ "tracks": ["terahertz"] })).await.len(), 1);
    assert_eq!(
        t(json!({ "ownerId": m.firm, "ownerKinds": ["ENTERPRISE"], "region": "370211" }))
            .await
            .len(),
        2
    );
    assert_eq!(t(json!({ "statuses": ["CLOSED"] })).await.len(), 0);
}

#[tokio::test]
async fn sort_orders_are_stable_and_put_negotiable_prices_last() {
    let m = market().await;
    let order = |sort: &str| {
        let app = &m.app;
        let q = format!("{{ achievements(sort: {sort}) {{ nodes {{ title }} }} }}");
        async move {
            let data = app.gql_ok(&q, json!({})).await;
            data["achievements"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| {
                    n["title"]
                        .as_str()
                        .unwrap()
                        .chars()
                        .next()
                        .unwrap()
                        .to_string()
                })
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(order("TRL_DESC").await, ["丁", "乙", "丙", "甲"]);
    assert_eq!(order("PRICE_ASC").await, ["丁", "甲", "乙", "丙"]);
    assert_eq!(order("PRICE_DESC").await, ["乙", "甲", "丁", "丙"]);
    assert_eq!(order("CREATED_DESC").await, ["丁", "丙", "乙", "甲"]);
    assert_eq!(order("UPDATED_DESC").await, ["丁", "丙", "乙", "甲"]);
    assert_eq!(order("PUBLISHED_DESC").await, ["丁", "丙", "乙", "甲"]);
    assert_eq!(order("EXPIRES_ASC").await, ["甲", "乙", "丙", "丁"]);
}

#[tokio::test]
async fn relay_pagination_walks_both_ways_and_handles_edges() {
    let m = market().await;
    let app = &m.app;
    let page = "query($first: Int, $after: String, $last: Int, $before: String) { achievements(first: $first, after: $after, last: $last, before: $before, sort: TITLE_ASC) { totalCount edges { cursor node { title } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";

    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app
            .gql_ok(page, json!({ "first": 3, "after": after }))
            .await;
        let conn = &data["achievements"];
        assert_eq!(conn["totalCount"], 4);
        for e in conn["edges"].as_array().unwrap() {
            seen.push(e["node"]["title"].as_str().unwrap().to_owned());
        }
        if !conn["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            assert_eq!(
                conn["edges"].as_array().unwrap().len(),
                1,
                "the last page holds the rest"
            );
            assert_eq!(conn["pageInfo"]["hasPreviousPage"], true);
            break;
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen.len(), 4);

    let last = app.gql_ok(page, json!({ "last": 2 })).await;
    let conn = &last["achievements"];
    let titles: Vec<&str> = conn["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, [seen[2].as_str(), seen[3].as_str()]);
    assert_eq!(conn["pageInfo"]["hasPreviousPage"], true);
    let before = conn["pageInfo"]["startCursor"].clone();
    let earlier = app
        .gql_ok(page, json!({ "last": 5, "before": before }))
        .await;
    assert_eq!(
        earlier["achievements"]["edges"].as_array().unwrap().len(),
        2
    );
    assert_eq!(
        earlier["achievements"]["pageInfo"]["hasPreviousPage"],
        false
    );

    let empty = app
        .gql_ok("{ achievements(filter: { industry: \"A\" }) { totalCount edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }", json!({}))
        .await;
    assert_eq!(
        empty["achievements"],
        json!({ "totalCount": 0, "edges": [], "pageInfo": { "hasNextPage": false, "hasPreviousPage": false, "startCursor": null, "endCursor": null } })
    );

    let beyond = app
        .gql_ok(
            page,
            json!({ "first": 2, "after": last["achievements"]["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(beyond["achievements"]["edges"], json!([]));

    for (vars, code) in [
        (
            json!({ "first": 2, "after": "not-a-cursor" }),
            "INVALID_CURSOR",
        ),
        (
            json!({ "last": 2, "before": "T3JnYW5pemF0aW9uOjE" }),
            "INVALID_CURSOR",
        ),
        (json!({ "first": -1 }), "INVALID_ARGUMENT"),
        (json!({ "first": 101 }), "INVALID_ARGUMENT"),
    ] {
        let body = app.gql(page, vars.clone()).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], code,
            "{vars}: {body}"
        );
    }
}

#[tokio::test]
async fn node_fetches_every_type_by_global_id() {
    let m = market().await;
    let app = &m.app;
    let data = app
        .gql_ok(
            "{ achievements(first: 1) { nodes { id } } needs(first: 1) { nodes { id } } }",
            json!({}),
        )
        .await;
    for (id, typename) in [
        (
            data["achievements"]["nodes"][0]["id"].clone(),
            "Achievement",
        ),
        (data["needs"]["nodes"][0]["id"].clone(), "Need"),
        (json!(m.ouc), "Organization"),
    ] {
        let node = app
            .gql_ok(
                "query($id: ID!) { node(id: $id) { __typename id } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(node["node"]["__typename"], typename);
        assert_eq!(node["node"]["id"], id);
    }
    let bad = app.gql("{ node(id: \"@@@\") { id } }", json!({})).await;
    assert_eq!(bad["errors"][0]["extensions"]["code"], "INVALID_ID");
}

#[tokio::test]
async fn a_page_of_fifty_listings_with_owners_costs_a_bounded_number_of_statements() {
    let app = spawn_app().await;
    app.add_track("solid-state-battery", "固态电池").await;
    let mut owners = Vec::new();
    for i in 0..10 {
        owners.push(
            app.create_org("UNIVERSITY", &format!("青岛批量大学{i}"), "370212", true)
                .await,
        );
    }
    for i in 0..50 {
        let fields = with(
            achievement_fields(),
            json!({ "title": format!("批量成果第{i}号"), "tracks": ["solid-state-battery"] }),
        );
        app.published_achievement(&owners[i % 10], fields).await;
    }
    let query = "{ achievements(first: 50) { totalCount nodes { title owner { name region { name } } priorityTracks { name } sources { source } } } }";
    // The counter is the app's, so its background loops (the expiry sweep, a job lease's
    // renewal, the notification feed on PostgreSQL) can add a statement now and then, more
    // often when a loaded machine makes the query slow: it runs three times and the smallest
    // count is the query's.
    let mut used = u64::MAX;
    let mut data = Value::Null;
    for _ in 0..3 {
        let before = app.statements().await;
        data = app.gql_ok(query, json!({})).await;
        used = used.min(app.statements().await - before);
    }
    assert_eq!(data["achievements"]["nodes"].as_array().unwrap().len(), 50);
    assert!(
        data["achievements"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["owner"]["name"].is_string())
    );
    assert!(
        used <= 5,
        "count + page + owners + tracks + sources, got {used} statements"
    );
    println!("statements for 50 achievements with owners, tracks and sources: {used}");

    let mut used = u64::MAX;
    let mut orgs = Value::Null;
    for _ in 0..2 {
        let before = app.statements().await;
        orgs = app.gql_ok("{ organizations(first: 10) { nodes { name achievements(first: 5) { totalCount nodes { title owner { name } } } needs { nodes { title } } } } }", json!({})).await;
        used = used.min(app.statements().await - before);
    }
    assert_eq!(
        orgs["organizations"]["nodes"][0]["achievements"]["nodes"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    assert!(
        used <= 5,
        "organisations with their listings, got {used} statements"
    );
}

#[tokio::test]
async fn organisations_list_their_own_newest_listings_beside_a_prolific_neighbour() {
    let app = spawn_app().await;
    let busy = app.university("甲 青岛多产大学").await;
    let quiet = app.university("乙 青岛少产大学").await;
    for i in 0..12 {
        app.clock.advance(Duration::minutes(1));
        app.published_achievement(
            &busy,
            with(
                achievement_fields(),
                json!({ "title": format!("多产成果第{i:02}号") }),
            ),
        )
        .await;
    }
    app.published_achievement(
        &quiet,
        with(achievement_fields(), json!({ "title": "少产成果唯一一项" })),
    )
    .await;
    let data = app
        .gql_ok(
            "{ organizations { nodes { name achievements(first: 3) { totalCount nodes { title } pageInfo { hasNextPage endCursor } } } } }",
            json!({}),
        )
        .await;
    let nodes = data["organizations"]["nodes"].as_array().unwrap();
    let of = |name: &str| {
        nodes.iter().find(|n| n["name"] == name).expect("listed")["achievements"].clone()
    };
    let busy_listings = of("甲 青岛多产大学");
    assert_eq!(
        busy_listings["nodes"],
        json!([{ "title": "多产成果第11号" }, { "title": "多产成果第10号" }, { "title": "多产成果第09号" }])
    );
    assert_eq!(busy_listings["totalCount"], 12);
    assert_eq!(busy_listings["pageInfo"]["hasNextPage"], true);
    let quiet_listings = of("乙 青岛少产大学");
    assert_eq!(
        quiet_listings["nodes"],
        json!([{ "title": "少产成果唯一一项" }])
    );
    assert_eq!(quiet_listings["pageInfo"]["hasNextPage"], false);

    // The next page of one organisation's inline listings follows its cursor.
    let next = app
        .gql_ok(
            "query($id: ID!, $after: String) { node(id: $id) { ... on Organization { achievements(first: 3, after: $after) { nodes { title } } } } }",
            json!({ "id": busy, "after": busy_listings["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(
        next["node"]["achievements"]["nodes"],
        json!([{ "title": "多产成果第08号" }, { "title": "多产成果第07号" }, { "title": "多产成果第06号" }])
    );
}

#[tokio::test]
async fn argument_validation_errors_carry_a_code() {
    let app = spawn_app().await;
    let body = app
        .gql(
            "{ organizations { nodes { achievements(first: 500) { nodes { title } } } } }",
            json!({}),
        )
        .await;
    assert!(
        body.get("errors").is_none()
            || body["errors"][0]["extensions"]["code"] == "INVALID_ARGUMENT",
        "{body}"
    );
    app.university("青岛参数大学").await;
    let body = app
        .gql(
            "{ organizations { nodes { achievements(first: 500) { nodes { title } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "INVALID_ARGUMENT",
        "{body}"
    );
}
