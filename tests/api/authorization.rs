//! The authorisation matrix (every role × every mutation and sensitive field, both ways) and
//! leak tests: confidential markers never reach anyone not entitled to them.

use crate::common::*;
use qianxian::service::Actor;
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Anonymous,
    Visitor,
    OwnerAdmin,
    OwnerMember,
    OtherAdmin,
    Broker,
    Operator,
}

use Role::*;
const ROLES: [Role; 7] = [
    Anonymous,
    Visitor,
    OwnerAdmin,
    OwnerMember,
    OtherAdmin,
    Broker,
    Operator,
];

struct World {
    app: TestApp,
    owner: Org,
    other: Org,
    tokens: Vec<(Role, Option<String>)>,
}

impl World {
    fn token(&self, role: Role) -> Option<&str> {
        self.tokens
            .iter()
            .find(|(r, _)| *r == role)
            .and_then(|(_, t)| t.as_deref())
    }

    async fn call(&self, role: Role, query: &str, vars: Value) -> Value {
        match self.token(role) {
            Some(t) => self.app.gql_as(t, query, vars).await,
            None => self.app.gql(query, vars).await,
        }
    }

    /// `OK`, or the error code of the top-level error or first user error.
    async fn outcome(&self, role: Role, field: &str, query: &str, vars: Value) -> String {
        let body = self.call(role, query, vars).await;
        if let Some(code) = body["errors"][0]["extensions"]["code"].as_str() {
            return code.to_owned();
        }
        match body["data"][field]["userErrors"][0]["code"].as_str() {
            Some(code) => code.to_owned(),
            None => "OK".to_owned(),
        }
    }
}

async fn promote(app: &TestApp, token: &str, operator: bool, broker: bool) {
    let me = app.gql_ok_as(token, "{ me { email } }", json!({})).await;
    let user = app
        .services
        .accounts
        .find_by_login(&Actor::System, me["me"]["email"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    app.services
        .members
        .set_roles(&Actor::System, user.id, operator, broker)
        .await
        .unwrap();
}

async fn world() -> World {
    let app = spawn_app().await;
    let owner = app.university("青岛权限大学").await;
    let other = app.enterprise("青岛其他企业有限公司").await;
    let member = app.user_token("权限大学成员").await;
    let asked = app
        .gql_ok_as(&member, "mutation($o: ID!) { requestMembership(input: { organizationId: $o }) { request { id } } }", json!({ "o": owner }))
        .await;
    app.gql_ok_as(
        &owner.token,
        "mutation($r: ID!) { approveMembership(input: { requestId: $r }) { request { status } } }",
        json!({ "r": asked["requestMembership"]["request"]["id"] }),
    )
    .await;
    let visitor = app.user_token("普通访客").await;
    let broker = app.user_token("技术经纪人").await;
    promote(&app, &broker, false, true).await;
    let operator = app.user_token("运营人员").await;
    promote(&app, &operator, true, false).await;
    let tokens = vec![
        (Anonymous, None),
        (Visitor, Some(visitor)),
        (OwnerAdmin, Some(owner.token.clone())),
        (OwnerMember, Some(member)),
        (OtherAdmin, Some(other.token.clone())),
        (Broker, Some(broker)),
        (Operator, Some(operator)),
    ];
    World {
        app,
        owner,
        other,
        tokens,
    }
}

fn expect(
    role: Role,
    members: &str,
    anonymous: &str,
    others: &[(Role, &str)],
    default: &str,
) -> String {
    match role {
        OwnerAdmin | OwnerMember => members.to_owned(),
        Anonymous => anonymous.to_owned(),
        r => others
            .iter()
            .find(|(o, _)| *o == r)
            .map_or(default, |(_, c)| c)
            .to_owned(),
    }
}

const LIFECYCLE: &str = "mutation($id: ID!) { MUT(input: { id: $id }) { userErrors { code } } }";

#[tokio::test]
async fn listing_mutations_answer_to_membership() {
    let w = world().await;
    let app = &w.app;
    for role in ROLES {
        // createAchievement for the owner organisation
        let vars = json!({ "input": { "ownerId": w.owner, "achievement": achievement_fields() } });
        let got = w
            .outcome(role, "createAchievement", CREATE_ACHIEVEMENT, vars)
            .await;
        assert_eq!(
            got,
            expect(role, "OK", "UNAUTHENTICATED", &[], "FORBIDDEN"),
            "createAchievement as {role:?}"
        );

        let vars = json!({ "input": { "ownerId": w.owner, "need": need_fields() } });
        let got = w.outcome(role, "createNeed", CREATE_NEED, vars).await;
        assert_eq!(
            got,
            expect(role, "OK", "UNAUTHENTICATED", &[], "FORBIDDEN"),
            "createNeed as {role:?}"
        );

        // lifecycle mutations on published listings, and publishing drafts
        for mutation in [
            "publishAchievement",
            "renewAchievement",
            "withdrawAchievement",
            "closeAchievement",
            "publishNeed",
            "renewNeed",
            "withdrawNeed",
            "closeNeed",
        ] {
            lifecycle_row(&w, role, mutation).await;
        }

        // updating a confidential need: hidden from those who may not know it exists
        let need = app
            .published_need(
                &w.owner,
                with(need_fields(), json!({ "visibility": "CONFIDENTIAL" })),
            )
            .await;
        let update = "mutation($id: ID!) { updateNeed(input: { id: $id, patch: { title: \"改过的标题文字\" } }) { userErrors { code } } }";
        let got = w
            .outcome(role, "updateNeed", update, json!({ "id": need }))
            .await;
        let hidden = [(Visitor, "NOT_FOUND"), (OtherAdmin, "NOT_FOUND")];
        assert_eq!(
            got,
            expect(role, "OK", "UNAUTHENTICATED", &hidden, "FORBIDDEN"),
            "updateNeed(confidential) as {role:?}"
        );

        // moderation of a published result and a published need
        for mutation in ["moderateAchievement", "moderateNeed"] {
            let id = if mutation == "moderateNeed" {
                app.published_need(&w.owner, need_fields()).await
            } else {
                app.published_achievement(&w.owner, achievement_fields())
                    .await
            };
            let q = format!(
                "mutation($id: ID!) {{ {mutation}(input: {{ id: $id, reason: \"信息不实，请核对后重新发布\" }}) {{ userErrors {{ code }} }} }}"
            );
            let got = w.outcome(role, mutation, &q, json!({ "id": id })).await;
            let want = match role {
                Anonymous => "UNAUTHENTICATED",
                Operator => "OK",
                _ => "FORBIDDEN",
            };
            assert_eq!(got, want, "{mutation} as {role:?}");
        }
    }
}

#[tokio::test]
async fn organisation_and_platform_mutations_answer_to_roles() {
    let w = world().await;
    let app = &w.app;
    let listing = app
        .published_achievement(&w.owner, achievement_fields())
        .await;
    for role in ROLES {
        let update = "mutation($id: ID!) { updateOrganization(input: { id: $id, patch: { description: \"新的简介\" } }) { userErrors { code } } }";
        let got = w
            .outcome(role, "updateOrganization", update, json!({ "id": w.owner }))
            .await;
        let want = match role {
            Anonymous => "UNAUTHENTICATED",
            OwnerAdmin | Operator => "OK",
            _ => "FORBIDDEN",
        };
        assert_eq!(got, want, "updateOrganization as {role:?}");

        let verify =
            "mutation($id: ID!) { verifyOrganization(input: { id: $id }) { userErrors { code } } }";
        let got = w
            .outcome(role, "verifyOrganization", verify, json!({ "id": w.other }))
            .await;
        let want = match role {
            Anonymous => "UNAUTHENTICATED",
            Operator => "OK",
            _ => "FORBIDDEN",
        };
        assert_eq!(got, want, "verifyOrganization as {role:?}");

        let grant = "mutation($l: ID!, $g: ID!) { grantDisclosure(input: { listingId: $l, granteeOrganizationId: $g, reason: \"对接已确认\" }) { granted userErrors { code } } }";
        let got = w
            .outcome(
                role,
                "grantDisclosure",
                grant,
                json!({ "l": listing, "g": w.other }),
            )
            .await;
        let want = match role {
            Anonymous => "UNAUTHENTICATED",
            Broker | Operator => "OK",
            _ => "FORBIDDEN",
        };
        assert_eq!(got, want, "grantDisclosure as {role:?}");

        let target = app.user_token(&format!("被设置角色的用户{role:?}")).await;
        let me = app.gql_ok_as(&target, "{ me { id } }", json!({})).await;
        let roles = "mutation($u: ID!) { setUserRoles(input: { userId: $u, operator: false, broker: true }) { user { isBroker } userErrors { code } } }";
        let got = w
            .outcome(role, "setUserRoles", roles, json!({ "u": me["me"]["id"] }))
            .await;
        let want = match role {
            Anonymous => "UNAUTHENTICATED",
            Operator => "OK",
            _ => "FORBIDDEN",
        };
        assert_eq!(got, want, "setUserRoles as {role:?}");
        let after = app
            .gql_ok_as(&target, "{ me { isBroker } }", json!({}))
            .await;
        assert_eq!(
            after["me"]["isBroker"],
            role == Operator,
            "only an operator's call changed the roles"
        );

        let log = w
            .call(role, "{ auditLog(first: 1) { totalCount } }", json!({}))
            .await;
        let got = log["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or("OK");
        let want = match role {
            Anonymous => "UNAUTHENTICATED",
            Operator => "OK",
            _ => "FORBIDDEN",
        };
        assert_eq!(got, want, "auditLog as {role:?}");
    }
}

/// The stored state of a listing, as the system sees it.
async fn snapshot(app: &TestApp, id: &str) -> String {
    if id_kind(id) == "Achievement" {
        format!(
            "{:?}",
            app.services
                .achievements
                .get(&Actor::System, id_of(id))
                .await
                .unwrap()
        )
    } else {
        format!(
            "{:?}",
            app.services
                .needs
                .get(&Actor::System, id_of(id))
                .await
                .unwrap()
                .map(|v| v.need)
        )
    }
}

/// One row of the matrix for a lifecycle mutation: a fresh listing in the state it needs,
/// the expected outcome for `role`, and no change when refused.
async fn lifecycle_row(w: &World, role: Role, mutation: &str) {
    let app = &w.app;
    let from_draft = mutation.starts_with("publish");
    let id = match (mutation.ends_with("Need"), from_draft) {
        (false, true) => app.create_achievement(&w.owner, achievement_fields()).await,
        (false, false) => {
            app.published_achievement(&w.owner, achievement_fields())
                .await
        }
        (true, true) => app.create_need(&w.owner, need_fields()).await,
        (true, false) => app.published_need(&w.owner, need_fields()).await,
    };
    let before = snapshot(app, &id).await;
    let got = w
        .outcome(
            role,
            mutation,
            &LIFECYCLE.replace("MUT", mutation),
            json!({ "id": id }),
        )
        .await;
    // Drafts are hidden from those who may not see them, so they answer as missing.
    let hidden: &[(Role, &str)] = if from_draft {
        &[
            (Visitor, "NOT_FOUND"),
            (OtherAdmin, "NOT_FOUND"),
            (Broker, "NOT_FOUND"),
        ]
    } else {
        &[]
    };
    assert_eq!(
        got,
        expect(role, "OK", "UNAUTHENTICATED", hidden, "FORBIDDEN"),
        "{mutation} as {role:?}"
    );
    if got != "OK" {
        assert_eq!(
            before,
            snapshot(app, &id).await,
            "a refused {mutation} changes nothing"
        );
    }
}

struct Secrets {
    achievement: String,
    draft: String,
    confidential_need: String,
    anonymous_need: String,
}

async fn secrets(w: &World) -> Secrets {
    let app = &w.app;
    Secrets {
        achievement: app
            .published_achievement(&w.owner, achievement_fields())
            .await,
        draft: app
            .create_achievement(
                &w.owner,
                with(
                    achievement_fields(),
                    json!({ "title": "草稿 MARKER-DRAFT-TITLE" }),
                ),
            )
            .await,
        confidential_need: app
            .published_need(
                &w.owner,
                with(
                    need_fields(),
                    json!({ "title": "保密需求 MARKER-CONF-TITLE", "visibility": "CONFIDENTIAL" }),
                ),
            )
            .await,
        anonymous_need: app
            .published_need(
                &w.owner,
                with(need_fields(), json!({ "visibility": "ANONYMOUS" })),
            )
            .await,
    }
}

#[tokio::test]
async fn sensitive_fields_are_shown_exactly_to_the_entitled() {
    let w = world().await;
    let s = secrets(&w).await;
    let node = "query($id: ID!) { node(id: $id) { id ... on Achievement { confidentialDetail } ... on Need { confidentialDetail owner { name } } ... on Organization { contactPhone } } }";
    for role in ROLES {
        let members_or =
            |extra: &[Role]| matches!(role, OwnerAdmin | OwnerMember) || extra.contains(&role);

        let a = w.call(role, node, json!({ "id": s.achievement })).await;
        assert_eq!(
            a["data"]["node"]["confidentialDetail"].is_string(),
            members_or(&[Broker]),
            "achievement detail as {role:?}"
        );

        let d = w.call(role, node, json!({ "id": s.draft })).await;
        assert_eq!(
            d["data"]["node"].is_object(),
            members_or(&[Operator]),
            "draft as {role:?}"
        );

        let c = w
            .call(role, node, json!({ "id": s.confidential_need }))
            .await;
        assert_eq!(
            c["data"]["node"].is_object(),
            members_or(&[Broker, Operator]),
            "confidential need as {role:?}"
        );
        assert_eq!(
            c["data"]["node"]["confidentialDetail"].is_string(),
            members_or(&[Broker]),
            "need detail as {role:?}"
        );

        let count = w.call(role, "{ needs { totalCount } }", json!({})).await;
        let expected = if members_or(&[Broker, Operator]) {
            2
        } else {
            1
        };
        assert_eq!(
            count["data"]["needs"]["totalCount"], expected,
            "need count as {role:?}"
        );

        let anon = w.call(role, node, json!({ "id": s.anonymous_need })).await;
        assert_eq!(
            anon["data"]["node"]["owner"].is_object(),
            members_or(&[Broker, Operator]),
            "anonymous need owner as {role:?}"
        );

        let org = w.call(role, node, json!({ "id": w.owner })).await;
        assert_eq!(
            org["data"]["node"]["contactPhone"].is_string(),
            members_or(&[Broker, Operator]),
            "contacts as {role:?}"
        );
    }
}

#[tokio::test]
async fn moderation_notes_reach_the_owner_and_no_one_else() {
    let w = world().await;
    let id = w
        .app
        .published_achievement(&w.owner, achievement_fields())
        .await;
    let operator = w.token(Operator).unwrap().to_owned();
    w.app
        .gql_ok_as(&operator, "mutation($id: ID!) { moderateAchievement(input: { id: $id, reason: \"价格信息明显有误，请更正\" }) { achievement { status } } }", json!({ "id": id }))
        .await;
    let q = "query($id: ID!) { node(id: $id) { ... on Achievement { status moderationNote } } }";
    let owner = w
        .app
        .gql_ok_as(&w.owner.token, q, json!({ "id": id }))
        .await;
    assert_eq!(owner["node"]["status"], "WITHDRAWN");
    assert_eq!(owner["node"]["moderationNote"], "价格信息明显有误，请更正");
    let visitor = w.call(Visitor, q, json!({ "id": id })).await;
    assert_eq!(
        visitor["data"]["node"],
        Value::Null,
        "a withdrawn result is no longer public"
    );
    let republished = w.app.lifecycle("publishAchievement", &id).await;
    assert_eq!(
        republished["achievement"]["moderationNote"],
        Value::Null,
        "publishing again clears the note"
    );
}

#[tokio::test]
async fn a_disclosure_grant_opens_detail_and_contacts_to_one_counterpart() {
    let w = world().await;
    let s = secrets(&w).await;
    let q = "query($a: ID!, $o: ID!) { a: node(id: $a) { ... on Achievement { confidentialDetail } } o: node(id: $o) { ... on Organization { contactPhone } } }";
    let before = w
        .app
        .gql_ok_as(
            &w.other.token,
            q,
            json!({ "a": s.achievement, "o": w.owner }),
        )
        .await;
    assert_eq!(before["a"]["confidentialDetail"], Value::Null);
    assert_eq!(before["o"]["contactPhone"], Value::Null);

    let broker = w.token(Broker).unwrap().to_owned();
    let grant = "mutation($l: ID!, $g: ID!) { grantDisclosure(input: { listingId: $l, granteeOrganizationId: $g, reason: \"双方同意洽谈\" }) { granted } }";
    w.app
        .gql_ok_as(&broker, grant, json!({ "l": s.achievement, "g": w.other }))
        .await;

    let after = w
        .app
        .gql_ok_as(
            &w.other.token,
            q,
            json!({ "a": s.achievement, "o": w.owner }),
        )
        .await;
    assert_eq!(
        after["a"]["confidentialDetail"],
        "秘密工艺参数 MARKER-ACH-SECRET"
    );
    assert_eq!(after["o"]["contactPhone"], "0532-88880000");
    let visitor = w
        .call(Visitor, q, json!({ "a": s.achievement, "o": w.owner }))
        .await;
    assert_eq!(
        visitor["data"]["a"]["confidentialDetail"],
        Value::Null,
        "only the grantee"
    );
}

#[tokio::test]
async fn confidential_markers_never_leak_to_unentitled_callers() {
    let w = world().await;
    let s = secrets(&w).await;
    // The owner asks for a pairing on the other organisation's result, naming its confidential
    // need; a broker takes it, so the other side holds a pairing, a timeline and notifications
    // about a need it may not see.
    let theirs = w
        .app
        .published_achievement(
            &w.other,
            with(
                achievement_fields(),
                json!({ "confidentialDetail": "对方的秘密" }),
            ),
        )
        .await;
    let requested = w
        .app
        .gql_ok_as(
            &w.owner.token,
            "mutation($a: ID!, $n: ID!) { requestPairing(input: { achievementId: $a, needId: $n, message: \"申请对接贵方成果\" }) { pairing { id } userErrors { code } } }",
            json!({ "a": theirs, "n": s.confidential_need }),
        )
        .await;
    let pairing = requested["requestPairing"]["pairing"]["id"].clone();
    w.app
        .gql_ok_as(
            w.token(Broker).unwrap(),
            "mutation($p: ID!) { takePairing(input: { id: $p }) { pairing { status } } }",
            json!({ "p": pairing }),
        )
        .await;
    // Index everything, so search and matching have the confidential need to (not) show.
    w.app.services.search.catch_up().await.unwrap();
    w.app.services.matching.refresh_stored().await.unwrap();
    let all_ids = [
        &s.achievement,
        &s.draft,
        &s.confidential_need,
        &s.anonymous_need,
    ];
    let mut queries: Vec<(String, Value)> = vec![
        ("{ achievements(filter: { statuses: [DRAFT, PUBLISHED, WITHDRAWN, EXPIRED, TRANSFERRED] }) { nodes { title summary confidentialDetail moderationNote } } }".into(), json!({})),
        ("{ needs(filter: { statuses: [DRAFT, OPEN, NEGOTIATING, SIGNED, CLOSED, WITHDRAWN, EXPIRED] }) { totalCount nodes { title problem requirements confidentialDetail owner { name contactPhone } } } }".into(), json!({})),
        ("{ organizations { nodes { name contactPhone contactEmail achievements(first: 50) { nodes { title confidentialDetail } } needs(first: 50) { nodes { title confidentialDetail } } } } }".into(), json!({})),
        ("{ me { displayName organization { name } } }".into(), json!({})),
        ("{ pairings(filter: { statuses: [REQUESTED, ACCEPTED, INTRODUCED] }) { totalCount edges { node { message regionCode industryCode enterprise { name } need { title problem confidentialDetail } timeline { note } } } } }".into(), json!({})),
        ("query($id: ID!) { pairing(id: $id) { message regionCode enterprise { name contactPhone } need { title confidentialDetail } achievement { title } timeline { note } } }".into(), json!({ "id": pairing })),
        ("{ notifications(first: 100) { nodes { title body } } }".into(), json!({})),
        ("{ savedSearches { nodes { query } } }".into(), json!({})),
    ];
    for q in [
        "MARKER",
        "MARKER-CONF-TITLE",
        "MARKER-ACH-SECRET",
        "MARKER-NEED-SECRET",
        "保密需求",
        "动力电池",
        "固态电池",
    ] {
        queries.push((
            "query($q: String!) { search(query: $q) { totalCount edges { highlights { snippet } node { ... on Achievement { title confidentialDetail } ... on Need { title problem confidentialDetail owner { name } } } } } }".into(),
            json!({ "q": q }),
        ));
    }
    for id in all_ids {
        queries.push((
            "query($id: ID!) { node(id: $id) { id ... on Achievement { title confidentialDetail } ... on Need { title problem confidentialDetail owner { name } } } }".into(),
            json!({ "id": id }),
        ));
        queries.push((
            "query($id: ID!) { matchesForNeed(id: $id, first: 20) { nodes { reasons { explanation sharedTerms { term } } achievement { title confidentialDetail } } } }".into(),
            json!({ "id": id }),
        ));
        queries.push((
            "query($id: ID!) { matchesForAchievement(id: $id, first: 20) { nodes { reasons { explanation sharedTerms { term } } need { title problem confidentialDetail owner { name } } } } }".into(),
            json!({ "id": id }),
        ));
        queries.push((
            "mutation($id: ID!) { updateNeed(input: { id: $id, patch: { title: \"试图修改的标题\" } }) { need { title confidentialDetail } userErrors { code message } } }".into(),
            json!({ "id": id }),
        ));
        queries.push((
            "mutation($id: ID!) { withdrawAchievement(input: { id: $id }) { achievement { title confidentialDetail } userErrors { code message } } }".into(),
            json!({ "id": id }),
        ));
    }
    let detail_markers = ["MARKER-ACH-SECRET", "MARKER-NEED-SECRET"];
    let existence_markers = ["MARKER-CONF-TITLE", "MARKER-DRAFT-TITLE"];
    for role in [Anonymous, Visitor, OtherAdmin, Broker, Operator] {
        for (query, vars) in &queries {
            let body = w.call(role, query, vars.clone()).await.to_string();
            if role != Broker {
                for marker in detail_markers {
                    assert!(
                        !body.contains(marker),
                        "{marker} leaked to {role:?} by {query}: {body}"
                    );
                }
            }
            if matches!(role, Anonymous | Visitor | OtherAdmin) {
                for marker in existence_markers {
                    assert!(
                        !body.contains(marker),
                        "{marker} leaked to {role:?} by {query}: {body}"
                    );
                }
            }
        }
    }
}

fn id_kind(global: &str) -> String {
    use base64::Engine;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(global)
        .unwrap();
    String::from_utf8(raw)
        .unwrap()
        .split(':')
        .next()
        .unwrap()
        .to_owned()
}
