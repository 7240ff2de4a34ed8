//! Search over HTTP: the index follows the outbox, finds Chinese, mixed and synonym queries,
//! applies visibility, and rejects unreadable queries with a typed error.

use crate::common::*;
use serde_json::{Value, json};

const SEARCH: &str = "query($q: String!, $k: SearchKind) { search(query: $q, kind: $k, first: 20) { totalCount edges { score highlights { field snippet } node { __typename ... on Achievement { id title confidentialDetail } ... on Need { id title confidentialDetail } } } } }";

async fn titles(app: &TestApp, token: Option<&str>, q: &str) -> Vec<String> {
    let vars = json!({ "q": q });
    let body = match token {
        Some(t) => app.gql_ok_as(t, SEARCH, vars).await,
        None => app.gql_ok(SEARCH, vars).await,
    };
    body["search"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["title"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn published_listings_are_found_after_the_indexer_catches_up() {
    let app = spawn_app().await;
    let uni = app.university("青岛检索大学").await;
    app.published_achievement(&uni, with(achievement_fields(), json!({ "title": "高效钙钛矿太阳能电池界面钝化技术", "summary": "通过界面钝化把钙钛矿太阳能电池效率提升到百分之二十五以上。" }))).await;
    app.published_achievement(&uni, with(achievement_fields(), json!({ "title": "太赫兹无损检测成像系统", "summary": "基于 BG136 芯片的太赫兹成像，可检测复合材料内部缺陷。" }))).await;
    app.published_achievement(&uni, with(achievement_fields(), json!({ "title": "面向5G基站的氮化镓功放模块", "summary": "适用于５Ｇ基站的高效率功率放大器。" }))).await;
    app.create_achievement(
        &uni,
        with(
            achievement_fields(),
            json!({ "title": "未发布的钙钛矿草稿" }),
        ),
    )
    .await;

    assert_eq!(
        titles(&app, None, "钙钛矿").await,
        Vec::<String>::new(),
        "nothing is indexed before the indexer runs"
    );
    let applied = app.services.search.catch_up().await.expect("catch up");
    assert!(applied >= 4);
    assert_eq!(
        app.services.search.catch_up().await.expect("idempotent"),
        0,
        "nothing pending the second time"
    );

    // Words are OR-ed and ranked: the fixtures share 电池 in their fields of application.
    let found = titles(&app, None, "钙钛矿太阳能电池").await;
    assert_eq!(found[0], "高效钙钛矿太阳能电池界面钝化技术");
    assert!(
        !found.iter().any(|t| t.contains("草稿")),
        "drafts are not found: {found:?}"
    );
    assert_eq!(
        titles(&app, None, "PSC").await,
        ["高效钙钛矿太阳能电池界面钝化技术"],
        "synonyms bridge the words"
    );
    assert_eq!(
        titles(&app, None, "THz 成像").await[0],
        "太赫兹无损检测成像系统"
    );
    assert_eq!(
        titles(&app, None, "bg136").await,
        ["太赫兹无损检测成像系统"],
        "model numbers are whole tokens"
    );
    assert_eq!(
        titles(&app, None, "５Ｇ基站").await,
        ["面向5G基站的氮化镓功放模块"],
        "full-width equals half-width"
    );

    let body = app.gql_ok(SEARCH, json!({ "q": "钙钛矿" })).await;
    let edge = &body["search"]["edges"][0];
    assert!(
        edge["highlights"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["snippet"].as_str().unwrap().contains("<em>")),
        "{edge}"
    );
    assert!(edge["score"].as_f64().unwrap() > 0.0);
}

#[tokio::test]
async fn changes_and_withdrawals_reach_the_index_through_the_outbox() {
    let app = spawn_app().await;
    let uni = app.university("青岛同步大学").await;
    let id = app
        .published_achievement(
            &uni,
            with(
                achievement_fields(),
                json!({ "title": "海水淡化膜抗污染改性" }),
            ),
        )
        .await;
    app.services.search.catch_up().await.unwrap();
    assert_eq!(titles(&app, None, "海水淡化").await.len(), 1);

    app.gql_ok_as(&uni.token, "mutation($id: ID!) { updateAchievement(input: { id: $id, patch: { title: \"反渗透膜抗污染改性\" } }) { userErrors { code } } }", json!({ "id": id }))
        .await;
    app.services.search.catch_up().await.unwrap();
    assert_eq!(titles(&app, None, "反渗透").await, ["反渗透膜抗污染改性"]);
    assert!(
        titles(&app, None, "海水淡化").await.is_empty(),
        "the old title is gone"
    );

    app.lifecycle("withdrawAchievement", &id).await;
    app.services.search.catch_up().await.unwrap();
    assert!(
        titles(&app, None, "反渗透").await.is_empty(),
        "withdrawn listings leave search"
    );
}

#[tokio::test]
async fn search_applies_visibility_and_never_exposes_confidential_text() {
    let app = spawn_app().await;
    let firm = app.enterprise("青岛保密检索有限公司").await;
    app.published_need(&firm, with(need_fields(), json!({ "title": "固态电池电解质量产需求", "visibility": "CONFIDENTIAL", "confidentialDetail": "MARKER-SEARCH-SECRET 客户为某车企" }))).await;
    app.published_need(&firm, with(need_fields(), json!({ "title": "固态电池检测设备需求", "visibility": "PUBLIC", "confidentialDetail": "MARKER-SEARCH-SECRET 预算来源" }))).await;
    app.services.search.catch_up().await.unwrap();
    let visitor = app.user_token("检索访客").await;

    assert_eq!(
        titles(&app, None, "固态电池").await,
        ["固态电池检测设备需求"]
    );
    assert_eq!(
        titles(&app, Some(&visitor), "固态电池").await,
        ["固态电池检测设备需求"]
    );
    assert_eq!(
        titles(&app, Some(&firm.token), "固态电池").await.len(),
        2,
        "the owner finds its confidential need"
    );
    for token in [None, Some(visitor.as_str()), Some(firm.token.as_str())] {
        let vars = json!({ "q": "MARKER-SEARCH-SECRET" });
        let body: Value = match token {
            Some(t) => app.gql_as(t, SEARCH, vars).await,
            None => app.gql(SEARCH, vars).await,
        };
        assert_eq!(
            body["data"]["search"]["totalCount"], 0,
            "confidential detail is not indexed"
        );
    }
    let anonymous = app
        .gql(SEARCH, json!({ "q": "固态电池" }))
        .await
        .to_string();
    assert!(!anonymous.contains("MARKER-SEARCH-SECRET"));
    assert!(!anonymous.contains("电解质量产"), "{anonymous}");
}

#[tokio::test]
async fn unreadable_queries_get_a_typed_error() {
    let app = spawn_app().await;
    for q in ["\"钙钛矿", "", "   ", "，。！"] {
        let body = app.gql(SEARCH, json!({ "q": q })).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "INVALID_QUERY",
            "{q:?}: {body}"
        );
    }
}

#[tokio::test]
async fn filters_narrow_results_and_facets_sum_to_the_total() {
    let app = spawn_app().await;
    let qd = app.university("青岛分面大学").await;
    let jn = app
        .create_org("UNIVERSITY", "济南分面大学", "370102", true)
        .await;
    let a = |title: &str, patch: Value| {
        with(
            with(
                achievement_fields(),
                json!({ "title": title, "keywords": ["海洋装备"] }),
            ),
            patch,
        )
    };
    app.published_achievement(
        &qd,
        a(
            "海洋装备甲 电池管理",
            json!({ "industries": ["C3841"], "trl": 4, "transferModes": ["ASSIGNMENT"] }),
        ),
    )
    .await;
    app.published_achievement(
        &qd,
        a(
            "海洋装备乙 船舶电机",
            json!({ "industries": ["C3731"], "trl": 7, "transferModes": ["JOINT_DEVELOPMENT"] }),
        ),
    )
    .await;
    app.published_achievement(&jn, a("海洋装备丙 软件平台", json!({ "industries": ["I6513"], "discipline": "520", "trl": 7, "transferModes": ["ASSIGNMENT"] }))).await;
    app.services.search.catch_up().await.unwrap();

    let q = "query($f: SearchFilterInput) { search(query: \"海洋装备\", filter: $f) { totalCount facets { dimension code name count } } }";
    let all = app.gql_ok(q, json!({})).await;
    assert_eq!(all["search"]["totalCount"], 3);
    let facets = all["search"]["facets"].as_array().unwrap();
    let sum = |dim: &str| {
        facets
            .iter()
            .filter(|f| f["dimension"] == dim)
            .map(|f| f["count"].as_u64().unwrap())
            .sum::<u64>()
    };
    assert_eq!(
        sum("trl"),
        3,
        "single-valued facets sum to the total: {facets:?}"
    );
    assert_eq!(sum("province"), 3);
    assert_eq!(sum("city"), 3);
    let count = |dim: &str, code: &str| {
        facets
            .iter()
            .find(|f| f["dimension"] == dim && f["code"] == code)
            .map(|f| f["count"].as_u64().unwrap())
    };
    assert_eq!(count("industrySection", "C"), Some(2));
    assert_eq!(count("industryDivision", "C38"), Some(1));
    assert_eq!(count("city", "370200"), Some(2));
    assert_eq!(count("trl", "7"), Some(2));
    assert!(
        facets
            .iter()
            .any(|f| f["code"] == "C" && f["name"] == "制造业")
    );

    for (filter, expected) in [
        (json!({ "industry": "C" }), 2),
        (json!({ "industry": "C38" }), 1),
        (json!({ "region": "3702" }), 2),
        (json!({ "region": "370102" }), 1),
        (json!({ "trlMin": 6 }), 2),
        (json!({ "trlMin": 5, "industry": "C" }), 1),
        (json!({ "modes": ["ASSIGNMENT"] }), 2),
        (json!({ "discipline": "520" }), 1),
    ] {
        let body = app.gql_ok(q, json!({ "f": filter })).await;
        assert_eq!(body["search"]["totalCount"], expected, "{filter}");
    }
    let bad = app.gql(q, json!({ "f": { "industry": "Z9" } })).await;
    assert_eq!(
        bad["errors"][0]["extensions"]["code"],
        "INVALID_INDUSTRY_CODE"
    );
}

#[tokio::test]
async fn newest_order_lists_the_latest_change_first() {
    let app = spawn_app().await;
    let uni = app.university("青岛排序大学").await;
    for title in ["深海探测 第一项", "深海探测 第二项", "深海探测 第三项"] {
        app.clock.advance(chrono::Duration::minutes(5));
        app.published_achievement(&uni, with(achievement_fields(), json!({ "title": title })))
            .await;
    }
    app.services.search.catch_up().await.unwrap();
    let body = app
        .gql_ok("{ search(query: \"深海探测\", order: NEWEST) { edges { node { ... on Achievement { title } } } nodes { ... on Achievement { title } } } }", json!({}))
        .await;
    let titles: Vec<&str> = body["search"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        ["深海探测 第三项", "深海探测 第二项", "深海探测 第一项"]
    );
    let nodes: Vec<&str> = body["search"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap())
        .collect();
    assert_eq!(nodes, titles, "`nodes` is `edges {{ node }}`");
}

#[tokio::test]
async fn the_index_catches_up_from_the_outbox_after_its_writer_was_stopped_mid_batch() {
    let app = spawn_app().await;
    let uni = app.university("青岛恢复大学").await;
    app.published_achievement(
        &uni,
        with(
            achievement_fields(),
            json!({ "title": "海水淡化反渗透膜组件", "summary": "高通量抗污染反渗透膜组件与制备工艺。" }),
        ),
    )
    .await;
    app.services.search.catch_up().await.unwrap();
    app.published_achievement(
        &uni,
        with(
            achievement_fields(),
            json!({ "title": "波浪能发电浮体装置", "summary": "漂浮式波浪能转换装置及其控制方法。" }),
        ),
    )
    .await;
    app.published_achievement(
        &uni,
        with(
            achievement_fields(),
            json!({ "title": "潮流能水轮机叶片", "summary": "潮流能发电机组叶片的设计与制造。" }),
        ),
    )
    .await;
    // The writer takes the next batch and dies before committing it.
    let staged = app
        .services
        .search
        .stage_pending_without_commit()
        .await
        .unwrap();
    assert!(staged >= 2, "{staged}");
    assert!(
        titles(&app, None, "浮体").await.is_empty(),
        "readers never see half a batch"
    );

    let app = app.restart().await;
    app.services.search.catch_up().await.unwrap();
    assert_eq!(titles(&app, None, "浮体").await, ["波浪能发电浮体装置"]);
    assert_eq!(titles(&app, None, "水轮机").await, ["潮流能水轮机叶片"]);
    assert_eq!(titles(&app, None, "反渗透").await, ["海水淡化反渗透膜组件"]);
    assert_eq!(
        app.services.search.indexed_documents(),
        3,
        "nothing lost, nothing twice"
    );
}

#[tokio::test]
async fn a_changed_index_configuration_rebuilds_the_index_on_start() {
    let config = tempfile::tempdir().unwrap();
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("index");
    for entry in std::fs::read_dir(&shipped).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), config.path().join(entry.file_name())).unwrap();
    }
    let app = spawn_app_with(Options {
        index_config: Some(config.path().to_path_buf()),
        ..Default::default()
    })
    .await;
    let uni = app.university("青岛重建大学").await;
    app.published_achievement(
        &uni,
        with(
            achievement_fields(),
            json!({ "title": "深远海养殖工船水质调控", "summary": "养殖工船舱内水质在线调控。" }),
        ),
    )
    .await;
    app.services.search.catch_up().await.unwrap();
    assert!(!app.services.search.needs_rebuild());
    assert!(!titles(&app, None, "养殖工船").await.is_empty());

    // An operator adds a word to the dictionary and bumps the version.
    let toml = config.path().join("config.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, text.replacen("version = 1", "version = 2", 1)).unwrap();
    let dict = config.path().join("dict.txt");
    let mut words = std::fs::read_to_string(&dict).unwrap();
    words.push_str("\n养殖工船 20000 n\n");
    std::fs::write(&dict, words).unwrap();

    let app = app.restart().await;
    app.services.search.catch_up().await.unwrap();
    assert!(
        !app.services.search.needs_rebuild(),
        "rebuilt with the new configuration on start"
    );
    assert_eq!(app.services.search.indexed_documents(), 1);
    assert_eq!(
        titles(&app, None, "养殖工船").await,
        ["深远海养殖工船水质调控"]
    );
}

/// A phrase pasted from a document that occurs nowhere word for word falls back to its words,
/// and the page says so.
#[tokio::test]
async fn a_phrase_that_finds_nothing_falls_back_and_says_so() {
    let app = spawn_app().await;
    let uni = app.university("青岛短语大学").await;
    app.published_achievement(
        &uni,
        with(
            achievement_fields(),
            json!({ "title": "硫化物固态电解质规模化制备", "summary": "液相法合成硫化物固态电解质。" }),
        ),
    )
    .await;
    app.services.search.catch_up().await.unwrap();
    let query = "query($q: String!) { search(query: $q, first: 5) { totalCount phrasesRelaxed nodes { ... on Achievement { title } } } }";
    let strict = app.gql_ok(query, json!({ "q": "\"固态电解质\"" })).await;
    assert_eq!(strict["search"]["totalCount"], 1, "{strict}");
    assert_eq!(strict["search"]["phrasesRelaxed"], false);
    // The words are there, but not in this order.
    let relaxed = app.gql_ok(query, json!({ "q": "\"电解质 硫化物\"" })).await;
    assert_eq!(relaxed["search"]["totalCount"], 1, "{relaxed}");
    assert_eq!(relaxed["search"]["phrasesRelaxed"], true);
    // Chinese quotes are text, never a phrase.
    let quoted = app.gql_ok(query, json!({ "q": "“电解质硫化物”" })).await;
    assert_eq!(quoted["search"]["totalCount"], 1, "{quoted}");
    assert_eq!(quoted["search"]["phrasesRelaxed"], false);
}

#[tokio::test]
async fn a_forged_cursor_deep_past_every_hit_gets_an_empty_page() {
    // A cursor is base64 of `offset:<n>`; asking tantivy for the page at 2^42 made it reserve
    // room for that many hits and aborted the process. Sent as a GET, as any web page could.
    let app = spawn_app().await;
    let uni = app.university("青岛翻页大学").await;
    app.published_achievement(&uni, achievement_fields()).await;
    app.services.search.catch_up().await.unwrap();
    let page = |after: &str| {
        format!(
            "/graphql?query=%7Bsearch(query:%22%E7%94%B5%E6%B1%A0%22,first:20,after:%22{after}%22)%7BtotalCount%20nodes%7B__typename%7D%20pageInfo%7BhasNextPage%20hasPreviousPage%7D%7D%7D"
        )
    };
    for offset in [4_398_046_511_103u64, 9_999, 10_000] {
        let cursor = base64_url(&format!("offset:{offset}"));
        let resp = app.get(&page(&cursor)).await;
        assert_eq!(resp.status(), 200, "{offset}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(
            body["data"]["search"],
            json!({
                "totalCount": 1,
                "nodes": [],
                "pageInfo": { "hasNextPage": false, "hasPreviousPage": true }
            }),
            "{offset}: {body}"
        );
    }
    let first = app.get(&page(&base64_url("offset:-1"))).await;
    let body: Value = first.json().await.unwrap();
    assert_eq!(error_code(&body), "INVALID_CURSOR", "{body}");
    assert_eq!(
        titles(&app, None, "电池").await.len(),
        1,
        "the service still answers"
    );
}

fn base64_url(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}
