//! The broker workflow over HTTP: every outcome of a pairing across the roles (firm,
//! university, broker, operator, outsider), who sees what at each step, deadlines by moving
//! the injected clock, and the inbox each step fills.

use crate::common::*;
use serde_json::{Value, json};

const PAIRING_FIELDS: &str = "id status origin message myRoles awaiting dueAt declineReason enterpriseAgreed universityAgreed
    achievement { id title confidentialDetail status }
    need { id title confidentialDetail status }
    enterprise { id name contactPhone }
    university { id name }
    broker { displayName }
    contract { kind amountYuan signedOn registrationNumber }
    timeline { kind actorRole fromStatus toStatus note internal }";

fn payload_query(mutation: &str, input_type: &str) -> String {
    format!(
        "mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ pairing {{ {PAIRING_FIELDS} }} userErrors {{ field code message }} }} }}"
    )
}

/// A market with a university result, a firm's confidential need, a broker, an operator and
/// an outsider firm.
struct Market {
    app: TestApp,
    university: Org,
    firm: Org,
    outsider: Org,
    broker: String,
    operator: String,
    achievement: String,
    need: String,
}

async fn market() -> Market {
    let app = spawn_app().await;
    let university = app.university("青岛对接大学").await;
    let firm = app.enterprise("青岛对接电池有限公司").await;
    let outsider = app
        .create_org("ENTERPRISE", "青岛旁观科技有限公司", "370203", true)
        .await;
    let broker = app.broker_token("对接经纪人").await;
    let operator = app.operator_token("对接管理员").await;
    let achievement = app
        .published_achievement(&university, achievement_fields())
        .await;
    let need = app
        .published_need(
            &firm,
            with(
                need_fields(),
                json!({
                    "title": "保密的电池快充需求",
                    "problem": "现有电池快充时间长、低温容量衰减大，希望引入硫化物固态电解质，提升离子电导率。",
                    "keywords": ["固态电池", "硫化物电解质"],
                    "visibility": "CONFIDENTIAL"
                }),
            ),
        )
        .await;
    Market {
        app,
        university,
        firm,
        outsider,
        broker,
        operator,
        achievement,
        need,
    }
}

impl Market {
    async fn run(&self, token: &str, mutation: &str, input_type: &str, input: Value) -> Value {
        let data = self
            .app
            .gql_ok_as(
                token,
                &payload_query(mutation, input_type),
                json!({ "input": input }),
            )
            .await;
        data[mutation].clone()
    }

    /// Runs a move that must succeed and returns the pairing.
    async fn ok(&self, token: &str, mutation: &str, input_type: &str, input: Value) -> Value {
        let p = self.run(token, mutation, input_type, input).await;
        assert_eq!(p["userErrors"], json!([]), "{mutation}: {p}");
        p["pairing"].clone()
    }

    /// The first user error's code of a move that must fail.
    async fn refused(&self, token: &str, mutation: &str, input_type: &str, input: Value) -> String {
        let p = self.run(token, mutation, input_type, input).await;
        assert!(p["pairing"].is_null(), "{mutation} should fail: {p}");
        p["userErrors"][0]["code"]
            .as_str()
            .expect("a code")
            .to_owned()
    }

    /// The top-level error code of a call that must be refused outright.
    async fn denied(&self, token: &str, mutation: &str, input_type: &str, input: Value) -> String {
        let body = self
            .app
            .gql_as(
                token,
                &payload_query(mutation, input_type),
                json!({ "input": input }),
            )
            .await;
        body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("{mutation} should be denied: {body}"))
            .to_owned()
    }

    async fn view(&self, token: &str, id: &str) -> Value {
        let q = format!("query($id: ID!) {{ pairing(id: $id) {{ {PAIRING_FIELDS} }} }}");
        self.app.gql_ok_as(token, &q, json!({ "id": id })).await["pairing"].clone()
    }

    async fn inbox(&self, token: &str) -> Value {
        self.app
            .gql_ok_as(
                token,
                "{ notifications(first: 50) { totalCount unreadCount nodes { id kind title body pairingId achievementId needId readAt } } }",
                json!({}),
            )
            .await["notifications"]
            .clone()
    }

    async fn request(&self, need: Option<&str>) -> Value {
        self.ok(
            &self.firm.token,
            "requestPairing",
            "OpenPairingInput",
            json!({ "achievementId": self.achievement, "needId": need, "message": "希望就固态电解质开展合作" }),
        )
        .await
    }
}

fn kinds(p: &Value) -> Vec<String> {
    p["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_firm_request_goes_from_request_to_signed_contract_disclosing_only_after_introduction() {
    let m = market().await;
    let requested = m.request(Some(&m.need)).await;
    let id = requested["id"].as_str().unwrap().to_owned();
    assert_eq!(requested["status"], "REQUESTED");
    assert_eq!(requested["awaiting"], "BROKER");
    assert_eq!(
        requested["enterpriseAgreed"], true,
        "the firm asked, so it agreed"
    );
    assert_eq!(requested["myRoles"], json!(["ENTERPRISE"]));
    assert!(
        requested["dueAt"]
            .as_str()
            .unwrap()
            .starts_with("2026-12-08"),
        "a broker has 7 days: {requested}"
    );

    // Before INTRODUCED the university sees the request but not the confidential need or the firm.
    let seen = m.view(&m.university.token, &id).await;
    assert_eq!(seen["status"], "REQUESTED");
    assert!(seen["need"].is_null(), "confidential need hidden: {seen}");
    assert!(seen["enterprise"].is_null(), "firm hidden: {seen}");
    assert_eq!(
        seen["achievement"]["confidentialDetail"],
        "秘密工艺参数 MARKER-ACH-SECRET"
    );
    let uni_inbox = m.inbox(&m.university.token).await;
    assert_eq!(uni_inbox["nodes"][0]["kind"], "PAIRING");
    assert!(
        !uni_inbox.to_string().contains("保密的电池快充需求"),
        "the confidential need's title never reaches the university: {uni_inbox}"
    );
    // The firm does not see the result's secret yet.
    assert!(m.view(&m.firm.token, &id).await["achievement"]["confidentialDetail"].is_null());
    // Outsiders and anonymous callers do not learn that the pairing exists.
    assert!(m.view(&m.outsider.token, &id).await.is_null());
    let anonymous = m
        .app
        .gql(
            "query($id: ID!) { pairing(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert!(anonymous["data"]["pairing"].is_null(), "{anonymous}");

    // A second open request on the same pair is refused.
    let dup = m
        .run(
            &m.firm.token,
            "requestPairing",
            "OpenPairingInput",
            json!({ "achievementId": m.achievement, "needId": m.need, "message": "再次申请" }),
        )
        .await;
    assert_eq!(dup["userErrors"][0]["code"], "CONFLICT", "{dup}");
    assert!(
        dup["userErrors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("进行中的对接")
    );

    // The university cannot answer before a broker takes the request.
    let early = m
        .refused(
            &m.university.token,
            "agreeToPairing",
            "PairingIdInput",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(early, "INVALID_STATE_TRANSITION");

    // The broker finds it in the queue of unassigned requests and takes it.
    let queue = m
        .app
        .gql_ok_as(
            &m.broker,
            "{ pairings(filter: { unassigned: true }) { totalCount edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        queue["pairings"]["edges"][0]["node"]["id"],
        id.as_str(),
        "{queue}"
    );
    for (filter, expected) in [
        (json!({ "industry": "C38" }), 1),
        (json!({ "industry": "A" }), 0),
        (json!({ "region": "3702" }), 1),
        (json!({ "region": "3701" }), 0),
        (json!({ "minAgeDays": 1 }), 0),
        (json!({ "statuses": ["SIGNED"] }), 0),
    ] {
        let found = m
            .app
            .gql_ok_as(
                &m.broker,
                "query($f: PairingFilterInput) { pairings(filter: $f) { totalCount } }",
                json!({ "f": filter }),
            )
            .await;
        assert_eq!(found["pairings"]["totalCount"], expected, "{filter}");
    }
    for days in [-1, 36_501, i32::MAX] {
        let refused = m
            .app
            .gql_as(
                &m.broker,
                "query($d: Int) { pairings(filter: { minAgeDays: $d }) { totalCount } }",
                json!({ "d": days }),
            )
            .await;
        assert_eq!(
            error_code(&refused),
            "INVALID_ARGUMENT",
            "{days}: {refused}"
        );
    }
    assert_eq!(
        m.denied(
            &m.firm.token,
            "takePairing",
            "PairingIdInput",
            json!({ "id": id })
        )
        .await,
        "FORBIDDEN"
    );
    let accepted = m
        .ok(
            &m.broker,
            "takePairing",
            "PairingIdInput",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(accepted["status"], "ACCEPTED");
    assert_eq!(accepted["awaiting"], "UNIVERSITY");
    assert_eq!(accepted["broker"]["displayName"], "对接经纪人");
    let mine = m
        .app
        .gql_ok_as(
            &m.broker,
            "{ pairings(filter: { assignedToMe: true }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(mine["pairings"]["totalCount"], 1);

    // Only the broker records a contract, and only during negotiation.
    assert_eq!(
        m.denied(
            &m.firm.token,
            "signPairing",
            "SignPairingInput",
            json!({ "id": id, "contract": { "kind": "LICENSE", "amountYuan": 1, "signedOn": "2026-12-01" } })
        )
        .await,
        "FORBIDDEN"
    );

    // The university agrees: both sides are introduced and each may read the other's secrets.
    let introduced = m
        .ok(
            &m.university.token,
            "agreeToPairing",
            "PairingIdInput",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(introduced["status"], "INTRODUCED");
    assert_eq!(
        introduced["need"]["confidentialDetail"],
        "客户项目代号 MARKER-NEED-SECRET"
    );
    assert_eq!(introduced["enterprise"]["contactPhone"], "0532-88880000");
    let firm_view = m.view(&m.firm.token, &id).await;
    assert_eq!(
        firm_view["achievement"]["confidentialDetail"],
        "秘密工艺参数 MARKER-ACH-SECRET"
    );
    // The outsider still sees nothing of either secret.
    let outsider_need = m
        .app
        .gql_as(
            &m.outsider.token,
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": m.need }),
        )
        .await;
    assert!(outsider_need["data"]["node"].is_null(), "{outsider_need}");

    // An internal note stays among brokers; sides cannot write one.
    m.ok(
        &m.broker,
        "addPairingNote",
        "AddPairingNoteInput",
        json!({ "id": id, "text": "企业预算偏紧，建议先谈许可", "internal": true }),
    )
    .await;
    assert_eq!(
        m.denied(
            &m.university.token,
            "addPairingNote",
            "AddPairingNoteInput",
            json!({ "id": id, "text": "内部", "internal": true })
        )
        .await,
        "FORBIDDEN"
    );
    assert!(
        !m.view(&m.university.token, &id)
            .await
            .to_string()
            .contains("预算偏紧")
    );
    assert!(
        !m.view(&m.firm.token, &id)
            .await
            .to_string()
            .contains("预算偏紧")
    );
    assert!(
        m.view(&m.broker, &id)
            .await
            .to_string()
            .contains("预算偏紧")
    );

    // Talks start; the need shows 洽谈中.
    let talks = m
        .ok(
            &m.firm.token,
            "startNegotiation",
            "PairingIdInput",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(talks["status"], "NEGOTIATING");
    assert_eq!(talks["need"]["status"], "NEGOTIATING");

    // A contract in the future or of no amount is refused and changes nothing.
    let bad = m
        .refused(
            &m.broker,
            "signPairing",
            "SignPairingInput",
            json!({ "id": id, "contract": { "kind": "LICENSE", "amountYuan": 0, "signedOn": "2027-01-01" } }),
        )
        .await;
    assert_eq!(bad, "INVALID_PRICE_RANGE");
    assert_eq!(m.view(&m.broker, &id).await["status"], "NEGOTIATING");

    let signed = m
        .ok(
            &m.broker,
            "signPairing",
            "SignPairingInput",
            json!({
                "id": id,
                "contract": { "kind": "TRANSFER_PATENT", "amountYuan": 1200000, "signedOn": "2026-12-01", "registrationNumber": "2026370200001234" },
                "markTransferred": true
            }),
        )
        .await;
    assert_eq!(signed["status"], "SIGNED");
    assert!(signed["awaiting"].is_null() && signed["dueAt"].is_null());
    assert_eq!(
        signed["contract"],
        json!({ "kind": "TRANSFER_PATENT", "amountYuan": 1200000, "signedOn": "2026-12-01", "registrationNumber": "2026370200001234" })
    );
    assert_eq!(signed["need"]["status"], "SIGNED");
    assert_eq!(signed["achievement"]["status"], "TRANSFERRED");
    // The contract is a judgement on the match of the two listings.
    let judged = m
        .app
        .services
        .matching
        .judgements(id_of(&m.need), id_of(&m.achievement))
        .await
        .unwrap();
    assert_eq!(
        judged
            .iter()
            .map(|j| (j.judgement.as_str(), j.pairing_id))
            .collect::<Vec<_>>(),
        [("SIGNED", Some(id_of(signed["id"].as_str().unwrap())))]
    );
    assert_eq!(
        kinds(&signed),
        [
            "REQUESTED",
            "ACCEPTED",
            "AGREED",
            "NOTE",
            "NEGOTIATING",
            "SIGNED"
        ]
    );
    // A signed pairing is final.
    assert_eq!(
        m.refused(
            &m.firm.token,
            "declinePairing",
            "DeclinePairingInput",
            json!({ "id": id, "reason": "反悔" })
        )
        .await,
        "INVALID_STATE_TRANSITION"
    );

    // The firm heard about each step it did not take itself, and can clear its inbox.
    let inbox = m.inbox(&m.firm.token).await;
    let titles: Vec<&str> = inbox["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap())
        .collect();
    assert!(titles.iter().any(|t| t.ends_with("已受理")), "{titles:?}");
    assert!(titles.iter().any(|t| t.ends_with("已引荐")), "{titles:?}");
    assert!(titles.iter().any(|t| t.ends_with("已签约")), "{titles:?}");
    assert!(!inbox.to_string().contains("预算偏紧"));
    let read = m
        .app
        .gql_ok_as(
            &m.firm.token,
            "mutation { markNotificationsRead(input: {}) { updated } }",
            json!({}),
        )
        .await;
    assert_eq!(
        read["markNotificationsRead"]["updated"],
        inbox["unreadCount"]
    );
    assert_eq!(m.inbox(&m.firm.token).await["unreadCount"], 0);
}

#[tokio::test]
async fn declines_withdrawals_proposals_and_assignments_follow_the_rules() {
    let m = market().await;
    let public_need = m.app.published_need(&m.firm, need_fields()).await;

    // The university offers its result to a public need; a reason is mandatory to decline.
    let offered = m
        .ok(
            &m.university.token,
            "offerAchievement",
            "OpenPairingInput",
            json!({ "achievementId": m.achievement, "needId": public_need, "message": "我们的成果可满足低温快充要求" }),
        )
        .await;
    let offer = offered["id"].as_str().unwrap().to_owned();
    assert_eq!(offered["origin"], "UNIVERSITY_OFFER");
    // The audit log names the pairing by the id the API uses, not by its row number.
    let audited = m
        .app
        .gql_ok_as(
            &m.operator,
            "{ auditLog(first: 5, filter: { action: \"offerAchievement\" }) { nodes { targetType targetId } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        audited["auditLog"]["nodes"][0],
        json!({ "targetType": "Pairing", "targetId": offer })
    );
    assert_eq!(offered["universityAgreed"], true);
    assert_eq!(
        m.refused(
            &m.firm.token,
            "declinePairing",
            "DeclinePairingInput",
            json!({ "id": offer, "reason": "  " })
        )
        .await,
        "INVALID_TEXT"
    );
    let declined = m
        .ok(
            &m.firm.token,
            "declinePairing",
            "DeclinePairingInput",
            json!({ "id": offer, "reason": "技术路线与我司现有产线不符" }),
        )
        .await;
    assert_eq!(declined["status"], "DECLINED");
    let judged = m
        .app
        .services
        .matching
        .judgements(id_of(&public_need), id_of(&m.achievement))
        .await
        .unwrap();
    assert_eq!(judged.len(), 1, "{judged:?}");
    assert_eq!(judged[0].judgement, "DECLINED");
    assert_eq!(judged[0].pairing_id, Some(id_of(&offer)));
    let uni = m.view(&m.university.token, &offer).await;
    assert_eq!(uni["declineReason"], "技术路线与我司现有产线不符");
    assert!(
        m.inbox(&m.university.token)
            .await
            .to_string()
            .contains("技术路线与我司现有产线不符")
    );
    assert_eq!(
        m.refused(
            &m.university.token,
            "agreeToPairing",
            "PairingIdInput",
            json!({ "id": offer })
        )
        .await,
        "INVALID_STATE_TRANSITION"
    );

    // A closed pairing frees the pair: a new request is accepted. Only the requester withdraws.
    let request = m.request(None).await;
    let rid = request["id"].as_str().unwrap().to_owned();
    assert!(request["need"].is_null());
    assert_eq!(
        m.denied(
            &m.university.token,
            "withdrawPairing",
            "WithdrawPairingInput",
            json!({ "id": rid })
        )
        .await,
        "FORBIDDEN"
    );
    let withdrawn = m
        .ok(
            &m.firm.token,
            "withdrawPairing",
            "WithdrawPairingInput",
            json!({ "id": rid, "note": "项目暂停" }),
        )
        .await;
    assert_eq!(withdrawn["status"], "WITHDRAWN");

    // Brokers propose stored matches only.
    let not_matched = m
        .refused(
            &m.broker,
            "proposePairing",
            "OpenPairingInput",
            json!({ "achievementId": m.achievement, "needId": m.need, "message": "建议对接" }),
        )
        .await;
    assert_eq!(not_matched, "INVALID_ARGUMENT");
    m.app.run_jobs().await;
    // Matching is not symmetric: the need's key terms find the result, not the other way
    // round. Recomputing the result alone must keep the pair the need found.
    m.app
        .gql_ok_as(
            &m.university.token,
            "mutation($id: ID!) { updateAchievement(input: { id: $id, patch: { advantages: \"成本再降 10%\" } }) { userErrors { code } } }",
            json!({ "id": m.achievement }),
        )
        .await;
    m.app.run_jobs().await;
    let proposed = m
        .ok(
            &m.broker,
            "proposePairing",
            "OpenPairingInput",
            json!({ "achievementId": m.achievement, "needId": m.need, "message": "匹配度高，建议对接" }),
        )
        .await;
    assert_eq!(proposed["status"], "ACCEPTED");
    assert_eq!(proposed["awaiting"], "BOTH_SIDES");
    assert_eq!(kinds(&proposed), ["REQUESTED", "ACCEPTED"]);
    assert_eq!(
        m.denied(
            &m.firm.token,
            "proposePairing",
            "OpenPairingInput",
            json!({ "achievementId": m.achievement, "needId": public_need, "message": "x" })
        )
        .await,
        "FORBIDDEN"
    );

    // Operators assign requests to brokers; a non-broker cannot be assigned.
    let waiting = m.request(Some(&public_need)).await;
    let wid = waiting["id"].as_str().unwrap().to_owned();
    let operator_id = m.app.user_id(&m.operator).await;
    let broker_id = m.app.user_id(&m.broker).await;
    let user_gid = |id: i32| global_id(qianxian::graphql::ids::NodeType::User, id);
    assert_eq!(
        m.refused(
            &m.operator,
            "assignPairing",
            "AssignPairingInput",
            json!({ "id": wid, "brokerId": user_gid(operator_id) })
        )
        .await,
        "INVALID_ARGUMENT"
    );
    assert_eq!(
        m.denied(
            &m.broker,
            "assignPairing",
            "AssignPairingInput",
            json!({ "id": wid, "brokerId": user_gid(broker_id) })
        )
        .await,
        "FORBIDDEN"
    );
    let assigned = m
        .ok(
            &m.operator,
            "assignPairing",
            "AssignPairingInput",
            json!({ "id": wid, "brokerId": user_gid(broker_id) }),
        )
        .await;
    assert_eq!(assigned["status"], "ACCEPTED");
    assert_eq!(assigned["broker"]["displayName"], "对接经纪人");

    // A firm's member sees its organisation's pairings only; the outsider sees none.
    let firm_list = m
        .app
        .gql_ok_as(
            &m.firm.token,
            "{ pairings(filter: { statuses: [DECLINED, WITHDRAWN, ACCEPTED] }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(firm_list["pairings"]["totalCount"], 4);
    let outsider_list = m
        .app
        .gql_ok_as(&m.outsider.token, "{ pairings { totalCount } }", json!({}))
        .await;
    assert_eq!(outsider_list["pairings"]["totalCount"], 0);
}

#[tokio::test]
async fn unanswered_pairings_expire_by_the_clock_and_both_sides_are_told_why() {
    let m = market().await;
    let waiting = m.request(Some(&m.need)).await;
    let wid = waiting["id"].as_str().unwrap().to_owned();
    let other = m.request(None).await;
    let oid = other["id"].as_str().unwrap().to_owned();
    m.ok(
        &m.broker,
        "takePairing",
        "PairingIdInput",
        json!({ "id": oid }),
    )
    .await;

    // Six days on nothing is due yet.
    m.app.clock.advance(chrono::Duration::days(6));
    assert_eq!(m.app.services.pairings.expire_due().await.unwrap(), 0);

    // Day 8: the request nobody took expires; the accepted one has 14 days for the university.
    m.app.clock.advance(chrono::Duration::days(2));
    assert_eq!(m.app.services.pairings.expire_due().await.unwrap(), 1);
    let expired = m.view(&m.firm.token, &wid).await;
    assert_eq!(expired["status"], "EXPIRED");
    assert!(
        expired["declineReason"]
            .as_str()
            .unwrap()
            .contains("7 天内没有技术经纪人受理"),
        "{expired}"
    );
    assert_eq!(m.view(&m.firm.token, &oid).await["status"], "ACCEPTED");

    // Day 15: the university's 14 days to answer the accepted pairing (taken on day 0) ran out.
    m.app.clock.advance(chrono::Duration::days(7));
    assert_eq!(m.app.services.pairings.expire_due().await.unwrap(), 1);
    let lapsed = m.view(&m.university.token, &oid).await;
    assert_eq!(lapsed["status"], "EXPIRED");
    assert!(
        lapsed["declineReason"]
            .as_str()
            .unwrap()
            .contains("成果方 14 天内未答复")
    );
    assert_eq!(kinds(&lapsed).last().unwrap(), "EXPIRED");

    for token in [&m.firm.token, &m.university.token] {
        let inbox = m.inbox(token).await;
        assert!(
            inbox["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["kind"] == "PAIRING_EXPIRED"
                    && n["body"].as_str().unwrap().contains("自动关闭")),
            "{inbox}"
        );
    }
    // Expiry is idempotent.
    assert_eq!(m.app.services.pairings.expire_due().await.unwrap(), 0);
}

#[tokio::test]
async fn talks_that_keep_moving_do_not_expire() {
    let m = market().await;
    let p = m.request(None).await;
    let id = p["id"].as_str().unwrap().to_owned();
    m.ok(
        &m.broker,
        "takePairing",
        "PairingIdInput",
        json!({ "id": id }),
    )
    .await;
    m.ok(
        &m.university.token,
        "agreeToPairing",
        "PairingIdInput",
        json!({ "id": id }),
    )
    .await;
    m.ok(
        &m.firm.token,
        "startNegotiation",
        "PairingIdInput",
        json!({ "id": id }),
    )
    .await;
    for _ in 0..3 {
        m.app.clock.advance(chrono::Duration::days(10));
        m.ok(
            &m.university.token,
            "addPairingNote",
            "AddPairingNoteInput",
            json!({ "id": id, "text": "已发送样品测试报告" }),
        )
        .await;
        assert_eq!(m.app.services.pairings.expire_due().await.unwrap(), 0);
    }
    m.app.clock.advance(chrono::Duration::days(15));
    assert_eq!(m.app.services.pairings.expire_due().await.unwrap(), 1);
    let stalled = m.view(&m.university.token, &id).await;
    assert!(
        stalled["declineReason"]
            .as_str()
            .unwrap()
            .contains("14 天内对接没有任何进展")
    );
    // Introduced without a need: the firm's contacts were disclosed to the university.
    assert_eq!(stalled["enterprise"]["contactPhone"], "0532-88880000");
}

#[tokio::test]
async fn a_need_nobody_else_may_read_answers_a_pairing_offer_as_missing() {
    // A draft or withdrawn need is one the university cannot read (`node` answers null): an
    // offer to it must not answer "wrong status", which would tell that it exists.
    let m = market().await;
    let draft = m.app.create_need(&m.firm, need_fields()).await;
    let withdrawn = m.app.published_need(&m.firm, need_fields()).await;
    m.app.lifecycle("withdrawNeed", &withdrawn).await;
    let missing = global_id(qianxian::graphql::ids::NodeType::Need, 99_999);
    for need in [&draft, &withdrawn, &missing] {
        let seen = m
            .app
            .gql_ok_as(
                &m.university.token,
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": need }),
            )
            .await;
        assert!(seen["node"].is_null(), "{seen}");
        assert_eq!(
            m.refused(
                &m.university.token,
                "offerAchievement",
                "OpenPairingInput",
                json!({ "achievementId": m.achievement, "needId": need, "message": "我们的成果可满足要求" }),
            )
            .await,
            "NOT_FOUND"
        );
    }
}
