//! Work as an attacker times it: reading a listing one may not fully read must cost the same
//! whether or not it holds what is hidden (a confidential detail), so the time a page takes
//! tells nothing of it.

use crate::common::*;
use serde_json::json;

const PAGE: &str = "query($o: ID!) { achievements(first: 50, filter: { ownerId: $o }) { nodes { id title confidentialDetail } } }";

/// The fewest statements the page of `owner`'s results costs `token` (the app's background
/// loops may add one now and then, so the smallest of three runs is the query's).
async fn statements_for_page(app: &TestApp, token: &str, owner: &Org) -> u64 {
    let mut used = u64::MAX;
    for _ in 0..3 {
        let before = app.statements().await;
        let page = app.gql_ok_as(token, PAGE, json!({ "o": owner.id })).await;
        let nodes = page["achievements"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), 1, "{page}");
        assert!(nodes[0]["confidentialDetail"].is_null(), "{page}");
        used = used.min(app.statements().await - before);
    }
    used
}

#[tokio::test]
async fn a_page_costs_the_same_whether_its_listings_hold_a_confidential_detail_or_not() {
    let app = spawn_app().await;
    let with_secret = app.university("青岛计时甲大学").await;
    let without = app.university("青岛计时乙大学").await;
    app.published_achievement(&with_secret, achievement_fields())
        .await;
    app.published_achievement(
        &without,
        with(achievement_fields(), json!({ "confidentialDetail": null })),
    )
    .await;
    let firm = app.enterprise("青岛计时探针有限公司").await;
    let member = app.member_token(&firm, "计时探针成员").await;
    assert_eq!(
        statements_for_page(&app, &member, &with_secret).await,
        statements_for_page(&app, &member, &without).await,
        "a member of another organisation"
    );
}
