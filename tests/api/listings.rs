//! Listing lifecycle over GraphQL: create, update, publish, renew, withdraw, close, expiry.

use crate::common::*;
use chrono::Duration;
use qianxian::graphql::ids::NodeType;
use serde_json::json;

const NODE_ACHIEVEMENT: &str = "query($id: ID!) { node(id: $id) { ... on Achievement { id title status expiresAt confidentialDetail keywords trl { level } price { display negotiable } ipRecords { number status } } } }";

#[tokio::test]
async fn achievement_goes_through_its_whole_lifecycle() {
    let app = spawn_app().await;
    let owner = app.university("青岛测试大学").await;

    let id = app.create_achievement(&owner, achievement_fields()).await;
    let listed = app
        .gql_ok("{ achievements { totalCount } }", json!({}))
        .await;
    assert_eq!(
        listed["achievements"]["totalCount"], 0,
        "drafts stay out of default lists"
    );

    let published = app.lifecycle("publishAchievement", &id).await;
    assert_eq!(published["achievement"]["status"], "PUBLISHED");
    let expires = published["achievement"]["expiresAt"]
        .as_str()
        .expect("expiry set")
        .to_owned();
    assert!(
        expires.starts_with("2027-05-30"),
        "180 days after 2026-12-01: {expires}"
    );

    let node = app.gql_ok(NODE_ACHIEVEMENT, json!({ "id": id })).await;
    assert_eq!(node["node"]["title"], "硫化物固态电解质规模化制备技术");
    assert_eq!(node["node"]["ipRecords"][0]["number"], "ZL202310123456.6");
    assert_eq!(
        node["node"]["confidentialDetail"],
        json!(null),
        "anonymous never sees it"
    );

    let update = app
        .gql_ok_as(
            &owner.token,
            "mutation($input: UpdateAchievementInput!) { updateAchievement(input: $input) { achievement { title trl { level } price { negotiable display } keywords status } userErrors { code } } }",
            json!({ "input": { "id": id, "patch": { "title": "硫化物固态电解质公斤级制备技术", "trl": 6, "price": {} } } }),
        )
        .await;
    let updated = &update["updateAchievement"]["achievement"];
    assert_eq!(updated["title"], "硫化物固态电解质公斤级制备技术");
    assert_eq!(updated["trl"]["level"], 6);
    assert_eq!(updated["price"]["display"], "面议");
    assert_eq!(
        updated["keywords"],
        json!(["固态电池", "硫化物电解质"]),
        "untouched fields stay"
    );
    assert_eq!(updated["status"], "PUBLISHED");

    let withdrawn = app.lifecycle("withdrawAchievement", &id).await;
    assert_eq!(withdrawn["achievement"]["status"], "WITHDRAWN");
    let again = app.lifecycle("withdrawAchievement", &id).await;
    assert_eq!(again["achievement"], json!(null));
    assert_eq!(again["userErrors"][0]["code"], "INVALID_STATE_TRANSITION");

    let republished = app.lifecycle("publishAchievement", &id).await;
    assert_eq!(republished["achievement"]["status"], "PUBLISHED");
    let closed = app.lifecycle("closeAchievement", &id).await;
    assert_eq!(closed["achievement"]["status"], "TRANSFERRED");
    let renew = app.lifecycle("renewAchievement", &id).await;
    assert_eq!(renew["userErrors"][0]["code"], "INVALID_STATE_TRANSITION");
    assert!(
        renew["userErrors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("已转化")
    );
}

#[tokio::test]
async fn unverified_organisations_can_draft_but_not_publish() {
    let app = spawn_app().await;
    let owner = app
        .create_org("ENTERPRISE", "青岛未认证科技有限公司", "370203", false)
        .await;
    let id = app.create_need(&owner, need_fields()).await;
    let payload = app.lifecycle("publishNeed", &id).await;
    assert_eq!(payload["need"], json!(null));
    assert_eq!(payload["userErrors"][0]["code"], "INVALID_STATE_TRANSITION");
    assert!(
        payload["userErrors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("尚未通过平台认证")
    );
}

#[tokio::test]
async fn listings_expire_unless_renewed() {
    let app = spawn_app().await;
    let owner = app.university("青岛过期大学").await;
    let ach = app
        .published_achievement(&owner, achievement_fields())
        .await;
    let firm = app.enterprise("青岛过期企业有限公司").await;
    let need = app.published_need(&firm, need_fields()).await;
    let counts = "{ achievements { totalCount } needs { totalCount } expired: achievements(filter: { statuses: [EXPIRED] }) { totalCount nodes { status } } }";

    let before = app.gql_ok(counts, json!({})).await;
    assert_eq!(before["achievements"]["totalCount"], 1);
    assert_eq!(before["needs"]["totalCount"], 1);

    app.clock.advance(Duration::days(181));
    let after = app.gql_ok(counts, json!({})).await;
    assert_eq!(
        after["achievements"]["totalCount"], 0,
        "expired listings leave default queries"
    );
    assert_eq!(after["needs"]["totalCount"], 0);
    assert_eq!(after["expired"]["totalCount"], 1);
    assert_eq!(
        after["expired"]["nodes"][0]["status"], "EXPIRED",
        "reported before any sweep"
    );

    // The sweeper stores the expiry; the result is the same, and sweeping again changes nothing.
    assert_eq!(app.services.expiry.expire_due().await.expect("sweep"), 2);
    assert_eq!(app.services.expiry.expire_due().await.expect("sweep"), 0);
    assert_eq!(app.gql_ok(counts, json!({})).await, after);

    let renewed = app.lifecycle("renewAchievement", &ach).await;
    assert_eq!(renewed["achievement"]["status"], "PUBLISHED");
    let renewed_need = app.lifecycle("renewNeed", &need).await;
    assert_eq!(renewed_need["need"]["status"], "OPEN");
    let back = app.gql_ok(counts, json!({})).await;
    assert_eq!(back["achievements"]["totalCount"], 1);
    assert_eq!(back["needs"]["totalCount"], 1);
}

#[tokio::test]
async fn need_lifecycle_and_visibility_rules() {
    let app = spawn_app().await;
    let firm = app.enterprise("青岛可见性测试有限公司").await;
    let public = app.published_need(&firm, need_fields()).await;
    let anonymous = app
        .published_need(
            &firm,
            with(
                need_fields(),
                json!({ "title": "匿名需求：高盐废水零排放", "visibility": "ANONYMOUS" }),
            ),
        )
        .await;
    let confidential = app
        .published_need(
            &firm,
            with(
                need_fields(),
                json!({ "title": "保密需求：新型电解液", "visibility": "CONFIDENTIAL" }),
            ),
        )
        .await;

    let list = app
        .gql_ok("{ needs(sort: TITLE_ASC) { totalCount nodes { id title visibility owner { name } confidentialDetail } } }", json!({}))
        .await;
    assert_eq!(
        list["needs"]["totalCount"], 2,
        "confidential needs are not counted"
    );
    let nodes = list["needs"]["nodes"].as_array().unwrap();
    assert!(nodes.iter().all(|n| n["id"] != confidential.as_str()));
    let anon = nodes
        .iter()
        .find(|n| n["id"] == anonymous.as_str())
        .expect("anonymous need listed");
    assert_eq!(
        anon["owner"],
        json!(null),
        "anonymous needs hide their organisation"
    );
    let open = nodes
        .iter()
        .find(|n| n["id"] == public.as_str())
        .expect("public need listed");
    assert_eq!(open["owner"]["name"], "青岛可见性测试有限公司");
    assert!(nodes.iter().all(|n| n["confidentialDetail"].is_null()));

    let node = app
        .gql_ok(
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": confidential }),
        )
        .await;
    assert_eq!(
        node["node"],
        json!(null),
        "confidential needs are not found by id"
    );
    let org = app
        .gql_ok(
            "query($id: ID!) { node(id: $id) { ... on Organization { needs { totalCount nodes { title } } } } }",
            json!({ "id": firm }),
        )
        .await;
    assert_eq!(
        org["node"]["needs"]["nodes"].as_array().unwrap().len(),
        1,
        "only the public need is attributed"
    );

    let body = serde_json::to_string(&list).unwrap();
    assert!(!body.contains("MARKER-NEED-SECRET"));

    let negotiating_close = app.lifecycle("closeNeed", &public).await;
    assert_eq!(negotiating_close["need"]["status"], "CLOSED");
    let withdraw_closed = app.lifecycle("withdrawNeed", &public).await;
    assert_eq!(
        withdraw_closed["userErrors"][0]["code"],
        "INVALID_STATE_TRANSITION"
    );
}

#[tokio::test]
async fn mutations_on_missing_or_mistyped_ids_change_nothing() {
    let app = spawn_app().await;
    let owner = app.university("青岛缺失大学").await;
    let payload = app
        .lifecycle_as(&owner.token, "publishAchievement", &owner.id)
        .await;
    assert_eq!(
        payload["userErrors"][0]["code"], "INVALID_ID",
        "an organisation id is not an achievement id"
    );
    let missing = global_id(NodeType::Achievement, 999);
    let payload = app
        .lifecycle_as(&owner.token, "publishAchievement", &missing)
        .await;
    assert_eq!(payload["userErrors"][0]["code"], "NOT_FOUND");
    let body = app
        .gql_as(&owner.token, CREATE_ACHIEVEMENT, json!({ "input": { "ownerId": global_id(NodeType::Organization, 999), "achievement": achievement_fields() } }))
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "creating for an organisation one does not belong to is refused, existing or not"
    );
    let all = app
        .gql_ok(
            "{ achievements(filter: { statuses: [DRAFT, PUBLISHED] }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(all["achievements"]["totalCount"], 0);
}

#[tokio::test]
async fn verifying_an_organisation_is_reserved_to_operators() {
    let app = spawn_app().await;
    let owner = app
        .create_org("ENTERPRISE", "青岛验证测试有限公司", "370203", false)
        .await;
    let verify = "mutation($id: ID!) { verifyOrganization(input: { id: $id }) { organization { verified } } }";
    let body = app.gql(verify, json!({ "id": owner })).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    let body = app
        .gql_as(&owner.token, verify, json!({ "id": owner }))
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "its own admin may not verify it"
    );
    let org = app
        .gql_ok(
            "query($id: ID!) { node(id: $id) { ... on Organization { verified contactPhone } } }",
            json!({ "id": owner }),
        )
        .await;
    assert_eq!(org["node"]["verified"], false);
    assert_eq!(
        org["node"]["contactPhone"],
        json!(null),
        "contacts are not public"
    );
}

#[tokio::test]
async fn concurrent_writes_all_succeed() {
    // Each create reads (the owner, its verification) before it writes; on SQLite a deferred
    // transaction that must upgrade to a write fails at once when another writer went first.
    let app = std::sync::Arc::new(spawn_app().await);
    let org = app.university("青岛并发大学").await;
    let writes = (0..40).map(|i| {
        let (app, org) = (app.clone(), org.clone());
        tokio::spawn(async move {
            let vars = serde_json::json!({ "input": { "ownerId": org.id, "achievement": with(achievement_fields(), serde_json::json!({ "title": format!("并发写入成果第{i}号") })) } });
            app.gql_as(&org.token, CREATE_ACHIEVEMENT, vars).await
        })
    });
    let results = futures::future::join_all(writes).await;
    for r in results {
        let body = r.unwrap();
        assert!(body.get("errors").is_none(), "{body}");
        assert_eq!(
            body["data"]["createAchievement"]["userErrors"],
            serde_json::json!([])
        );
    }
    let count = app
        .gql_ok_as(
            &org.token,
            "{ achievements(filter: { statuses: [DRAFT] }) { totalCount } }",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(count["achievements"]["totalCount"], 40);
}
