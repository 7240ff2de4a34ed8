//! Pairing statistics against figures computed by hand from a scripted history: five pairings
//! over two months with every outcome, two brokers with known response times.

use crate::common::*;
use chrono::Duration;
use serde_json::{Value, json};

async fn run(app: &TestApp, token: &str, mutation: &str, input_type: &str, input: Value) -> String {
    let q = format!(
        "mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ pairing {{ id }} userErrors {{ code message }} }} }}"
    );
    let data = app.gql_ok_as(token, &q, json!({ "input": input })).await;
    assert_eq!(
        data[mutation]["userErrors"],
        json!([]),
        "{mutation}: {data}"
    );
    data[mutation]["pairing"]["id"].as_str().unwrap().to_owned()
}

async fn request(app: &TestApp, firm: &Org, achievement: &str, need: Option<&str>) -> String {
    run(
        app,
        &firm.token,
        "requestPairing",
        "OpenPairingInput",
        json!({ "achievementId": achievement, "needId": need, "message": "申请对接" }),
    )
    .await
}

async fn step(app: &TestApp, token: &str, mutation: &str, id: &str) {
    run(app, token, mutation, "PairingIdInput", json!({ "id": id })).await;
}

async fn sign(app: &TestApp, broker: &str, id: &str, amount: i64, on: &str) {
    run(
        app,
        broker,
        "signPairing",
        "SignPairingInput",
        json!({ "id": id, "contract": { "kind": "LICENSE", "amountYuan": amount, "signedOn": on } }),
    )
    .await;
}

const STATS: &str =
    "query($from: String!, $to: String!) { pairingStatistics(from: $from, to: $to) {
    total { requests introductions signed amountYuan }
    byMonth { key requests introductions signed amountYuan }
    byRegion { key label requests signed amountYuan }
    byDistrict { key label requests }
    byOrganization { label requests signed amountYuan }
    byIndustry { key requests }
    funnel { requested accepted introduced negotiating signed declined withdrawn expired }
    brokers { broker { displayName } pairings signed medianHoursToFirstResponse }
    csv(table: MONTH)
} }";

#[tokio::test]
async fn statistics_match_hand_computed_figures() {
    let app = spawn_app().await;
    let university = app.university("青岛统计大学").await;
    let qingdao = app.enterprise("青岛统计企业有限公司").await;
    let jinan = app
        .create_org("ENTERPRISE", "济南统计企业有限公司", "370102", true)
        .await;
    let b1 = app.broker_token("经纪人甲").await;
    let b2 = app.broker_token("经纪人乙").await;
    let operator = app.operator_token("统计管理员").await;
    let a = app
        .published_achievement(&university, achievement_fields())
        .await;
    let a2 = app
        .published_achievement(
            &university,
            with(achievement_fields(), json!({ "title": "海洋防腐涂层技术" })),
        )
        .await;
    let need = app.published_need(&qingdao, need_fields()).await;

    // December: P1 signed for 1,000,000 (taken after 2 h); P2 withdrawn (taken after 4 h).
    let p1 = request(&app, &qingdao, &a, Some(&need)).await;
    let p2 = request(&app, &jinan, &a, None).await;
    app.clock.advance(Duration::hours(2));
    step(&app, &b1, "takePairing", &p1).await;
    app.clock.advance(Duration::hours(2));
    step(&app, &b2, "takePairing", &p2).await;
    step(&app, &university.token, "agreeToPairing", &p1).await;
    step(&app, &qingdao.token, "startNegotiation", &p1).await;
    sign(&app, &b1, &p1, 1_000_000, "2026-12-01").await;
    run(
        &app,
        &jinan.token,
        "withdrawPairing",
        "WithdrawPairingInput",
        json!({ "id": p2 }),
    )
    .await;

    // January: P3 declined (taken after 8 h), P4 never taken (expires), P5 signed for 300,000
    // (taken after 2 h).
    app.clock.advance(Duration::days(35) - Duration::hours(4));
    let p3 = request(&app, &qingdao, &a2, None).await;
    let p4 = request(&app, &jinan, &a2, None).await;
    let p5 = request(&app, &jinan, &a, None).await;
    app.clock.advance(Duration::hours(2));
    step(&app, &b2, "takePairing", &p5).await;
    app.clock.advance(Duration::hours(6));
    step(&app, &b1, "takePairing", &p3).await;
    run(
        &app,
        &university.token,
        "declinePairing",
        "DeclinePairingInput",
        json!({ "id": p3, "reason": "成果已独占许可给他人" }),
    )
    .await;
    step(&app, &university.token, "agreeToPairing", &p5).await;
    step(&app, &jinan.token, "startNegotiation", &p5).await;
    sign(&app, &b2, &p5, 300_000, "2027-01-05").await;
    app.clock.advance(Duration::days(8));
    assert_eq!(app.services.pairings.expire_due().await.unwrap(), 1);
    let _ = p4;

    let period = json!({ "from": "2026-12-01T00:00:00Z", "to": "2027-02-01T00:00:00Z" });
    let s = app.gql_ok_as(&operator, STATS, period.clone()).await["pairingStatistics"].clone();
    assert_eq!(
        s["total"],
        json!({ "requests": 5, "introductions": 2, "signed": 2, "amountYuan": 1_300_000 })
    );
    assert_eq!(
        s["byMonth"],
        json!([
            { "key": "2026-12", "requests": 2, "introductions": 1, "signed": 1, "amountYuan": 1_000_000 },
            { "key": "2027-01", "requests": 3, "introductions": 1, "signed": 1, "amountYuan": 300_000 }
        ])
    );
    assert_eq!(
        s["byRegion"],
        json!([
            { "key": "370100", "label": "济南市", "requests": 3, "signed": 1, "amountYuan": 300_000 },
            { "key": "370200", "label": "青岛市", "requests": 2, "signed": 1, "amountYuan": 1_000_000 }
        ])
    );
    assert_eq!(
        s["byDistrict"],
        json!([
            { "key": "370102", "label": "历下区", "requests": 3 },
            { "key": "370211", "label": "黄岛区", "requests": 2 }
        ])
    );
    let uni = s["byOrganization"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["label"] == "青岛统计大学")
        .unwrap()
        .clone();
    assert_eq!(
        uni,
        json!({ "label": "青岛统计大学", "requests": 5, "signed": 2, "amountYuan": 1_300_000 })
    );
    assert_eq!(s["byIndustry"][0], json!({ "key": "C38", "requests": 5 }));
    assert_eq!(
        s["funnel"],
        json!({ "requested": 5, "accepted": 4, "introduced": 2, "negotiating": 2, "signed": 2,
                "declined": 1, "withdrawn": 1, "expired": 1 })
    );
    // Busiest first, then by name (乙 sorts before 甲), never in the order they registered.
    assert_eq!(
        s["brokers"],
        json!([
            { "broker": { "displayName": "经纪人乙" }, "pairings": 2, "signed": 1, "medianHoursToFirstResponse": 3.0 },
            { "broker": { "displayName": "经纪人甲" }, "pairings": 2, "signed": 1, "medianHoursToFirstResponse": 5.0 }
        ])
    );
    let requests: Vec<i64> = s["byOrganization"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["requests"].as_i64().unwrap())
        .collect();
    assert!(requests.windows(2).all(|w| w[0] >= w[1]), "{requests:?}");
    let csv = s["csv"].as_str().unwrap();
    assert!(
        csv.starts_with("\u{feff}月份,名称,对接请求,成功引荐,签约数,合同金额（元）\n"),
        "{csv}"
    );
    assert!(csv.contains("\n2026-12,2026-12,2,1,1,1000000\n"), "{csv}");
    assert!(csv.ends_with("\n合计,,5,2,2,1300000\n"), "{csv}");

    // Organisations and brokers are named by their global ids, in the answer and the CSV,
    // never by row numbers that would count every organisation and user ever registered.
    let named = app
        .gql_ok_as(
            &b1,
            "query($from: String!, $to: String!) { pairingStatistics(from: $from, to: $to) { byOrganization { key label } brokers { broker { id } } organizations: csv(table: ORGANIZATION) brokerTable: csv(table: BROKER) } }",
            period.clone(),
        )
        .await["pairingStatistics"]
        .clone();
    let groups = named["byOrganization"].as_array().unwrap();
    assert!(groups.len() >= 2, "{named}");
    for g in groups {
        let found = app
            .gql_ok(
                "query($id: ID!) { node(id: $id) { ... on Organization { name } } }",
                json!({ "id": g["key"] }),
            )
            .await;
        assert_eq!(found["node"]["name"], g["label"], "{g}");
        assert!(
            named["organizations"]
                .as_str()
                .unwrap()
                .contains(g["key"].as_str().unwrap())
        );
    }
    let broker_rows: Vec<&str> = named["brokerTable"]
        .as_str()
        .unwrap()
        .lines()
        .skip(1)
        .map(|row| row.split(',').next().unwrap())
        .collect();
    let broker_ids: Vec<&str> = named["brokers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["broker"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(broker_rows.len(), 2, "{named}");
    assert_eq!(broker_rows, broker_ids);

    // A narrower period holds December's cohort only.
    let december = app
        .gql_ok_as(
            &b1,
            "query { pairingStatistics(from: \"2026-12-01T00:00:00Z\", to: \"2027-01-01T00:00:00Z\") { total { requests signed amountYuan } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        december["pairingStatistics"]["total"],
        json!({ "requests": 2, "signed": 1, "amountYuan": 1_000_000 })
    );

    // Periods as people write them: a quarter, a month, dates (the last day included), all in
    // Beijing time.
    let total_of =
        |args: &str| format!("query {{ pairingStatistics({args}) {{ total {{ requests }} }} }}");
    for (args, requests) in [
        ("period: \"2026Q4\"", 2),
        ("period: \"2027Q1\"", 3),
        ("period: \"2027-01\"", 3),
        ("period: \"2026\"", 2),
        ("from: \"2026-12-01\", to: \"2027-01-31\"", 5),
        ("from: \"2026-12-01\", to: \"2026-12-31\"", 2),
    ] {
        let got = app.gql_ok_as(&operator, &total_of(args), json!({})).await;
        assert_eq!(
            got["pairingStatistics"]["total"]["requests"], requests,
            "{args}"
        );
    }
    for args in [
        "period: \"2026Q5\"",
        "from: \"12/01/2026\", to: \"2027-01-31\"",
        "",
    ] {
        let refused = app
            .gql_as(&operator, &total_of(args).replace("()", ""), json!({}))
            .await;
        assert_eq!(
            refused["errors"][0]["extensions"]["code"], "INVALID_ARGUMENT",
            "{args}: {refused}"
        );
        let message = refused["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains("2026Q4") || message.contains("2026-10-01"),
            "{message}"
        );
    }

    // Firms do not read platform statistics, and are told so before their period is read
    // (dates near chrono's limits once panicked for anyone); a reversed period is refused.
    let denied = app.gql_as(&qingdao.token, STATS, period).await;
    assert_eq!(denied["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let far = json!({ "from": "-262143-01-01", "to": "+262142-12-31" });
    let denied = app.gql_as(&qingdao.token, STATS, far.clone()).await;
    assert_eq!(
        denied["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{denied}"
    );
    let refused = app.gql_as(&operator, STATS, far).await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "INVALID_ARGUMENT",
        "{refused}"
    );
    let reversed = app
        .gql_as(
            &operator,
            STATS,
            json!({ "from": "2027-02-01T00:00:00Z", "to": "2026-12-01T00:00:00Z" }),
        )
        .await;
    assert_eq!(
        reversed["errors"][0]["extensions"]["code"],
        "INVALID_ARGUMENT"
    );
}
