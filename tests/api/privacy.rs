//! Privacy as an attacker probes it: a fact hidden from a viewer (who posted an anonymous
//! need, where a firm not yet introduced sits and what it works in) must not change any answer
//! that viewer gets — lists, filters, counts, facets. Each test builds two worlds that differ
//! only in the hidden fact and asks both the same questions.

mod ids;
mod search;
mod statements;

use crate::common::*;
use serde_json::{Value, json};

const NEEDS: &str =
    "query($f: NeedFilterInput) { needs(first: 50, filter: $f) { totalCount nodes { title } } }";
const SEARCH: &str = "query($f: SearchFilterInput) { search(query: \"高盐废水\", kind: NEED, first: 50, filter: $f) { totalCount edges { node { ... on Need { title } } } facets { dimension code count } } }";

/// Every owner-dependent question: list filters on needs, and search filters with facets.
fn questions(firms: &[&Org]) -> Vec<(&'static str, Value)> {
    let mut filters = vec![
        json!({}),
        json!({ "region": "370202" }),
        json!({ "region": "370211" }),
        json!({ "region": "3702" }),
        json!({ "region": "37" }),
        json!({ "ownerKinds": ["ENTERPRISE"] }),
    ];
    filters.extend(firms.iter().map(|f| json!({ "ownerId": f.id })));
    let mut out: Vec<(&'static str, Value)> = filters
        .into_iter()
        .map(|f| (NEEDS, json!({ "f": f })))
        .collect();
    for region in [None, Some("370202"), Some("370211"), Some("3702")] {
        let f = region.map_or_else(|| json!({}), |r| json!({ "region": r }));
        out.push((SEARCH, json!({ "f": f })));
    }
    out
}

/// Titles in a stable order: relevance scores may differ in the last digits between worlds.
fn normalised(mut data: Value) -> Value {
    if let Some(edges) = data["search"]["edges"].as_array_mut() {
        edges.sort_by_key(|e| e["node"]["title"].to_string());
    }
    data
}

/// What one viewer learns from every question in one world, over HTTP.
async fn answers(app: &TestApp, token: Option<&str>, firms: &[&Org]) -> Vec<Value> {
    let mut out = Vec::new();
    for (query, vars) in questions(firms) {
        out.push(normalised(match token {
            Some(t) => app.gql_ok_as(t, query, vars).await,
            None => app.gql_ok(query, vars).await,
        }));
    }
    out
}

/// The same questions over the WebSocket.
async fn answers_over_websocket(app: &TestApp, token: &str, firms: &[&Org]) -> Vec<Value> {
    let answers = over_websocket(app, token, questions(firms)).await;
    answers.into_iter().map(normalised).collect()
}

/// Answers to `questions` over one WebSocket.
async fn over_websocket(
    app: &TestApp,
    token: &str,
    questions: Vec<(&'static str, Value)>,
) -> Vec<Value> {
    let mut ws = app.websocket(Some(token)).await;
    let mut out = Vec::new();
    for (n, (query, vars)) in questions.into_iter().enumerate() {
        let id = n.to_string();
        ws.subscribe(&id, query, vars).await;
        let data = loop {
            let msg = ws.next().await;
            if msg["type"] == "next" && msg["id"] == id.as_str() {
                break msg["payload"]["data"].clone();
            }
            assert_eq!(msg["type"], "complete", "{msg}");
        };
        out.push(data);
    }
    ws.close().await;
    out
}

/// A world where `poster` (0 or 1) of two firms posted the anonymous need.
async fn needs_world(poster: usize) -> (TestApp, Vec<Value>, Vec<Value>, Value) {
    // (the app, what a visitor learns, what a member of another organisation learns over
    // HTTP and then over the WebSocket, what a broker finds by the real owner)
    let app = spawn_app().await;
    let x = app
        .create_org("ENTERPRISE", "青岛市南水处理有限公司", "370202", true)
        .await;
    let y = app.enterprise("青岛黄岛化工有限公司").await;
    let university = app.university("青岛隐私大学").await;
    let need = |title: &str, visibility: &str| {
        with(
            need_fields(),
            json!({ "title": title, "problem": "高盐废水零排放处理，需要膜浓缩与蒸发结晶技术。", "keywords": ["高盐废水"], "visibility": visibility }),
        )
    };
    app.published_need(&x, need("高盐废水公开需求甲", "PUBLIC"))
        .await;
    app.published_need(&y, need("高盐废水公开需求乙", "PUBLIC"))
        .await;
    let owner = [&x, &y][poster];
    app.published_need(owner, need("高盐废水匿名需求", "ANONYMOUS"))
        .await;
    app.services.search.catch_up().await.expect("indexing");
    let member = app.member_token(&university, "隐私测试成员").await;
    let anonymous = answers(&app, None, &[&x, &y]).await;
    let mut outsider = answers(&app, Some(&member), &[&x, &y]).await;
    let over_websocket = answers_over_websocket(&app, &member, &[&x, &y]).await;
    assert_eq!(
        outsider, over_websocket,
        "the WebSocket tells what HTTP tells"
    );
    outsider.extend(over_websocket);
    // The broker may know the owner: the filter finds the need under its real owner.
    let broker = app.broker_token("隐私测试经纪人").await;
    let by_owner = app
        .gql_ok_as(&broker, NEEDS, json!({ "f": { "ownerId": owner.id } }))
        .await;
    (app, anonymous, outsider, by_owner)
}

#[tokio::test]
async fn who_posted_an_anonymous_need_changes_no_answer_for_those_who_may_not_know() {
    let (_a, anonymous_a, outsider_a, broker_a) = needs_world(0).await;
    let (_b, anonymous_b, outsider_b, broker_b) = needs_world(1).await;
    assert!(
        anonymous_a[0].to_string().contains("高盐废水匿名需求"),
        "the anonymous need is listed: {}",
        anonymous_a[0]
    );
    for (i, (a, b)) in anonymous_a.iter().zip(&anonymous_b).enumerate() {
        assert_eq!(a, b, "anonymous visitor, question {i}");
    }
    for (i, (a, b)) in outsider_a.iter().zip(&outsider_b).enumerate() {
        assert_eq!(a, b, "member of another organisation, question {i}");
    }
    for broker in [broker_a, broker_b] {
        assert!(
            broker.to_string().contains("高盐废水匿名需求"),
            "a broker filters by the real owner: {broker}"
        );
    }
}

/// A world where the firm behind an anonymous need sits in `region` and works in `industry`;
/// the university's admin sees the pairing before any introduction.
async fn pairing_world(region: &str, industry: &str, track: &str) -> Vec<Value> {
    let app = spawn_app().await;
    app.add_track("terahertz", "太赫兹").await;
    app.add_track("solid-state-battery", "固态电池").await;
    let university = app.university("青岛对接隐私大学").await;
    let firm = app
        .create_org("ENTERPRISE", "青岛对接隐私企业有限公司", region, true)
        .await;
    let achievement = app
        .published_achievement(&university, achievement_fields())
        .await;
    let need = app
        .published_need(
            &firm,
            with(
                need_fields(),
                json!({ "visibility": "ANONYMOUS", "industries": [industry], "tracks": [track] }),
            ),
        )
        .await;
    app.gql_ok_as(
        &firm.token,
        "mutation($a: ID!, $n: ID!) { requestPairing(input: { achievementId: $a, needId: $n, message: \"申请对接\" }) { pairing { id } userErrors { code message } } }",
        json!({ "a": achievement, "n": need }),
    )
    .await;
    const PAIRINGS: &str = "query($f: PairingFilterInput) { pairings(first: 20, filter: $f) { totalCount nodes { trackCode industryCode regionCode } } }";
    let mut out = Vec::new();
    let mut questions = Vec::new();
    for f in [
        json!({}),
        json!({ "region": "370202" }),
        json!({ "region": "370211" }),
        json!({ "region": "3702" }),
        json!({ "industry": "C" }),
        json!({ "industry": "C26" }),
        json!({ "industry": "C38" }),
        json!({ "track": "solid-state-battery" }),
        json!({ "track": "terahertz" }),
    ] {
        out.push(
            app.gql_ok_as(&university.token, PAIRINGS, json!({ "f": f }))
                .await,
        );
        questions.push((PAIRINGS, json!({ "f": f })));
    }
    // The same questions over the WebSocket answer the same.
    let over_websocket = over_websocket(&app, &university.token, questions).await;
    assert_eq!(over_websocket, out, "HTTP and the WebSocket");
    out.extend(over_websocket);
    out
}

#[tokio::test]
async fn a_hidden_firms_region_industry_and_track_change_no_answer_for_the_other_side() {
    // The result has no track, so the pairing takes the need's.
    let a = pairing_world("370202", "C2662", "terahertz").await;
    let b = pairing_world("370211", "C3841", "solid-state-battery").await;
    assert_eq!(
        a[0]["pairings"]["totalCount"], 1,
        "the university sees the pairing"
    );
    for (i, (a, b)) in a.iter().zip(&b).enumerate() {
        assert_eq!(a, b, "question {i}");
    }
}

#[tokio::test]
async fn nobody_grants_themselves_access_not_even_an_operator() {
    let app = spawn_app().await;
    let firm = app.enterprise("青岛自授权测试有限公司").await;
    let operator = app.operator_token("平台管理员甲").await;
    let second = app.operator_token("平台管理员乙").await;
    let code = |body: &Value| {
        body["errors"][0]["extensions"]["code"]
            .as_str()
            .map(str::to_owned)
            .or_else(|| {
                body["data"]
                    .as_object()
                    .and_then(|d| d.values().next())
                    .and_then(|p| p["userErrors"][0]["code"].as_str())
                    .map(str::to_owned)
            })
    };

    // The broker role (which reads every confidential need) on oneself: refused.
    const ROLES: &str = "mutation($u: ID!) { setUserRoles(input: { userId: $u, operator: true, broker: true }) { user { id } userErrors { code message } } }";
    let global = app.gql_ok_as(&operator, "{ me { id } }", json!({})).await["me"]["id"].clone();
    let refused = app.gql_as(&operator, ROLES, json!({ "u": global })).await;
    assert_eq!(code(&refused).as_deref(), Some("FORBIDDEN"), "{refused}");
    let granted = app.gql_ok_as(&second, ROLES, json!({ "u": global })).await;
    assert_eq!(
        granted["setUserRoles"]["userErrors"],
        json!([]),
        "{granted}"
    );

    // Joining an organisation by approving one's own request: refused.
    let asked = app
        .gql_ok_as(
            &operator,
            "mutation($o: ID!) { requestMembership(input: { organizationId: $o }) { request { id } } }",
            json!({ "o": firm }),
        )
        .await;
    let request = asked["requestMembership"]["request"]["id"].clone();
    const APPROVE: &str = "mutation($r: ID!) { approveMembership(input: { requestId: $r }) { request { status } userErrors { code } } }";
    let refused = app
        .gql_as(&operator, APPROVE, json!({ "r": request }))
        .await;
    assert_eq!(code(&refused).as_deref(), Some("FORBIDDEN"), "{refused}");
    let approved = app
        .gql_ok_as(&firm.token, APPROVE, json!({ "r": request }))
        .await;
    assert_eq!(
        approved["approveMembership"]["request"]["status"],
        "APPROVED"
    );

    // Both refusals are in the audit log.
    let audit = app
        .gql_ok_as(
            &second,
            "{ auditLog(first: 50) { nodes { action outcome } } }",
            json!({}),
        )
        .await;
    let refusals: Vec<&Value> = audit["auditLog"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["outcome"] == "FORBIDDEN")
        .collect();
    for action in ["setUserRoles", "approveMembership"] {
        assert!(
            refusals.iter().any(|n| n["action"] == action),
            "{action} refused and audited: {audit}"
        );
    }
}

const WHO_AM_I: &str = "query { me { id isBroker } }";
const MINT: &str =
    "mutation { createPersonalToken(input: { name: \"脚本\" }) { secret userErrors { code } } }";

#[tokio::test]
async fn an_open_websocket_does_not_outlive_its_session() {
    let app = spawn_app().await;

    // Logout: the next operation on the socket closes it with 4401 and runs nothing.
    let token = app.user_token("套接字用户甲").await;
    let mut ws = app.websocket(Some(&token)).await;
    ws.subscribe("1", WHO_AM_I, json!({})).await;
    let first = ws.next().await;
    assert_eq!(first["type"], "next", "{first}");
    app.gql_ok_as(&token, "mutation { logout { ok } }", json!({}))
        .await;
    ws.subscribe("2", MINT, json!({})).await;
    let (code, reason) = ws.closed().await;
    assert_eq!(code, 4401, "{reason}");
    let tokens = app
        .count("SELECT COUNT(*) AS n FROM auth_tokens WHERE kind = 'personal'")
        .await;
    assert_eq!(
        tokens, 0,
        "no personal token was minted on the ended session"
    );

    // Expiry: the same once the access token's time is up.
    let token = app.user_token("套接字用户乙").await;
    let mut ws = app.websocket(Some(&token)).await;
    app.clock.advance(chrono::Duration::days(500));
    ws.subscribe("1", WHO_AM_I, json!({})).await;
    assert_eq!(ws.closed().await.0, 4401);
}

#[tokio::test]
async fn a_demoted_broker_loses_the_socket() {
    let app = spawn_app().await;
    let broker = app.broker_token("套接字经纪人").await;
    let operator = app.operator_token("套接字管理员").await;
    let mut ws = app.websocket(Some(&broker)).await;
    ws.subscribe("1", WHO_AM_I, json!({})).await;
    let me = ws.next().await;
    assert_eq!(me["payload"]["data"]["me"]["isBroker"], true, "{me}");
    let id = me["payload"]["data"]["me"]["id"].clone();
    let demoted = app
        .gql_ok_as(
            &operator,
            "mutation($u: ID!) { setUserRoles(input: { userId: $u, operator: false, broker: false }) { userErrors { code } } }",
            json!({ "u": id }),
        )
        .await;
    assert_eq!(demoted["setUserRoles"]["userErrors"], json!([]));
    ws.subscribe("2", WHO_AM_I, json!({})).await;
    let (code, _) = ws.closed().await;
    assert_eq!(
        code, 4403,
        "the socket closes rather than answer as a broker"
    );
}

#[tokio::test]
async fn a_live_event_is_not_delivered_on_an_ended_session() {
    let app = spawn_app().await;
    let university = app.university("青岛套接字事件大学").await;
    let operator = app.operator_token("套接字事件管理员").await;
    let id = app
        .published_achievement(&university, achievement_fields())
        .await;
    // (Joining tells the admins; that happens before the socket opens.)
    let member = app.member_token(&university, "套接字事件成员").await;
    // Resuming from the newest notification held, so that one published while the
    // subscription is being set up is replayed rather than missed.
    let inbox = "{ notifications(first: 1) { nodes { id } } }";
    let newest = app.gql_ok_as(&university.token, inbox, json!({})).await["notifications"]["nodes"]
        [0]["id"]
        .clone();
    assert!(newest.is_string(), "joining told the admins: {newest}");
    let mut ws = app.websocket(Some(&university.token)).await;
    ws.subscribe(
        "1",
        "subscription($after: ID) { notificationAdded(afterId: $after) { id title } }",
        json!({ "after": newest }),
    )
    .await;
    // The subscription is live (a notification reaches it) …
    app.gql_ok_as(&operator, "mutation($id: ID!) { moderateAchievement(input: { id: $id, reason: \"价格信息明显有误\" }) { achievement { status } } }", json!({ "id": id })).await;
    let first = ws.next().await;
    assert_eq!(first["type"], "next", "{first}");
    // … then the session ends elsewhere, and the next notification closes the socket
    // instead of reaching it.
    app.gql_ok_as(&university.token, "mutation { logout { ok } }", json!({}))
        .await;
    app.lifecycle_as(&member, "publishAchievement", &id).await;
    app.gql_ok_as(&operator, "mutation($id: ID!) { moderateAchievement(input: { id: $id, reason: \"再次下架\" }) { achievement { status } } }", json!({ "id": id })).await;
    assert_eq!(ws.closed().await.0, 4401);
}

#[tokio::test]
async fn binary_frames_are_held_to_the_session_like_text() {
    let app = spawn_app().await;
    let token = app.user_token("二进制帧用户").await;
    let mut ws = app.websocket(Some(&token)).await;
    app.gql_ok_as(&token, "mutation { logout { ok } }", json!({}))
        .await;
    ws.send_binary(json!({ "id": "1", "type": "subscribe", "payload": { "query": MINT } }))
        .await;
    assert_eq!(ws.closed().await.0, 4401);
    let minted = app
        .count("SELECT COUNT(*) AS n FROM auth_tokens WHERE kind = 'personal'")
        .await;
    assert_eq!(minted, 0, "nothing ran on the ended session");
}

#[tokio::test]
async fn staff_cannot_disclose_a_listing_to_their_own_organisation() {
    let app = spawn_app().await;
    let firm = app.enterprise("青岛保密需求企业有限公司").await;
    let need = app
        .published_need(
            &firm,
            with(need_fields(), json!({ "visibility": "CONFIDENTIAL" })),
        )
        .await;
    // An operator registers an organisation of their own (and administers it)…
    let operator = app.staff_token("自授权管理员", true, true).await;
    let own = app
        .gql_ok_as(
            &operator,
            "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } userErrors { code } } }",
            json!({ "input": { "organization": {
                "kind": "ENTERPRISE", "name": "管理员自己的公司", "creditCode": credit_code_for("管理员自己的公司"), "region": "370211",
                "description": "测试", "contactName": "王", "contactPhone": "0532-88880000", "contactEmail": "x@example.com"
            } } }),
        )
        .await["createOrganization"]["organization"]["id"]
        .clone();
    // …and cannot open the confidential need to it.
    let refused = app
        .gql_as(
            &operator,
            "mutation($l: ID!, $o: ID!) { grantDisclosure(input: { listingId: $l, granteeOrganizationId: $o, reason: \"看看\" }) { userErrors { code } } }",
            json!({ "l": need, "o": own }),
        )
        .await;
    let code = refused["errors"][0]["extensions"]["code"]
        .as_str()
        .or_else(|| refused["data"]["grantDisclosure"]["userErrors"][0]["code"].as_str());
    assert_eq!(code, Some("FORBIDDEN"), "{refused}");
}

#[tokio::test]
async fn a_query_dressed_as_introspection_keeps_the_data_depth_limit() {
    let app = spawn_app().await;
    let deep = "{ __typename ...F } fragment F on QueryRoot { needs { nodes { owner { achievements { nodes { owner { achievements { nodes { owner { achievements { nodes { owner { name } } } } } } } } } } } } }";
    let body = app.gql(deep, json!({})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX",
        "{body}"
    );
    let defaults = app
        .gql(
            "mutation($n: String = \"订阅\\u0000\") { saveSearch(input: { name: $n, query: \"海水\" }) { savedSearch { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        defaults["errors"][0]["extensions"]["code"], "INVALID_TEXT",
        "{defaults}"
    );
}

/// For a matching world: a university, a firm that publishes in the open and a rival with
/// confidential needs, named after `name`.
async fn matching_parties(app: &TestApp, name: &str) -> (Org, Org, Org) {
    (
        app.create_org("UNIVERSITY", &format!("青岛{name}大学"), "370212", true)
            .await,
        app.create_org(
            "ENTERPRISE",
            &format!("青岛{name}公开有限公司"),
            "370202",
            true,
        )
        .await,
        app.create_org(
            "ENTERPRISE",
            &format!("青岛{name}保密有限公司"),
            "370211",
            true,
        )
        .await,
    )
}

/// Publishes `n` confidential needs of `rival` without codes, titled `title(i)`, all saying
/// `problem`.
async fn confidential_needs(
    app: &TestApp,
    rival: &Org,
    n: usize,
    title: impl Fn(usize) -> String,
    problem: &str,
) {
    for i in 0..n {
        app.published_need(rival, uncoded_need(&title(i), problem, "CONFIDENTIAL"))
            .await;
    }
}

/// Research results in three fields (membranes, high-salt wastewater, battery electrolytes)
/// whose words the worlds' needs share: title, summary, keywords.
const RESULTS: [(&str, &str, &[&str]); 3] = [
    (
        "反渗透膜抗污染涂层",
        "在反渗透膜表面接枝两性离子聚合物，降低膜污染，用于海水淡化与废水回用。",
        &["反渗透膜", "抗污染"],
    ),
    (
        "高盐废水蒸发结晶工艺",
        "高盐废水经膜浓缩后蒸发结晶，实现零排放与分盐。",
        &["高盐废水", "蒸发结晶"],
    ),
    (
        "锂电池电解液阻燃添加剂",
        "磷系阻燃添加剂提高锂电池电解液安全性。",
        &["锂电池", "电解液"],
    ),
];

/// A result with a discipline, an industry and a TRL.
fn coded_result(title: &str, summary: &str, keywords: &[&str]) -> Value {
    with(
        achievement_fields(),
        json!({ "title": title, "summary": summary, "keywords": keywords, "discipline": "430", "industries": ["M73"], "trl": 6 }),
    )
}

/// A need without codes, as firms often file them.
fn uncoded_need(title: &str, problem: &str, visibility: &str) -> Value {
    with(
        need_fields(),
        json!({ "title": title, "problem": problem, "requirements": "", "keywords": [], "industries": [], "discipline": null, "minTrl": null, "visibility": visibility }),
    )
}

const MATCHES_FOR_NEED: &str = "query($id: ID!) { matchesForNeed(id: $id, first: 10) { totalCount nodes { score strong achievementId reasons { explanation sharedTerms { term weight } textScore field fieldScore inferredDisciplines { code name confidence } } } } }";
const MATCHES_FOR_RESULT: &str = "query($id: ID!) { matchesForAchievement(id: $id, first: 10) { totalCount nodes { score strong needId reasons { explanation sharedTerms { term weight } textScore field fieldScore } } } }";

/// A market of public results and needs, with (`hidden`) or without confidential and draft
/// needs written in the very words of the public ones; what a visitor and a member of another
/// organisation learn from the matches of every public listing (the member over HTTP, then
/// over the WebSocket).
async fn matching_world(hidden: bool) -> (Vec<Value>, Vec<Value>) {
    let app = spawn_app().await;
    let (university, firm, rival) = matching_parties(&app, "膜材料").await;
    let mut results = Vec::new();
    for (title, summary, keywords) in RESULTS {
        results.push(
            app.published_achievement(&university, coded_result(title, summary, keywords))
                .await,
        );
    }
    let mut needs = Vec::new();
    for (title, problem) in [
        (
            "【寻求合作】反渗透膜污染快",
            "公司成立于2005年，注册资本3000万元。需求描述：反渗透膜污染快、清洗频繁，寻求抗污染涂层技术。",
        ),
        (
            "高盐废水零排放",
            "化工园区高盐废水需要膜浓缩与蒸发结晶技术。",
        ),
    ] {
        needs.push(
            app.published_need(&firm, uncoded_need(title, problem, "PUBLIC"))
                .await,
        );
    }
    if hidden {
        // Published but confidential, and a draft: their words are everywhere in the public
        // listings, so any count that took them in would move the weights.
        confidential_needs(
            &app,
            &rival,
            3,
            |n| format!("反渗透膜抗污染涂层与高盐废水蒸发结晶{n}"),
            "反渗透膜 抗污染 涂层 高盐废水 蒸发结晶 膜浓缩 零排放 清洗 注册资本 有限公司",
        )
        .await;
        app.create_need(
            &rival,
            uncoded_need(
                "反渗透膜抗污染草稿",
                "反渗透膜 抗污染 涂层 海水淡化 废水回用",
                "PUBLIC",
            ),
        )
        .await;
    }
    app.services.search.catch_up().await.expect("indexing");
    let mut questions: Vec<(&'static str, Value)> = needs
        .iter()
        .map(|id| (MATCHES_FOR_NEED, json!({ "id": id })))
        .collect();
    questions.extend(
        results
            .iter()
            .map(|id| (MATCHES_FOR_RESULT, json!({ "id": id }))),
    );
    visitor_and_outsider(&app, &university, questions).await
}

/// What a visitor and a member of `organisation` learn from `questions`: the member over
/// HTTP, then over the WebSocket, which must tell the same.
async fn visitor_and_outsider(
    app: &TestApp,
    organisation: &Org,
    questions: Vec<(&'static str, Value)>,
) -> (Vec<Value>, Vec<Value>) {
    let mut visitor = Vec::new();
    for (query, vars) in &questions {
        visitor.push(app.gql_ok(query, vars.clone()).await);
    }
    let member = app.member_token(organisation, "隐私测试旁观成员").await;
    let mut outsider = Vec::new();
    for (query, vars) in &questions {
        outsider.push(app.gql_ok_as(&member, query, vars.clone()).await);
    }
    let over_websocket = over_websocket(app, &member, questions).await;
    assert_eq!(
        outsider, over_websocket,
        "the WebSocket tells what HTTP tells"
    );
    (visitor, outsider)
}

#[tokio::test]
async fn confidential_and_draft_needs_move_no_match_score_or_reason_anyone_else_sees() {
    let (visitor_without, outsider_without) = matching_world(false).await;
    let (visitor_with, outsider_with) = matching_world(true).await;
    assert!(
        visitor_without[0].to_string().contains("反渗透膜"),
        "the public need finds the membrane result: {}",
        visitor_without[0]
    );
    for (i, (a, b)) in visitor_without.iter().zip(&visitor_with).enumerate() {
        assert_eq!(a, b, "visitor, question {i}");
    }
    for (i, (a, b)) in outsider_without.iter().zip(&outsider_with).enumerate() {
        assert_eq!(a, b, "member of another organisation, question {i}");
    }
}

const POOL_MATCHES: &str = "query($id: ID!) { matchesForNeed(id: $id, first: 50) { totalCount nodes { score achievementId reasons { sharedTerms { term weight } } } } }";

/// 220 public results, each holding one of twenty made-up words (eleven each, so no word is
/// "common"), one public need holding all twenty (`zqa` in its title), and (`hidden`) forty
/// confidential needs that hold `zqa`. What a visitor learns from the need's matches.
async fn pool_world(hidden: bool) -> Value {
    let app = spawn_app().await;
    let (university, firm, rival) = matching_parties(&app, "候选池").await;
    let words: Vec<String> = (b'a'..=b't').map(|c| format!("zq{}", c as char)).collect();
    for i in 0..220 {
        let w = &words[i % 20];
        app.published_achievement(
            &university,
            with(
                achievement_fields(),
                json!({ "title": format!("样品{i:03} {w}"), "summary": format!("{w} 本样品的说明文字内容"), "keywords": ["样品"], "discipline": "430", "industries": ["M73"] }),
            ),
        )
        .await;
    }
    let source = app
        .published_need(
            &firm,
            uncoded_need("zqa 需求", &words[1..].join(" "), "PUBLIC"),
        )
        .await;
    if hidden {
        confidential_needs(
            &app,
            &rival,
            40,
            |n| format!("保密{n:02}"),
            "zqa 保密需求的说明文字内容",
        )
        .await;
    }
    app.services.search.catch_up().await.expect("indexing");
    app.gql_ok(POOL_MATCHES, json!({ "id": source })).await
}

#[tokio::test]
async fn confidential_words_move_no_candidate_into_or_out_of_the_pool() {
    let without = pool_world(false).await;
    let with_hidden = pool_world(true).await;
    let titles = |v: &Value| -> Vec<String> {
        v["matchesForNeed"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                format!(
                    "{} {} {}",
                    id_of(n["achievementId"].as_str().unwrap()),
                    n["reasons"]["sharedTerms"][0]["term"].as_str().unwrap(),
                    n["score"]
                )
            })
            .collect()
    };
    assert_eq!(
        titles(&without)[..12],
        titles(&with_hidden)[..12],
        "a visitor's best matches for a public need (id, first shared term)"
    );
    assert_eq!(
        without, with_hidden,
        "a visitor's matches for a public need"
    );
}

/// A result published after (`hidden`) twenty confidential needs in its own words and then one
/// public need that shares a word with it; what its university and the public need's firm are told, and the error a
/// visitor gets for matches of a confidential need and of a need that does not exist.
async fn alert_world(hidden: bool) -> (Vec<String>, Vec<String>) {
    let app = spawn_app_with(Options {
        match_notify_threshold: Some(0.0),
        ..Default::default()
    })
    .await;
    let (university, firm, rival) = matching_parties(&app, "提醒").await;
    if hidden {
        confidential_needs(
            &app,
            &rival,
            20,
            |n| format!("反渗透膜抗污染涂层{n}"),
            "在反渗透膜表面接枝两性离子聚合物，降低膜污染，用于海水淡化与废水回用。",
        )
        .await;
    }
    app.published_need(
        &firm,
        uncoded_need("反渗透膜清洗", "反渗透膜清洗频繁，寻求改进。", "PUBLIC"),
    )
    .await;
    // A second public need that holds the result's other words, so that they count.
    app.published_need(
        &firm,
        uncoded_need(
            "两性离子聚合物海水淡化",
            "两性离子聚合物接枝，用于海水淡化与废水回用，降低污染。",
            "PUBLIC",
        ),
    )
    .await;
    app.run_jobs().await;
    app.published_achievement(
        &university,
        with(
            achievement_fields(),
            json!({ "title": "反渗透膜抗污染涂层", "summary": "在反渗透膜表面接枝两性离子聚合物，降低膜污染，用于海水淡化与废水回用。", "keywords": ["反渗透膜", "抗污染"], "discipline": "430", "industries": ["M73"], "trl": 6 }),
        ),
    )
    .await;
    app.run_jobs().await;
    const INBOX: &str = "{ notifications(first: 50) { nodes { kind title body } } }";
    let inbox = |v: Value| -> Vec<String> {
        v["notifications"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == "NEW_MATCH")
            .map(|n| format!("{} / {}", n["title"], n["body"]))
            .collect()
    };
    let mut told = inbox(app.gql_ok_as(&university.token, INBOX, json!({})).await);
    told.extend(inbox(app.gql_ok_as(&firm.token, INBOX, json!({})).await));
    // Existence: a confidential need's matches vs. a need id that was never used.
    let secret = app
        .published_need(
            &rival,
            uncoded_need("保密探针", "保密探针的需求描述说明文字。", "CONFIDENTIAL"),
        )
        .await;
    let missing = global_id(qianxian::graphql::ids::NodeType::Need, 99999);
    let mut errors: Vec<String> = Vec::new();
    for id in [secret, missing] {
        let v = app
            .gql(
                "query($id: ID!) { matchesForNeed(id: $id) { totalCount } }",
                json!({ "id": id }),
            )
            .await;
        let mut e = v["errors"][0].clone();
        e["path"] = Value::Null;
        errors.push(e.to_string());
    }
    assert_eq!(errors[0], errors[1], "confidential vs. missing need");
    (told, errors)
}

#[tokio::test]
async fn confidential_needs_crowd_no_public_one_out_of_stored_matches_and_alerts() {
    let (told_without, _) = alert_world(false).await;
    let (told_with, _) = alert_world(true).await;
    eprintln!("without: {told_without:#?}\nwith: {told_with:#?}");
    assert_eq!(
        told_without, told_with,
        "what the university and the public need's firm are told"
    );
}

/// A result and a public need that share words, and a need `n` in the same words that is
/// (`made_confidential`) published public and then made confidential, or confidential from the
/// start. What a visitor learns from the result's matches.
async fn history_world(made_confidential: bool) -> Value {
    let app = spawn_app().await;
    let (university, firm, rival) = matching_parties(&app, "历史").await;
    let result = app
        .published_achievement(
            &university,
            with(
                achievement_fields(),
                json!({ "title": "反渗透膜抗污染涂层", "summary": "在反渗透膜表面接枝两性离子聚合物，降低膜污染，用于海水淡化与废水回用。", "keywords": ["反渗透膜", "抗污染"], "discipline": "430", "industries": ["M73"], "trl": 6 }),
            ),
        )
        .await;
    app.published_need(
        &firm,
        uncoded_need(
            "反渗透膜污染快",
            "反渗透膜污染快，寻求两性离子聚合物涂层。",
            "PUBLIC",
        ),
    )
    .await;
    let secret = app
        .published_need(
            &rival,
            uncoded_need(
                "反渗透膜两性离子涂层",
                "反渗透膜两性离子聚合物涂层，用于海水淡化。",
                if made_confidential {
                    "PUBLIC"
                } else {
                    "CONFIDENTIAL"
                },
            ),
        )
        .await;
    app.services.search.catch_up().await.expect("indexing");
    if made_confidential {
        let r = app
            .gql_ok_as(
                &rival.token,
                "mutation($id: ID!) { updateNeed(input: { id: $id, patch: { visibility: CONFIDENTIAL } }) { need { visibility } userErrors { code message } } }",
                json!({ "id": secret }),
            )
            .await;
        assert_eq!(r["updateNeed"]["need"]["visibility"], "CONFIDENTIAL", "{r}");
    }
    app.services.search.catch_up().await.expect("indexing");
    app.gql_ok(MATCHES_FOR_RESULT, json!({ "id": result }))
        .await
}

#[tokio::test]
async fn a_need_made_confidential_moves_weights_no_more_than_one_confidential_from_the_start() {
    let confidential_from_start = history_world(false).await;
    let made_confidential = history_world(true).await;
    assert_eq!(confidential_from_start, made_confidential);
}

/// A result in C39 whose discipline relates it to C38 too, through the crosswalk, holding
/// twenty made-up words; 220 public needs that share one word each (eleven a word, so none is
/// too common to count): 140 in C38 and 50 in C39 by a firm in Jinan, then 30 in C39 by a
/// firm in Qingdao, whose region makes them the best matches; and (`hidden`) 100
/// confidential needs in C39. The text pool holds the first 200, so only the field
/// candidates bring the last Qingdao needs in; which related division the field candidates
/// favour must not depend on the hidden needs.
async fn field_pool_world(hidden: bool) -> Value {
    let app = spawn_app().await;
    let (university, near, rival) = matching_parties(&app, "领域候选").await;
    let far = app
        .create_org("ENTERPRISE", "济南领域候选有限公司", "370102", true)
        .await;
    let words: Vec<String> = (b'a'..=b't').map(|c| format!("zq{}", c as char)).collect();
    let result = app
        .published_achievement(
            &university,
            with(
                achievement_fields(),
                json!({ "title": "zqa 成果", "summary": words.join(" "), "keywords": [], "discipline": "430", "industries": ["C3912"] }),
            ),
        )
        .await;
    let coded = |title: String, industry: &str, visibility: &str| {
        with(
            uncoded_need(&title, "这是一条需求的说明文字内容", visibility),
            json!({ "industries": [industry] }),
        )
    };
    let mut n = 0;
    for (owner, count, industry) in [
        (&far, 140, "C3841"),
        (&far, 50, "C3912"),
        (&near, 30, "C3912"),
    ] {
        for _ in 0..count {
            let title = format!("{} 需求{n}", words[n % words.len()]);
            app.published_need(owner, coded(title, industry, "PUBLIC"))
                .await;
            n += 1;
        }
    }
    if hidden {
        for i in 0..100 {
            app.published_need(
                &rival,
                coded(format!("保密需求{i}"), "C3912", "CONFIDENTIAL"),
            )
            .await;
        }
    }
    app.services.search.catch_up().await.expect("indexing");
    const ALL_MATCHES: &str = "query($id: ID!) { matchesForAchievement(id: $id, first: 50) { totalCount nodes { score needId } } }";
    app.gql_ok(ALL_MATCHES, json!({ "id": result })).await
}

#[tokio::test]
async fn confidential_needs_tilt_no_field_candidate_into_or_out_of_the_pool() {
    let without = field_pool_world(false).await;
    let with_hidden = field_pool_world(true).await;
    assert_eq!(
        without["matchesForAchievement"]["totalCount"], 50,
        "{without}"
    );
    assert_eq!(
        without, with_hidden,
        "a visitor's matches for a public result"
    );
}
