//! Notifications: the live stream over a real WebSocket (graphql-transport-ws), nothing lost
//! across a service restart, alerts for new matches and saved searches that respect
//! visibility, and moderation decisions.

use crate::common::*;
use serde_json::{Value, json};

const SUBSCRIBE: &str = "subscription($after: ID) { notificationAdded(afterId: $after) { id kind title body pairingId } }";
const INBOX: &str = "{ notifications(first: 50) { totalCount unreadCount nodes { id kind title body achievementId needId } } }";

async fn run(app: &TestApp, token: &str, mutation: &str, input: Value) -> Value {
    let q = format!(
        "mutation($input: {}Input!) {{ {mutation}(input: $input) {{ pairing {{ id status }} userErrors {{ code message }} }} }}",
        input_type(mutation)
    );
    let data = app.gql_ok_as(token, &q, json!({ "input": input })).await;
    assert_eq!(data[mutation]["userErrors"], json!([]), "{data}");
    data[mutation]["pairing"].clone()
}

fn input_type(mutation: &str) -> &'static str {
    match mutation {
        "requestPairing" => "OpenPairing",
        "addPairingNote" => "AddPairingNote",
        _ => "PairingId",
    }
}

fn event(msg: &Value) -> &Value {
    assert_eq!(msg["type"], "next", "{msg}");
    &msg["payload"]["data"]["notificationAdded"]
}

#[tokio::test]
async fn pairing_events_stream_over_websocket_and_survive_a_restart() {
    let app = spawn_app().await;
    let university = app.university("青岛推送大学").await;
    let firm = app.enterprise("青岛推送企业有限公司").await;
    let broker = app.broker_token("推送经纪人").await;
    let achievement = app
        .published_achievement(&university, achievement_fields())
        .await;
    let pairing = run(
        &app,
        &firm.token,
        "requestPairing",
        json!({ "achievementId": achievement, "message": "申请对接" }),
    )
    .await;
    let id = pairing["id"].as_str().unwrap().to_owned();

    // Anonymous sockets connect but cannot subscribe.
    let mut anonymous = app.websocket(None).await;
    anonymous.subscribe("a", SUBSCRIBE, json!({})).await;
    let refused = anonymous.next().await;
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{refused}"
    );
    anonymous.close().await;

    // A client resumes from the newest notification it holds, so an event committed while
    // the subscription is being set up is replayed rather than lost.
    let newest =
        app.gql_ok_as(&firm.token, INBOX, json!({})).await["notifications"]["nodes"][0]["id"]
            .clone();
    let mut ws = app.websocket(Some(&firm.token)).await;
    ws.subscribe("1", SUBSCRIBE, json!({ "after": newest }))
        .await;
    run(&app, &broker, "takePairing", json!({ "id": id })).await;
    let first = ws.next().await;
    let taken = event(&first);
    assert_eq!(taken["kind"], "PAIRING");
    assert_eq!(taken["pairingId"], id.as_str());
    // Named by the result, not by a row number.
    let title = taken["title"].as_str().unwrap();
    assert!(
        title.ends_with("的对接：已受理") && title.starts_with('“'),
        "{taken}"
    );
    let last_seen = taken["id"].as_str().unwrap().to_owned();
    ws.close().await;

    // While the firm is away the university agrees; then the service restarts.
    run(
        &app,
        &university.token,
        "agreeToPairing",
        json!({ "id": id }),
    )
    .await;
    let app = app.restart().await;

    // Resuming after the last id it saw, the firm first receives what it missed, then live events.
    let mut ws = app.websocket(Some(&firm.token)).await;
    ws.subscribe("2", SUBSCRIBE, json!({ "after": last_seen }))
        .await;
    let missed = ws.next().await;
    assert!(
        event(&missed)["title"]
            .as_str()
            .unwrap()
            .ends_with("已引荐"),
        "{missed}"
    );
    run(
        &app,
        &broker,
        "addPairingNote",
        json!({ "id": id, "text": "下周三安排实验室参观" }),
    )
    .await;
    let live = ws.next().await;
    assert!(
        event(&live)["body"]
            .as_str()
            .unwrap()
            .contains("下周三安排实验室参观"),
        "{live}"
    );
    // Internal notes never reach a side's stream: the next event is the public one after it.
    run(
        &app,
        &broker,
        "addPairingNote",
        json!({ "id": id, "text": "内部：企业决策慢", "internal": true }),
    )
    .await;
    run(&app, &broker, "startNegotiation", json!({ "id": id })).await;
    let next = ws.next().await;
    assert!(
        event(&next)["title"].as_str().unwrap().ends_with("洽谈中"),
        "{next}"
    );
    ws.close().await;

    // The inbox holds everything the stream delivered.
    let inbox = app.gql_ok_as(&firm.token, INBOX, json!({})).await;
    let pairing_events = inbox["notifications"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "PAIRING")
        .count();
    assert_eq!(pairing_events, 4, "{inbox}");
    assert!(!inbox.to_string().contains("企业决策慢"));
}

#[tokio::test]
async fn new_matches_and_saved_searches_alert_only_those_entitled() {
    let app = spawn_app_with(Options {
        match_notify_threshold: Some(0.05),
        ..Default::default()
    })
    .await;
    let university = app.university("青岛提醒大学").await;
    let firm = app.enterprise("青岛提醒电池有限公司").await;
    let secretive = app
        .create_org("ENTERPRISE", "青岛保密电池有限公司", "370203", true)
        .await;

    // Saved searches: validation, then one for results and one (by the university) for needs.
    let bad = app
        .gql_ok_as(
            &firm.token,
            "mutation { saveSearch(input: { name: \" \", query: \"固态电解质\" }) { savedSearch { id } userErrors { field code } } }",
            json!({}),
        )
        .await;
    assert_eq!(bad["saveSearch"]["userErrors"][0]["code"], "INVALID_TEXT");
    let saved = app
        .gql_ok_as(
            &firm.token,
            "mutation { saveSearch(input: { name: \"固态电池成果\", query: \"固态电解质\", kind: ACHIEVEMENT }) { savedSearch { id kind } userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(saved["saveSearch"]["savedSearch"]["kind"], "ACHIEVEMENT");
    app.gql_ok_as(
        &university.token,
        "mutation { saveSearch(input: { name: \"电池需求\", query: \"固态电池\", kind: NEED }) { savedSearch { id } } }",
        json!({}),
    )
    .await;

    let achievement = app
        .published_achievement(&university, achievement_fields())
        .await;
    app.published_achievement(
        &university,
        with(
            achievement_fields(),
            json!({ "title": "海水养殖尾水处理技术", "summary": "微生物法处理养殖尾水。", "keywords": ["养殖尾水"] }),
        ),
    )
    .await;
    let public_need = app
        .published_need(
            &firm,
            with(
                need_fields(),
                json!({ "title": "固态电池电解质材料需求", "problem": "寻求硫化物固态电解质的规模化制备技术，用于固态电池。", "keywords": ["固态电池", "硫化物电解质"] }),
            ),
        )
        .await;
    let confidential = app
        .published_need(
            &secretive,
            with(
                need_fields(),
                json!({ "title": "保密的固态电池项目", "problem": "寻求硫化物固态电解质的规模化制备技术，用于固态电池。", "keywords": ["固态电池", "硫化物电解质"], "visibility": "CONFIDENTIAL" }),
            ),
        )
        .await;
    app.run_jobs().await;

    let firm_inbox = app.gql_ok_as(&firm.token, INBOX, json!({})).await["notifications"].clone();
    let nodes = firm_inbox["nodes"].as_array().unwrap();
    let saved_hits: Vec<&Value> = nodes
        .iter()
        .filter(|n| n["kind"] == "SAVED_SEARCH")
        .collect();
    assert_eq!(
        saved_hits.len(),
        1,
        "one result matches the saved search: {firm_inbox}"
    );
    assert_eq!(saved_hits[0]["achievementId"], achievement.as_str());
    assert!(
        nodes
            .iter()
            .any(|n| n["kind"] == "NEW_MATCH" && n["achievementId"] == achievement.as_str()),
        "the need's owner hears of the new match: {firm_inbox}"
    );
    let secret_inbox = app.gql_ok_as(&secretive.token, INBOX, json!({})).await;
    assert!(
        secret_inbox.to_string().contains("NEW_MATCH"),
        "a confidential need's owner hears of its matches: {secret_inbox}"
    );

    let uni_inbox = app.gql_ok_as(&university.token, INBOX, json!({})).await;
    let text = uni_inbox.to_string();
    assert!(
        text.contains(public_need.as_str()),
        "the public need is announced: {text}"
    );
    assert!(
        !text.contains("保密的固态电池项目") && !text.contains(confidential.as_str()),
        "a confidential need never reaches outsiders, as a match or a saved-search hit: {text}"
    );

    // Nothing is announced twice when the result changes and the jobs run again.
    let before = firm_inbox["totalCount"].clone();
    app.gql_ok_as(
        &university.token,
        "mutation($id: ID!) { updateAchievement(input: { id: $id, patch: { advantages: \"成本再降 10%\" } }) { userErrors { code } } }",
        json!({ "id": achievement }),
    )
    .await;
    app.run_jobs().await;
    let again = app.gql_ok_as(&firm.token, INBOX, json!({})).await;
    assert_eq!(again["notifications"]["totalCount"], before);
}

#[tokio::test]
async fn moderation_decisions_reach_the_owners_inbox() {
    let app = spawn_app().await;
    let university = app.university("青岛审核大学").await;
    let operator = app.operator_token("审核管理员").await;
    let achievement = app
        .published_achievement(&university, achievement_fields())
        .await;
    let data = app
        .gql_ok_as(
            &operator,
            "mutation($id: ID!) { moderateAchievement(input: { id: $id, reason: \"专利号与权利人不符，请核实\" }) { achievement { status } userErrors { code } } }",
            json!({ "id": achievement }),
        )
        .await;
    assert_eq!(
        data["moderateAchievement"]["achievement"]["status"],
        "WITHDRAWN"
    );
    let inbox = app.gql_ok_as(&university.token, INBOX, json!({})).await["notifications"].clone();
    let n = inbox["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "MODERATION")
        .unwrap_or_else(|| panic!("a moderation notice: {inbox}"))
        .clone();
    assert!(n["body"].as_str().unwrap().contains("专利号与权利人不符"));
    assert_eq!(n["achievementId"], achievement.as_str());
    // Anonymous callers have no inbox.
    let anonymous = app.gql(INBOX, json!({})).await;
    assert_eq!(
        anonymous["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn a_membership_request_shows_the_applicant_to_the_admins_who_are_told_and_the_applicant_hears_the_answer()
 {
    let app = spawn_app().await;
    let org = app.university("青岛申请通知大学").await;
    let colleague = app.member_token(&org, "申请通知同事").await;
    let applicant = app.user_token("申请通知人").await;
    let asked = app
        .gql_ok_as(
            &applicant,
            "mutation($o: ID!) { requestMembership(input: { organizationId: $o, message: \"我负责成果登记\" }) { request { id applicant { displayName } } userErrors { code } } }",
            json!({ "o": org }),
        )
        .await;
    let request_id = asked["requestMembership"]["request"]["id"].clone();

    // The admin is told, with who is asking and how to reach them …
    let inbox = app.gql_ok_as(&org.token, INBOX, json!({})).await;
    let told: Vec<&Value> = inbox["notifications"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "MEMBERSHIP_REQUEST")
        .collect();
    assert!(
        told.iter().any(|n| n["title"]
            .as_str()
            .unwrap()
            .starts_with("申请通知人 申请加入青岛申请通知大学")
            && n["body"].as_str().unwrap().contains("@example.com")
            && n["body"].as_str().unwrap().contains("我负责成果登记")),
        "{inbox}"
    );
    // … and reads the applicant in the list; a plain member is not told and may not read it.
    let list = app
        .gql_ok_as(
            &org.token,
            "query($o: ID!) { membershipRequests(organizationId: $o) { totalCount nodes { id message applicant { displayName email phone } } } }",
            json!({ "o": org }),
        )
        .await;
    let node = &list["membershipRequests"]["nodes"][0];
    assert_eq!(node["applicant"]["displayName"], "申请通知人", "{list}");
    assert!(
        node["applicant"]["email"]
            .as_str()
            .unwrap()
            .ends_with("@example.com")
    );
    let colleague_inbox = app.gql_ok_as(&colleague, INBOX, json!({})).await;
    assert!(
        !colleague_inbox.to_string().contains("申请通知人 申请加入"),
        "{colleague_inbox}"
    );
    let denied = app
        .gql_as(
            &colleague,
            "query($o: ID!) { membershipRequests(organizationId: $o) { totalCount } }",
            json!({ "o": org }),
        )
        .await;
    assert_eq!(
        denied["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{denied}"
    );

    // The applicant hears the decision.
    app.gql_ok_as(
        &org.token,
        "mutation($r: ID!) { approveMembership(input: { requestId: $r }) { request { status } } }",
        json!({ "r": request_id }),
    )
    .await;
    let heard = app.gql_ok_as(&applicant, INBOX, json!({})).await;
    assert_eq!(
        heard["notifications"]["nodes"][0]["title"], "你已加入青岛申请通知大学",
        "{heard}"
    );
}

#[tokio::test]
async fn one_socket_runs_sixteen_operations_at_once_and_no_more() {
    // Each operation costs the server a session check per event; an outside attacker opened
    // as many as the rate limit allowed on one socket.
    let app = spawn_app().await;
    let token = app.user_token("多订阅用户").await;
    let mut ws = app.websocket(Some(&token)).await;
    for i in 0..16 {
        ws.subscribe(&format!("s{i}"), SUBSCRIBE, json!({})).await;
    }
    // One ends; a query fits in its place, answers and ends too.
    ws.send_binary(json!({ "id": "s0", "type": "complete" }))
        .await;
    ws.subscribe("q", "{ trlLevels { level } }", json!({}))
        .await;
    let mut answer = ws.next().await;
    if answer["id"] == "s0" {
        // The server confirms the end of s0 first.
        assert_eq!(answer["type"], "complete", "{answer}");
        answer = ws.next().await;
    }
    assert_eq!(
        (answer["id"].as_str(), answer["type"].as_str()),
        (Some("q"), Some("next")),
        "{answer}"
    );
    assert_eq!(ws.next().await["type"], "complete");
    // Sixteen again, then one too many.
    ws.subscribe("s16", SUBSCRIBE, json!({})).await;
    ws.subscribe("s17", SUBSCRIBE, json!({})).await;
    let (code, reason) = ws.closed().await;
    assert_eq!(code, 4429, "{reason}");
    assert!(reason.contains("16"), "{reason}");
}
