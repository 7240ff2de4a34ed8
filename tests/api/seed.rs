//! Demo data: loaded on first start through the service layer, large enough to try every
//! feature, and idempotent.

use crate::common::*;
use qianxian::seed;
use serde_json::json;

#[tokio::test]
async fn demo_data_loads_on_first_start_and_reseeding_changes_nothing() {
    let app = spawn_app_with(Options {
        demo_data: true,
        ..Default::default()
    })
    .await;
    let counts = "{ universities: organizations(filter: { kinds: [UNIVERSITY, RESEARCH_INSTITUTE] }) { totalCount } firms: organizations(filter: { kinds: [ENTERPRISE] }) { totalCount } achievements { totalCount } needs { totalCount } priorityTracks { code } }";
    let first = app.gql_ok(counts, json!({})).await;
    assert!(first["universities"]["totalCount"].as_u64().unwrap() >= 8);
    assert!(first["firms"]["totalCount"].as_u64().unwrap() >= 15);
    assert!(first["achievements"]["totalCount"].as_u64().unwrap() >= 60);
    assert!(
        first["needs"]["totalCount"].as_u64().unwrap() >= 30,
        "public and anonymous needs of verified firms"
    );
    assert!(first["priorityTracks"].as_array().unwrap().len() >= 11);

    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let report = seed::load_dir(&app.services, &dir).await.expect("reseed");
    assert_eq!(report.organizations.0, 0, "{report}");
    assert_eq!(report.achievements.0, 0, "{report}");
    assert_eq!(report.needs.0, 0, "{report}");
    assert_eq!(report.pairings, 0, "demo pairings load once: {report}");
    assert!(
        report.needs.1 >= 40,
        "every seeded need is recognised: {report}"
    );
    assert_eq!(app.gql_ok(counts, json!({})).await, first);

    let all_needs = app
        .services
        .needs
        .list(&TestApp::system(), &Default::default(), Default::default())
        .await
        .expect("list");
    assert!(
        all_needs.total >= 40,
        "with confidential ones the system sees at least 40 needs"
    );

    for track in first["priorityTracks"].as_array().unwrap() {
        let n = app
            .gql_ok(
                "query($t: [String!]) { achievements(filter: { tracks: $t }) { totalCount } }",
                json!({ "t": [track["code"]] }),
            )
            .await;
        assert!(
            n["achievements"]["totalCount"].as_u64().unwrap() >= 3,
            "track {track} has results"
        );
    }

    // The demo pairings went through the real workflow as the demo accounts.
    let broker = app.login("broker@example.com", "Qianxian-demo-2026").await;
    let pairings = app
        .gql_ok_as(
            &broker,
            "{ pairings(filter: { statuses: [REQUESTED, ACCEPTED, INTRODUCED, NEGOTIATING, SIGNED, DECLINED, WITHDRAWN, EXPIRED] }) { totalCount edges { node { status timeline { kind } } } } }",
            json!({}),
        )
        .await;
    let mut statuses: Vec<&str> = pairings["pairings"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["status"].as_str().unwrap())
        .collect();
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        ["DECLINED", "NEGOTIATING", "REQUESTED", "SIGNED"],
        "{pairings}"
    );
    let firm = app
        .login("lanhai.admin@example.com", "Qianxian-demo-2026")
        .await;
    let inbox = app
        .gql_ok_as(&firm, "{ notifications { unreadCount } }", json!({}))
        .await;
    assert!(
        inbox["notifications"]["unreadCount"].as_i64().unwrap() >= 5,
        "{inbox}"
    );
}
