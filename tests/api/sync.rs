//! Market sync against the fake markets over real HTTP: first full sync, incremental sync,
//! remote update and deletion, injected faults (nothing local lost or duplicated), an outage
//! mid-sync and the resume, quarantine, the marine contract's signature and deletion feed,
//! and one result arriving from two markets (or entered by hand) staying one listing.

use crate::common::*;
use qianxian::connectors::{ConnectorsSettings, Market};
use qianxian::db::sync::RunRow;
use qianxian::service::Actor;
use qianxian::service::sync::Trigger;
use serde_json::{Value, json};

async fn app_with(fakes: &[(&FakeMarket, Market)]) -> TestApp {
    let mut connectors = ConnectorsSettings::default();
    for (fake, market) in fakes {
        match market {
            Market::Provincial => connectors.provincial = fake.settings(),
            Market::Marine => connectors.marine = fake.settings(),
        }
    }
    spawn_app_with(Options {
        connectors: Some(connectors),
        ..Default::default()
    })
    .await
}

async fn sync(app: &TestApp, market: Market) -> RunRow {
    app.services
        .sync
        .run(&Actor::System, market, Trigger::Command, |_| {})
        .await
        .expect("the run is recorded")
}

/// Every listing of every status, as the system sees them: `(kind, external id, status, title)`.
async fn listings(app: &TestApp) -> Vec<(String, String, String, String)> {
    let data = app
        .gql_ok_as(
            &operator(app).await,
            "{ achievements(first: 100, filter: { statuses: [DRAFT, PUBLISHED, WITHDRAWN, EXPIRED, TRANSFERRED] }) { nodes { title status sources { externalId } } }
               needs(first: 100, filter: { statuses: [DRAFT, OPEN, NEGOTIATING, SIGNED, CLOSED, WITHDRAWN, EXPIRED] }) { nodes { title status sources { externalId } } } }",
            json!({}),
        )
        .await;
    let mut out = Vec::new();
    for (kind, key) in [("A", "achievements"), ("N", "needs")] {
        for n in data[key]["nodes"].as_array().unwrap() {
            out.push((
                kind.to_owned(),
                n["sources"][0]["externalId"]
                    .as_str()
                    .unwrap_or("-")
                    .to_owned(),
                n["status"].as_str().unwrap().to_owned(),
                n["title"].as_str().unwrap().to_owned(),
            ));
        }
    }
    out.sort();
    out
}

/// An operator's token (registered once per database: ports are reused, databases are not).
async fn operator(app: &TestApp) -> String {
    static TOKENS: std::sync::Mutex<Vec<(String, String)>> = std::sync::Mutex::new(Vec::new());
    if let Some((_, t)) = TOKENS
        .lock()
        .unwrap()
        .iter()
        .find(|(db, _)| db == app.database_url())
    {
        return t.clone();
    }
    let token = app.operator_token("同步核对员").await;
    TOKENS
        .lock()
        .unwrap()
        .push((app.database_url().to_owned(), token.clone()));
    token
}

fn status_of<'a>(all: &'a [(String, String, String, String)], id: &str) -> &'a str {
    all.iter()
        .find(|l| l.1 == id)
        .map(|l| l.2.as_str())
        .unwrap_or_else(|| panic!("{id} not found in {all:?}"))
}

#[tokio::test]
async fn provincial_full_incremental_update_and_removal() {
    let fake = FakeMarket::start(Market::Provincial, 30, 7).await;
    let app = app_with(&[(&fake, Market::Provincial)]).await;

    let first = sync(&app, Market::Provincial).await;
    assert_eq!(first.status, "SUCCEEDED", "{first:?}");
    assert_eq!(
        (first.fetched, first.created, first.quarantined),
        (30, 30, 0),
        "{first:?}"
    );
    let all = listings(&app).await;
    assert_eq!(all.len(), 30);
    assert_eq!(
        all.iter().filter(|l| l.0 == "N").count(),
        7,
        "every fourth record is a demand"
    );
    assert_eq!(
        status_of(&all, "SD-ACH-000000"),
        "PUBLISHED",
        "imported listings go live"
    );
    assert_eq!(status_of(&all, "SD-DEM-000003"), "OPEN");

    // Nothing changed remotely: the next run reads nothing new.
    let again = sync(&app, Market::Provincial).await;
    assert_eq!(
        (again.fetched, again.created, again.updated),
        (0, 0, 0),
        "{again:?}"
    );

    // A remote update, a record taken offline and one deleted.
    let mut changed = fake.record("SD-ACH-000000").await;
    changed["title"] = json!("海藻多糖制备技术（已更新）");
    changed["updated_at"] = json!("2026-12-01T10:00:00+08:00");
    fake.put(json!([changed])).await;
    fake.remove("SD-ACH-000001", "offline").await;
    fake.remove("SD-ACH-000002", "deleted").await;
    let incremental = sync(&app, Market::Provincial).await;
    assert_eq!(
        (
            incremental.fetched,
            incremental.updated,
            incremental.withdrawn
        ),
        (3, 1, 2),
        "{incremental:?}"
    );
    let all = listings(&app).await;
    assert_eq!(all.len(), 30, "a removal withdraws, it does not delete");
    assert!(
        all.iter()
            .any(|l| l.1 == "SD-ACH-000000" && l.3 == "海藻多糖制备技术（已更新）")
    );
    assert_eq!(status_of(&all, "SD-ACH-000001"), "WITHDRAWN");
    assert_eq!(status_of(&all, "SD-ACH-000002"), "WITHDRAWN");

    // Listed again at the market: live again here.
    let mut back = fake.record("SD-ACH-000001").await;
    back["status"] = json!("published");
    back["updated_at"] = json!("2026-12-02T10:00:00+08:00");
    fake.put(json!([back])).await;
    let relisted = sync(&app, Market::Provincial).await;
    assert_eq!(relisted.updated, 1, "{relisted:?}");
    assert_eq!(
        status_of(&listings(&app).await, "SD-ACH-000001"),
        "PUBLISHED"
    );

    // Operators read the runs; others may not.
    let operator = operator(&app).await;
    let runs = app
        .gql_ok_as(
            &operator,
            "{ syncRuns(market: PROVINCIAL) { totalCount nodes { id status trigger fetched created updated withdrawn quarantined } } }",
            json!({}),
        )
        .await;
    assert_eq!(runs["syncRuns"]["totalCount"], 4);
    let runs = runs["syncRuns"]["nodes"].as_array().unwrap();
    assert_eq!(runs.len(), 4);
    assert_eq!(runs[3]["created"], 30);
    assert_eq!(runs[1]["withdrawn"], 2);
    let firm = app.enterprise("青岛同步旁观企业").await;
    let denied = app
        .gql_as(&firm.token, "{ syncRuns { nodes { id } } }", json!({}))
        .await;
    assert_eq!(denied["errors"][0]["extensions"]["code"], "FORBIDDEN");
}

#[tokio::test]
async fn injected_faults_lose_nothing_and_duplicate_nothing() {
    let fake = FakeMarket::start(Market::Provincial, 60, 11).await;
    let app = app_with(&[(&fake, Market::Provincial)]).await;
    fake.faults(json!({
        "fail_next": 2, "rate_limit_next": 2, "retry_after_secs": 0,
        "timeout_next": 1, "stall_ms": 1000,
        "duplicate_pages": true, "shuffle": true, "malformed_every": 7
    }))
    .await;
    let run = sync(&app, Market::Provincial).await;
    assert_eq!(run.status, "SUCCEEDED", "{run:?}");
    let stats = fake.stats().await;
    assert!(
        stats["faults"].as_u64().unwrap() >= 5,
        "faults were served: {stats}"
    );
    // Each 10-record page had one malformed record (the 7th); each page after the first repeated
    // the record before it.
    assert_eq!(run.quarantined, 6, "{run:?}");
    assert_eq!(run.created, 54, "{run:?}");
    let all = listings(&app).await;
    assert_eq!(all.len(), 54, "no duplicates");
    let mut ids: Vec<&str> = all.iter().map(|l| l.1.as_str()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 54);

    let operator = operator(&app).await;
    let q = app
        .gql_ok_as(
            &operator,
            "{ syncRuns { nodes { quarantined quarantinedRecords { externalId error raw } } } }",
            json!({}),
        )
        .await;
    let records = q["syncRuns"]["nodes"][0]["quarantinedRecords"]
        .as_array()
        .unwrap();
    assert_eq!(records.len(), 6);
    assert!(
        records[0]["error"]
            .as_str()
            .unwrap()
            .contains("字段不符合接口约定"),
        "{records:?}"
    );
    assert!(records[0]["raw"].as_str().unwrap().contains("昨天"));
}

#[tokio::test]
async fn an_outage_mid_sync_keeps_local_data_and_the_next_run_resumes() {
    let fake = FakeMarket::start(Market::Provincial, 50, 3).await;
    let app = app_with(&[(&fake, Market::Provincial)]).await;
    // Two pages succeed, then the market goes down for good.
    fake.faults(json!({ "down_after": 2 })).await;
    let failed = sync(&app, Market::Provincial).await;
    assert_eq!(failed.status, "FAILED");
    assert!(
        failed.error.as_deref().unwrap().contains("市场暂时不可用"),
        "{failed:?}"
    );
    assert_eq!(failed.created, 20, "the applied pages stay: {failed:?}");
    assert_eq!(listings(&app).await.len(), 20);

    // Still down: another failed run changes nothing local.
    let still = sync(&app, Market::Provincial).await;
    assert_eq!((still.status.as_str(), still.created), ("FAILED", 0));
    assert_eq!(listings(&app).await.len(), 20);

    // Back up: the run resumes after the last applied page.
    fake.faults(json!({})).await;
    let resumed = sync(&app, Market::Provincial).await;
    assert_eq!(resumed.status, "SUCCEEDED");
    assert_eq!((resumed.fetched, resumed.created), (30, 30), "{resumed:?}");
    assert_eq!(listings(&app).await.len(), 50);

    // A page of garbage fails the run without touching anything; the next run goes on.
    fake.put(json!([{ "id": "SD-ACH-900000", "type": "achievement", "status": "published",
        "updated_at": "2026-12-01T08:00:00+08:00", "title": "新增的海洋涂层成果",
        "summary": "一种新的船舶防腐涂层制备方法，耐盐雾 3000 小时。",
        "owner": { "name": "青岛海纳材料有限公司", "credit_code": credit_code_for("青岛海纳材料有限公司"), "region_code": "370211" },
        "industry_code": "C30", "discipline_code": "430", "maturity": "中试", "transfer_modes": ["许可"] }]))
        .await;
    fake.faults(json!({ "garbage_next": 1 })).await;
    let garbage = sync(&app, Market::Provincial).await;
    assert_eq!(garbage.status, "FAILED");
    assert!(garbage.error.unwrap().contains("无法解析"));
    assert_eq!(listings(&app).await.len(), 50);
    let after = sync(&app, Market::Provincial).await;
    assert_eq!((after.status.as_str(), after.created), ("SUCCEEDED", 1));
}

#[tokio::test]
async fn marine_sync_signs_pages_by_time_and_follows_off_shelf_and_deletions() {
    let fake = FakeMarket::start(Market::Marine, 30, 5).await;
    let app = app_with(&[(&fake, Market::Marine)]).await;
    let first = sync(&app, Market::Marine).await;
    assert_eq!(first.status, "SUCCEEDED", "{first:?}");

    assert_eq!((first.created, first.quarantined), (30, 0), "{first:?}");

    // The window is inclusive: the next pass re-reads the newest records and changes nothing.
    let again = sync(&app, Market::Marine).await;
    assert_eq!((again.created, again.updated), (0, 0), "{again:?}");
    assert!(again.unchanged >= 1, "{again:?}");

    fake.remove("HY-CG-000000", "offline").await;
    fake.remove("HY-CG-000001", "deleted").await;
    fake.put(json!([{ "cgId": "HY-CG-777777", "cgName": "海洋牧场智能投喂系统",
        "cgAbstract": "面向海洋牧场的智能投喂与水质联动控制系统。", "unitName": "青岛深蓝装备有限公司",
        "unitCreditCode": credit_code_for("青岛深蓝装备有限公司"), "areaCode": "370211",
        "hyFl": "海洋牧场", "xkCode": "240", "jsCsd": "6", "zrFs": "许可", "zt": "1" }]))
        .await;
    let changes = sync(&app, Market::Marine).await;
    assert_eq!(changes.withdrawn, 2, "{changes:?}");
    assert_eq!(
        changes.quarantined, 1,
        "an unmapped required industry is quarantined: {changes:?}"
    );
    assert_eq!(changes.unmapped, 1);
    let all = listings(&app).await;
    assert_eq!(status_of(&all, "HY-CG-000000"), "WITHDRAWN");
    assert_eq!(status_of(&all, "HY-CG-000001"), "WITHDRAWN");
    let operator = operator(&app).await;
    let q = app
        .gql_ok_as(
            &operator,
            "{ syncRuns(market: MARINE, first: 1) { nodes { quarantinedRecords { externalId error } } } }",
            json!({}),
        )
        .await;
    let record = &q["syncRuns"]["nodes"][0]["quarantinedRecords"][0];
    assert_eq!(record["externalId"], "HY-CG-777777");
    assert!(
        record["error"].as_str().unwrap().contains("行业"),
        "{record}"
    );
}

#[tokio::test]
async fn a_wrong_secret_fails_the_run_and_changes_nothing() {
    let fake = FakeMarket::start(Market::Marine, 5, 1).await;
    let mut settings = fake.settings();
    settings.app_secret = "not-the-secret".into();
    let app = spawn_app_with(Options {
        connectors: Some(ConnectorsSettings {
            marine: settings,
            ..Default::default()
        }),
        ..Default::default()
    })
    .await;
    let run = sync(&app, Market::Marine).await;
    assert_eq!(run.status, "FAILED");
    assert!(run.error.unwrap().contains("签名错误"));
    assert!(listings(&app).await.is_empty());
    // A market without settings cannot be synced.
    let err = app
        .services
        .sync
        .run(&Actor::System, Market::Provincial, Trigger::Command, |_| {})
        .await
        .unwrap_err();
    assert!(err.to_string().contains("未配置"), "{err}");
}

#[tokio::test]
async fn one_result_from_two_markets_or_entered_by_hand_stays_one_listing() {
    let provincial = FakeMarket::start(Market::Provincial, 0, 1).await;
    let marine = FakeMarket::start(Market::Marine, 0, 1).await;
    let app = app_with(&[(&provincial, Market::Provincial), (&marine, Market::Marine)]).await;
    let owner = json!({ "name": "青岛海洋生物医药研究院", "credit_code": "12370200MB1234567X", "region_code": "370212" });
    let credit = qianxian::domain::CreditCode::with_check_character("12370200MB1234567").unwrap();
    let mut owner = owner;
    owner["credit_code"] = json!(credit);
    provincial
        .put(json!([{ "id": "SD-ACH-500001", "type": "achievement", "status": "published",
            "updated_at": "2026-11-20T08:00:00+08:00", "title": "褐藻寡糖酶法制备技术",
            "summary": "以褐藻胶为原料，酶法制备高纯度褐藻寡糖，可用于植物免疫诱抗剂。", "owner": owner,
            "industry_code": "C27", "discipline_code": "35010", "maturity": "中试",
            "transfer_modes": ["转让"], "patents": ["ZL202310123456.6"] }]))
        .await;
    marine
        .put(json!([{ "cgId": "HY-CG-600001", "cgName": "褐藻寡糖 酶法制备技术",
            "cgAbstract": "以褐藻胶为原料，用酶法制备褐藻寡糖。", "unitName": "青岛海洋生物医药研究院",
            "unitCreditCode": credit, "areaCode": "370212",
            "hyFl": "海洋生物医药", "xkCode": "35010", "jsCsd": "6", "zrFs": "转让", "zt": "1", "gxsj": "2026-11-21 08:00:00" }]))
        .await;
    assert_eq!(sync(&app, Market::Provincial).await.created, 1);
    let merged = sync(&app, Market::Marine).await;
    assert_eq!((merged.created, merged.merged), (0, 1), "{merged:?}");
    let operator = operator(&app).await;
    let data = app
        .gql_ok_as(&operator, "{ achievements { totalCount nodes { title source sources { source externalId primary } } } }", json!({}))
        .await;
    assert_eq!(data["achievements"]["totalCount"], 1);
    let node = &data["achievements"]["nodes"][0];
    assert_eq!(node["source"], "PROVINCIAL");
    assert_eq!(
        node["sources"],
        json!([
            { "source": "PROVINCIAL", "externalId": "SD-ACH-500001", "primary": true },
            { "source": "MARINE", "externalId": "HY-CG-600001", "primary": false }
        ])
    );

    // A wrong merge is undone by an operator: the marine record becomes its own listing.
    let split = "mutation($id: String!) { splitListingSource(input: { market: MARINE, externalId: $id }) { listingId userErrors { code message } } }";
    let firm = app.enterprise("青岛拆分旁观企业").await;
    let denied = app
        .gql_as(&firm.token, split, json!({ "id": "HY-CG-600001" }))
        .await;
    assert_eq!(denied["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let done = app
        .gql_ok_as(&operator, split, json!({ "id": "HY-CG-600001" }))
        .await;
    let new_id = done["splitListingSource"]["listingId"]
        .as_str()
        .unwrap_or_else(|| panic!("{done}"))
        .to_owned();
    let again = app
        .gql_ok_as(&operator, split, json!({ "id": "HY-CG-600001" }))
        .await;
    assert_eq!(
        again["splitListingSource"]["userErrors"][0]["code"],
        "INVALID_STATE_TRANSITION"
    );
    let node = app
        .gql_ok_as(
            &operator,
            "query($id: ID!) { node(id: $id) { ... on Achievement { title status sources { source externalId primary } } } }",
            json!({ "id": new_id }),
        )
        .await;
    assert_eq!(node["node"]["status"], "PUBLISHED");
    assert_eq!(
        node["node"]["sources"],
        json!([{ "source": "MARINE", "externalId": "HY-CG-600001", "primary": true }])
    );
    let data = app
        .gql_ok_as(&operator, "{ achievements { totalCount } }", json!({}))
        .await;
    assert_eq!(data["achievements"]["totalCount"], 2);

    // A university's hand-entered result that a market also lists is recognised by its patent.
    let university = app.university("青岛合并测试大学").await;
    app.published_achievement(
        &university,
        with(
            achievement_fields(),
            json!({ "title": "高离子电导率硫化物电解质" }),
        ),
    )
    .await;
    let code = qianxian::domain::CreditCode::parse(&credit_code_for("青岛合并测试大学"), "c")
        .unwrap()
        .as_str()
        .to_owned();
    provincial
        .put(json!([{ "id": "SD-ACH-500002", "type": "achievement", "status": "published",
            "updated_at": "2026-11-22T08:00:00+08:00", "title": "一种硫化物固态电解质的液相合成方法",
            "summary": "液相法合成硫化物固态电解质，离子电导率高。",
            "owner": { "name": "青岛合并测试大学", "credit_code": code, "region_code": "370212" },
            "industry_code": "C3841", "discipline_code": "43070", "maturity": "小试",
            "transfer_modes": ["许可"], "patents": ["ZL202310123456.6"] }]))
        .await;
    let run = sync(&app, Market::Provincial).await;
    assert_eq!((run.created, run.merged), (0, 1), "{run:?}");
    let data: Value = app
        .gql_ok_as(&operator, "{ achievements { totalCount } }", json!({}))
        .await;
    assert_eq!(data["achievements"]["totalCount"], 3);
}

/// The provincial fake market, an app connected to it, and a verified university `name` with
/// one published result (its id last).
async fn university_with_a_result(name: &str) -> (FakeMarket, TestApp, Org, String) {
    let fake = FakeMarket::start(Market::Provincial, 0, 1).await;
    let app = app_with(&[(&fake, Market::Provincial)]).await;
    let university = app.create_org("UNIVERSITY", name, "370212", true).await;
    let achievement = app
        .published_achievement(&university, achievement_fields())
        .await;
    (fake, app, university, achievement)
}

#[tokio::test]
async fn opted_in_listings_are_published_updated_withdrawn_and_failed_pushes_retried() {
    let (fake, app, university, achievement) = university_with_a_result("青岛推送测试大学").await;
    // Not opted in: nothing leaves.
    app.services.sync.push_pending().await.unwrap();
    assert_eq!(fake.stats().await["pushes"], 0);

    // Only the organisation's admins decide.
    let set = "mutation($o: ID!, $e: Boolean!) { setMarketPublishing(input: { organizationId: $o, market: PROVINCIAL, enabled: $e }) { markets userErrors { code } } }";
    let outsider = app.user_token("推送旁观者").await;
    let denied = app
        .gql_as(&outsider, set, json!({ "o": university, "e": true }))
        .await;
    assert_eq!(denied["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let on = app
        .gql_ok_as(
            &university.token,
            set,
            json!({ "o": university, "e": true }),
        )
        .await;
    assert_eq!(on["setMarketPublishing"]["markets"], json!(["PROVINCIAL"]));

    // The market is down at first: the push fails, is visible, and is retried later.
    fake.faults(json!({ "down": true })).await;
    app.services.sync.push_pending().await.unwrap();
    let operator = operator(&app).await;
    let pushes =
        "{ marketPushes { nodes { listingId state wanted remoteId attempts lastError } } }";
    let failed =
        app.gql_ok_as(&operator, pushes, json!({})).await["marketPushes"]["nodes"][0].clone();
    assert_eq!(failed["state"], "FAILED", "{failed}");
    assert_eq!(failed["listingId"], achievement.as_str());
    assert!(
        failed["lastError"]
            .as_str()
            .unwrap()
            .contains("市场暂时不可用")
    );
    fake.faults(json!({})).await;
    app.services.sync.push_pending().await.unwrap();
    assert_eq!(
        fake.stats().await["pushes"],
        0,
        "not retried before its time"
    );
    app.clock.advance(chrono::Duration::minutes(2));
    app.services.sync.push_pending().await.unwrap();
    let done =
        app.gql_ok_as(&operator, pushes, json!({})).await["marketPushes"]["nodes"][0].clone();
    assert_eq!(done["state"], "DONE", "{done}");
    let remote = done["remoteId"].as_str().unwrap().to_owned();
    assert_eq!(
        fake.record(&remote).await["title"],
        "硫化物固态电解质规模化制备技术"
    );

    // An update goes to the same remote listing; a withdrawal takes it down there.
    app.gql_ok_as(
        &university.token,
        "mutation($id: ID!) { updateAchievement(input: { id: $id, patch: { title: \"硫化物固态电解质规模化制备技术（二期）\" } }) { userErrors { code } } }",
        json!({ "id": achievement }),
    )
    .await;
    app.services.sync.push_pending().await.unwrap();
    let updated = fake.record(&remote).await;
    assert_eq!(updated["title"], "硫化物固态电解质规模化制备技术（二期）");
    app.lifecycle("withdrawAchievement", &achievement).await;
    app.services.sync.push_pending().await.unwrap();
    assert_eq!(fake.record(&remote).await["status"], "offline");
    let stats = fake.stats().await;
    assert_eq!(
        (stats["pushes"].as_u64(), stats["withdrawals"].as_u64()),
        (Some(2), Some(1))
    );

    // Records that came from the market are never echoed back to it.
    fake.put(json!([{ "id": "SD-ACH-000900", "type": "achievement", "status": "published",
        "updated_at": "2026-12-01T08:00:00+08:00", "title": "海水淡化能量回收装置",
        "summary": "一种用于反渗透海水淡化的高效能量回收装置。",
        "owner": { "name": "青岛推送测试大学", "credit_code": credit_code_for("青岛推送测试大学"), "region_code": "370212" },
        "industry_code": "D46", "discipline_code": "430", "maturity": "中试", "transfer_modes": ["许可"] }]))
        .await;
    assert_eq!(sync(&app, Market::Provincial).await.created, 1);
    app.services.sync.push_pending().await.unwrap();
    assert_eq!(fake.stats().await["pushes"], 2);
}

#[tokio::test]
async fn a_need_made_confidential_after_its_push_was_planned_never_leaves() {
    let fake = FakeMarket::start(Market::Provincial, 0, 5).await;
    let app = app_with(&[(&fake, Market::Provincial)]).await;
    let firm = app.enterprise("青岛推送保密企业有限公司").await;
    let need = app
        .published_need(
            &firm,
            with(need_fields(), json!({ "title": "快充电池热管理改造" })),
        )
        .await;
    let set = "mutation($o: ID!) { setMarketPublishing(input: { organizationId: $o, market: PROVINCIAL, enabled: true }) { userErrors { code } } }";
    let on = app.gql_ok_as(&firm.token, set, json!({ "o": firm })).await;
    assert_eq!(on["setMarketPublishing"]["userErrors"], json!([]));
    // The first attempt fails, so the planned push waits for its retry…
    fake.faults(json!({ "down": true })).await;
    app.services.sync.push_pending().await.unwrap();
    fake.faults(json!({})).await;
    // …and the firm makes the need confidential in that window, before any pass has planned
    // the change (as when a pass is sending while the firm saves).
    use sea_orm::ConnectionTrait;
    app.services
        .context()
        .db
        .conn
        .execute_unprepared(&format!(
            "UPDATE needs SET visibility = 'CONFIDENTIAL' WHERE id = {}",
            id_of(&need)
        ))
        .await
        .unwrap();
    app.clock.advance(chrono::Duration::minutes(2));
    app.services.sync.push_pending().await.unwrap();
    assert_eq!(
        fake.stats().await["pushes"],
        0,
        "neither the need's text nor the firm's name reached the market"
    );
    let operator = operator(&app).await;
    let push = app
        .gql_ok_as(
            &operator,
            "{ marketPushes { nodes { wanted } } }",
            json!({}),
        )
        .await["marketPushes"]["nodes"][0]
        .clone();
    assert_eq!(
        push["wanted"], "WITHDRAWN",
        "the push says what the market should show"
    );
}

#[tokio::test]
async fn two_push_passes_at_once_send_a_listing_once() {
    let (fake, app, university, _) = university_with_a_result("青岛并发推送大学").await;
    app.gql_ok_as(
        &university.token,
        "mutation($o: ID!) { setMarketPublishing(input: { organizationId: $o, market: PROVINCIAL, enabled: true }) { markets } }",
        json!({ "o": university }),
    )
    .await;
    let sync = &app.services.sync;
    let (a, b) = tokio::join!(sync.push_pending(), sync.push_pending());
    assert_eq!(
        a.unwrap() + b.unwrap(),
        1,
        "one pass sends it, the other finds nothing due"
    );
    assert_eq!(fake.stats().await["pushes"], 1);
}

#[tokio::test]
async fn a_run_cut_short_by_a_crash_is_closed_and_the_next_one_resumes_from_the_cursor() {
    let fake = FakeMarket::start(Market::Provincial, 25, 9).await;
    let app = app_with(&[(&fake, Market::Provincial)]).await;
    // The process dies after two pages: the run row stays RUNNING, the cursor is at page two.
    fake.faults(json!({ "down_after": 2 })).await;
    sync(&app, Market::Provincial).await;
    let db = &app.services.context().db.conn;
    let crashed = qianxian::db::sync::start_run(db, "provincial", "SCHEDULE", chrono::Utc::now())
        .await
        .unwrap();
    fake.faults(json!({})).await;
    let restart = app.restart().await;
    let resumed = sync(&restart, Market::Provincial).await;
    assert_eq!(
        (resumed.status.as_str(), resumed.created),
        ("SUCCEEDED", 5),
        "{resumed:?}"
    );
    let db = &restart.services.context().db.conn;
    let old = qianxian::db::sync::run(db, crashed.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old.status, "FAILED");
    assert!(old.error.unwrap().contains("进程在同步过程中停止"));
    assert_eq!(listings(&restart).await.len(), 25);
}

#[tokio::test]
async fn a_pushed_listing_is_keyed_by_its_global_id_not_its_row_number() {
    // Rows are numbered with confidential needs and drafts among them; a partner market may
    // show the key it was given, so the key must not be the row number.
    let fake = FakeMarket::start(Market::Marine, 0, 1).await;
    let app = app_with(&[(&fake, Market::Marine)]).await;
    let university = app.university("青岛推送编号大学").await;
    let achievement = app
        .published_achievement(&university, achievement_fields())
        .await;
    let set = "mutation($o: ID!) { setMarketPublishing(input: { organizationId: $o, market: MARINE, enabled: true }) { userErrors { code } } }";
    let on = app
        .gql_ok_as(&university.token, set, json!({ "o": university }))
        .await;
    assert_eq!(on["setMarketPublishing"]["userErrors"], json!([]));
    app.services.sync.push_pending().await.unwrap();
    let operator = operator(&app).await;
    let pushed = app
        .gql_ok_as(
            &operator,
            "{ marketPushes { nodes { listingId state remoteId } } }",
            json!({}),
        )
        .await["marketPushes"]["nodes"][0]
        .clone();
    assert_eq!(pushed["state"], "DONE", "{pushed}");
    assert_eq!(pushed["listingId"], json!(achievement));
    let record = fake.record(pushed["remoteId"].as_str().unwrap()).await;
    assert_eq!(
        record["outerId"],
        json!(format!("qianxian:{achievement}")),
        "{record}"
    );

    // The key is kept with the push and reused: a listing pushed under an older kind of key
    // (the migration keeps `qianxian:<kind>:<row id>` for those) stays under it, so a market
    // that matches by key never gets a second copy.
    use sea_orm::ConnectionTrait;
    app.services
        .context()
        .db
        .conn
        .execute_unprepared("UPDATE market_pushes SET local_key = 'qianxian:achievement:legacy'")
        .await
        .unwrap();
    let update = "mutation($id: ID!) { updateAchievement(input: { id: $id, patch: { title: \"高离子电导率硫化物电解质（二期）\" } }) { userErrors { code } } }";
    app.gql_ok_as(&university.token, update, json!({ "id": achievement }))
        .await;
    app.services.sync.push_pending().await.unwrap();
    let again = app
        .gql_ok_as(
            &operator,
            "{ marketPushes { nodes { state remoteId } } }",
            json!({}),
        )
        .await["marketPushes"]["nodes"][0]
        .clone();
    assert_eq!(again["state"], "DONE", "{again}");
    let record = fake.record(again["remoteId"].as_str().unwrap()).await;
    assert_eq!(record["outerId"], "qianxian:achievement:legacy", "{record}");
    assert_eq!(
        record["cgName"], "高离子电导率硫化物电解质（二期）",
        "{record}"
    );
}
