//! Accounts and tokens over HTTP: login, refresh, logout, expiry, tampering, foreign keys,
//! personal tokens, membership, rate limits and the audit log.

use crate::common::*;
use chrono::Duration;
use qianxian::service::tokens::{TokenKind, TokenSigner};
use reqwest::StatusCode;
use serde_json::{Value, json};

const ME: &str = "{ me { displayName email orgRole isOperator isBroker organization { name } } }";

async fn status_of(app: &TestApp, token: &str) -> (StatusCode, Value) {
    let resp = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(token)
        .json(&json!({ "query": ME }))
        .send()
        .await
        .unwrap();
    (resp.status(), resp.json().await.unwrap())
}

async fn login_payload(app: &TestApp, login: &str, password: &str) -> Value {
    app.gql(
        "mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken accessTokenExpiresAt user { displayName } } }",
        json!({ "i": { "login": login, "password": password } }),
    )
    .await
}

#[tokio::test]
async fn register_login_and_bad_credentials() {
    let app = spawn_app().await;
    let register = "mutation($i: RegisterUserInput!) { register(input: $i) { user { email } userErrors { field code message } } }";
    let weak = app.gql_ok(register, json!({ "i": { "user": { "email": "a@example.com", "displayName": "甲", "password": "short1" } } })).await;
    assert_eq!(
        weak["register"]["userErrors"][0]["field"],
        json!(["password"])
    );
    let none = app
        .gql_ok(
            register,
            json!({ "i": { "user": { "displayName": "甲", "password": "Long-enough-1" } } }),
        )
        .await;
    assert_eq!(none["register"]["userErrors"][0]["code"], "INVALID_CONTACT");
    let ok = app.gql_ok(register, json!({ "i": { "user": { "email": "A@Example.com", "phone": "13912345678", "displayName": "甲", "password": "Long-enough-1" } } })).await;
    assert_eq!(ok["register"]["user"]["email"], "a@example.com");
    let dup = app.gql_ok(register, json!({ "i": { "user": { "email": "a@example.com", "displayName": "乙", "password": "Long-enough-1" } } })).await;
    assert_eq!(dup["register"]["userErrors"][0]["code"], "CONFLICT");

    for login in ["a@example.com", "13912345678"] {
        let body = login_payload(&app, login, "Long-enough-1").await;
        assert!(
            body["data"]["login"]["accessToken"]
                .as_str()
                .unwrap()
                .starts_with("qxa.")
        );
    }
    let wrong = login_payload(&app, "a@example.com", "Long-enough-2").await;
    let unknown = login_payload(&app, "nobody@example.com", "Long-enough-1").await;
    for body in [&wrong, &unknown] {
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
        assert_eq!(
            body["errors"][0]["message"], "账号或密码错误",
            "the same answer whether or not the account exists"
        );
    }
}

#[tokio::test]
async fn tokens_expire_refresh_rotate_and_log_out() {
    let app = spawn_app().await;
    let token = app.user_token("令牌用户").await;
    let (status, body) = status_of(&app, &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["me"]["displayName"], "令牌用户");

    let email = body["data"]["me"]["email"].as_str().unwrap().to_owned();
    let session = login_payload(&app, &email, "Secret-pass-2026").await["data"]["login"].clone();
    let refresh = session["refreshToken"].as_str().unwrap().to_owned();
    let access = session["accessToken"].as_str().unwrap().to_owned();

    let refreshed = app
        .gql_ok("mutation($r: String!) { refreshToken(input: { refreshToken: $r }) { accessToken refreshToken } }", json!({ "r": refresh }))
        .await;
    let new_access = refreshed["refreshToken"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(status_of(&app, &new_access).await.0, StatusCode::OK);
    assert_eq!(
        status_of(&app, &access).await.0,
        StatusCode::UNAUTHORIZED,
        "refreshing ends the old session"
    );
    let reuse = app
        .gql(
            "mutation($r: String!) { refreshToken(input: { refreshToken: $r }) { accessToken } }",
            json!({ "r": refresh }),
        )
        .await;
    assert_eq!(
        reuse["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "a refresh token works once"
    );
    assert_eq!(
        status_of(&app, &new_access).await.0,
        StatusCode::UNAUTHORIZED,
        "a spent refresh token used again ends every session continued from its login"
    );

    let new_access =
        login_payload(&app, &email, "Secret-pass-2026").await["data"]["login"]["accessToken"]
            .as_str()
            .unwrap()
            .to_owned();
    let logout = app
        .gql_ok_as(&new_access, "mutation { logout { ok } }", json!({}))
        .await;
    assert_eq!(logout["logout"]["ok"], true);
    let (status, body) = status_of(&app, &new_access).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("撤销")
    );

    // The harness gives access tokens 400 days; past that they stop working.
    app.clock.advance(Duration::days(401));
    let (status, body) = status_of(&app, &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("过期")
    );
}

#[tokio::test]
async fn forged_tampered_and_foreign_tokens_are_refused() {
    let app = spawn_app().await;
    let token = app.user_token("篡改测试").await;
    let mut chars: Vec<char> = token.chars().collect();
    let i = 8;
    chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
    let tampered: String = chars.into_iter().collect();
    let foreign =
        TokenSigner::new(b"some-other-deployment-secret-0123456789").issue(TokenKind::Access);
    // Signed with this deployment's own key, so they pass the MAC and fail later.
    let ours = TokenSigner::new(qianxian::config::DEVELOPMENT_SECRET.as_bytes());
    let well_formed_unknown = ours.issue(TokenKind::Access);
    let refresh_as_access = ours.issue(TokenKind::Refresh);
    for bad in [
        tampered.as_str(),
        foreign.as_str(),
        well_formed_unknown.as_str(),
        refresh_as_access.as_str(),
        "garbage",
        "qxa.x.y",
    ] {
        let (status, body) = status_of(&app, bad).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{bad}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    }
}

#[tokio::test]
async fn personal_tokens_are_listed_used_and_revoked() {
    let app = spawn_app().await;
    let token = app.user_token("脚本作者").await;
    let made = app
        .gql_ok_as(&token, "mutation { createPersonalToken(input: { name: \"同步脚本\", expiresInDays: 30 }) { token { id name expiresAt } secret userErrors { code } } }", json!({}))
        .await;
    let secret = made["createPersonalToken"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = made["createPersonalToken"]["token"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(secret.starts_with("qxp."));
    assert_eq!(status_of(&app, &secret).await.0, StatusCode::OK);
    let list = app
        .gql_ok_as(
            &secret,
            "{ myPersonalTokens { totalCount nodes { name revokedAt } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        list["myPersonalTokens"],
        json!({ "totalCount": 1, "nodes": [{ "name": "同步脚本", "revokedAt": null }] })
    );

    let other = app.user_token("别人").await;
    let theirs = app.gql_ok_as(&other, "mutation($id: ID!) { revokePersonalToken(input: { id: $id }) { userErrors { code } } }", json!({ "id": id })).await;
    assert_eq!(
        theirs["revokePersonalToken"]["userErrors"][0]["code"], "NOT_FOUND",
        "nobody else can revoke it"
    );
    assert_eq!(status_of(&app, &secret).await.0, StatusCode::OK);

    let revoked = app.gql_ok_as(&token, "mutation($id: ID!) { revokePersonalToken(input: { id: $id }) { token { revokedAt } userErrors { code } } }", json!({ "id": id })).await;
    assert!(revoked["revokePersonalToken"]["token"]["revokedAt"].is_string());
    assert_eq!(status_of(&app, &secret).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn joining_an_organisation_needs_its_admins_approval() {
    let app = spawn_app().await;
    let org = app.university("青岛成员大学").await;
    let applicant = app.user_token("申请人").await;
    let stranger = app.user_token("旁观者").await;
    let draft = "mutation($o: ID!) { createAchievement(input: { ownerId: $o, achievement: { title: \"成员测试成果标题\", summary: \"足够长的成果简介文字用于测试\", discipline: \"430\", industries: [\"C38\"], trl: 3, maturity: IN_RESEARCH, transferModes: [ASSIGNMENT] } }) { achievement { id } userErrors { code } } }";
    let before = app.gql_as(&applicant, draft, json!({ "o": org })).await;
    assert_eq!(before["errors"][0]["extensions"]["code"], "FORBIDDEN");

    let asked = app
        .gql_ok_as(&applicant, "mutation($o: ID!) { requestMembership(input: { organizationId: $o, message: \"我是成果转化办新同事\" }) { request { id status } userErrors { code } } }", json!({ "o": org }))
        .await;
    let request_id = asked["requestMembership"]["request"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let twice = app.gql_ok_as(&applicant, "mutation($o: ID!) { requestMembership(input: { organizationId: $o }) { userErrors { code } } }", json!({ "o": org })).await;
    assert_eq!(
        twice["requestMembership"]["userErrors"][0]["code"],
        "CONFLICT"
    );

    let pending = "query($o: ID!) { membershipRequests(organizationId: $o) { totalCount nodes { id message applicant { displayName } } } }";
    let not_admin = app.gql_as(&stranger, pending, json!({ "o": org })).await;
    assert_eq!(not_admin["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let listed = app
        .gql_ok_as(&org.token, pending, json!({ "o": org }))
        .await;
    assert_eq!(
        listed["membershipRequests"]["nodes"][0]["message"],
        "我是成果转化办新同事"
    );
    assert_eq!(listed["membershipRequests"]["totalCount"], 1);
    assert_eq!(
        listed["membershipRequests"]["nodes"][0]["applicant"]["displayName"],
        "申请人"
    );

    let approve = "mutation($r: ID!) { approveMembership(input: { requestId: $r }) { request { status } userErrors { code } } }";
    let by_stranger = app
        .gql_as(&stranger, approve, json!({ "r": request_id }))
        .await;
    assert_eq!(by_stranger["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let approved = app
        .gql_ok_as(&org.token, approve, json!({ "r": request_id }))
        .await;
    assert_eq!(
        approved["approveMembership"]["request"]["status"],
        "APPROVED"
    );

    let me = app.gql_ok_as(&applicant, ME, json!({})).await;
    assert_eq!(me["me"]["orgRole"], "MEMBER");
    assert_eq!(me["me"]["organization"]["name"], "青岛成员大学");
    let after = app.gql_ok_as(&applicant, draft, json!({ "o": org })).await;
    assert_eq!(
        after["createAchievement"]["userErrors"],
        json!([]),
        "members edit their organisation's listings"
    );
}

#[tokio::test]
async fn rate_limits_answer_429_with_a_typed_error() {
    let app = spawn_app_with(Options {
        per_token_per_minute: Some(3),
        ..Default::default()
    })
    .await;
    let token = app.user_token("频繁用户").await;
    for _ in 0..3 {
        assert_eq!(status_of(&app, &token).await.0, StatusCode::OK);
    }
    let resp = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&token)
        .json(&json!({ "query": ME }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(resp.headers().get("retry-after").is_some());
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    assert_eq!(
        app.gql_ok("{ trlLevels { level } }", json!({})).await["trlLevels"]
            .as_array()
            .unwrap()
            .len(),
        9,
        "other clients are unaffected"
    );

    let by_address = spawn_app_with(Options {
        per_address_per_minute: Some(2),
        ..Default::default()
    })
    .await;
    for _ in 0..2 {
        by_address
            .gql_ok("{ trlLevels { level } }", json!({}))
            .await;
    }
    let body = by_address.gql("{ trlLevels { level } }", json!({})).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
}

#[tokio::test]
async fn every_mutation_is_audited_and_operators_read_the_log() {
    let app = spawn_app().await;
    let org = app.enterprise("青岛审计测试有限公司").await;
    let need = app.published_need(&org, need_fields()).await;
    let visitor = app.user_token("审计访客").await;
    let denied = app
        .gql_as(
            &visitor,
            "mutation($id: ID!) { withdrawNeed(input: { id: $id }) { need { status } } }",
            json!({ "id": need }),
        )
        .await;
    assert_eq!(denied["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let operator = operator_token(&app).await;

    let log = "query($f: AuditFilterInput) { auditLog(first: 50, filter: $f) { totalCount nodes { actor action targetType targetId outcome createdAt } } }";
    let not_operator = app.gql_as(&org.token, log, json!({})).await;
    assert_eq!(not_operator["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let anonymous = app.gql(log, json!({})).await;
    assert_eq!(
        anonymous["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );

    let published = app
        .gql_ok_as(&operator, log, json!({ "f": { "action": "publishNeed" } }))
        .await;
    let row = &published["auditLog"]["nodes"][0];
    assert_eq!(row["outcome"], "OK");
    assert_eq!(row["targetType"], "Need");
    assert_eq!(row["targetId"], need.as_str());
    assert!(row["actor"].as_str().unwrap().starts_with("user:"));
    let refused = app
        .gql_ok_as(&operator, log, json!({ "f": { "action": "withdrawNeed" } }))
        .await;
    assert_eq!(
        refused["auditLog"]["nodes"][0]["outcome"], "FORBIDDEN",
        "failures are recorded too"
    );
    let all = app.gql_ok_as(&operator, log, json!({})).await;
    let actions: Vec<&str> = all["auditLog"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["action"].as_str().unwrap())
        .collect();
    for expected in [
        "register",
        "login",
        "createOrganization",
        "createNeed",
        "publishNeed",
        "withdrawNeed",
    ] {
        assert!(
            actions.contains(&expected),
            "{expected} missing from {actions:?}"
        );
    }
    let failed = app
        .gql_ok_as(&operator, log, json!({ "f": { "outcome": "FORBIDDEN" } }))
        .await;
    assert!(failed["auditLog"]["totalCount"].as_u64().unwrap() >= 1);
}

/// Registers a user and makes them a platform operator through the service (there is no
/// operator to promote the first operator over HTTP).
pub async fn operator_token(app: &TestApp) -> String {
    let token = app.user_token("平台管理员").await;
    let me = app.gql_ok_as(&token, "{ me { email } }", json!({})).await;
    let user = app
        .services
        .accounts
        .find_by_login(&TestApp::system(), me["me"]["email"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    app.services
        .members
        .set_roles(&TestApp::system(), user.id, true, false)
        .await
        .unwrap();
    token
}

#[tokio::test]
async fn parallel_refreshes_with_one_token_make_at_most_one_session_and_replays_end_the_family() {
    let app = spawn_app().await;
    let token = app.user_token("并发刷新用户").await;
    let (_, body) = status_of(&app, &token).await;
    let email = body["data"]["me"]["email"].as_str().unwrap().to_owned();
    const REFRESH: &str = "mutation($r: String!) { refreshToken(input: { refreshToken: $r }) { accessToken refreshToken } }";

    // Six refreshes with one token at once: one session at most.
    let session = login_payload(&app, &email, "Secret-pass-2026").await["data"]["login"].clone();
    let refresh = session["refreshToken"].as_str().unwrap().to_owned();
    let answers =
        futures::future::join_all((0..6).map(|_| app.gql(REFRESH, json!({ "r": refresh })))).await;
    let granted: Vec<&Value> = answers
        .iter()
        .filter(|a| a["data"]["refreshToken"]["accessToken"].is_string())
        .collect();
    assert!(granted.len() <= 1, "{answers:?}");
    for a in answers.iter().filter(|a| a["errors"].is_array()) {
        assert_eq!(
            a["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
            "{a}"
        );
    }

    // A chain of refreshes, then the first token replayed: every session of the chain ends.
    let session = login_payload(&app, &email, "Secret-pass-2026").await["data"]["login"].clone();
    let first = session["refreshToken"].as_str().unwrap().to_owned();
    let second = app.gql_ok(REFRESH, json!({ "r": first })).await["refreshToken"].clone();
    let third = app
        .gql_ok(REFRESH, json!({ "r": second["refreshToken"] }))
        .await["refreshToken"]
        .clone();
    let latest = third["accessToken"].as_str().unwrap().to_owned();
    assert_eq!(status_of(&app, &latest).await.0, StatusCode::OK);
    let replay = app.gql(REFRESH, json!({ "r": first })).await;
    assert_eq!(
        replay["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{replay}"
    );
    assert_eq!(
        status_of(&app, &latest).await.0,
        StatusCode::UNAUTHORIZED,
        "the newest session of the family ended"
    );
    let next = app
        .gql(REFRESH, json!({ "r": third["refreshToken"] }))
        .await;
    assert_eq!(
        next["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{next}"
    );
    // Another login's sessions are untouched.
    assert_eq!(status_of(&app, &token).await.0, StatusCode::OK);
}

/// Sends `n` aliased logins for `login` in one request; returns the HTTP status, the
/// `Retry-After` header and the code of each login (`OK` for a session).
async fn logins(
    app: &TestApp,
    login: &str,
    password: &str,
    n: usize,
    forwarded_for: Option<&str>,
) -> (StatusCode, Option<String>, Vec<String>) {
    let fields: String = (0..n)
        .map(|i| format!("l{i}: login(input: {{ login: $l, password: $p }}) {{ accessToken userErrors {{ code }} }} "))
        .collect();
    let mut req = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({
            "query": format!("mutation($l: String!, $p: String!) {{ {fields} }}"),
            "variables": { "l": login, "p": password }
        }));
    if let Some(xff) = forwarded_for {
        req = req.header("x-forwarded-for", xff);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let body: Value = resp.json().await.unwrap();
    let codes = (0..n)
        .map(|i| {
            let field = format!("l{i}");
            if body["data"][&field]["accessToken"].is_string() {
                return "OK".to_owned();
            }
            if let Some(code) = body["data"][&field]["userErrors"][0]["code"].as_str() {
                return code.to_owned();
            }
            body["errors"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|e| e["path"][0] == field.as_str())
                .and_then(|e| e["extensions"]["code"].as_str())
                .unwrap_or("?")
                .to_owned()
        })
        .collect();
    (status, retry, codes)
}

#[tokio::test]
async fn password_guessing_waits_longer_and_longer_on_every_replica() {
    let app = spawn_app().await;
    let me = app.user_token("猜密码目标").await;
    let (_, body) = status_of(&app, &me).await;
    let email = body["data"]["me"]["email"].as_str().unwrap().to_owned();

    // Thirty guesses in one request (aliases count one by one): five free failures and the
    // one that locks, then every guess waits.
    let (_, retry, codes) = logins(&app, &email, "wrong-guess-2026", 30, None).await;
    assert!(
        codes[..6].iter().all(|c| c == "UNAUTHENTICATED"),
        "{codes:?}"
    );
    assert!(codes[6..].iter().all(|c| c == "RATE_LIMITED"), "{codes:?}");
    assert_eq!(retry.as_deref(), Some("1"));

    // The right password waits too, on any replica (the counts are in the database).
    let other = app.replica().await;
    let (status, retry, codes) = logins(&other, &email, "Secret-pass-2026", 1, None).await;
    assert_eq!(codes, ["RATE_LIMITED"]);
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry.is_some());

    // Each further failure doubles the wait.
    app.clock.advance(Duration::seconds(1));
    let (_, _, codes) = logins(&app, &email, "wrong-guess-2026", 2, None).await;
    assert_eq!(codes, ["UNAUTHENTICATED", "RATE_LIMITED"]);
    let (_, retry, _) = logins(&app, &email, "Secret-pass-2026", 1, None).await;
    assert_eq!(retry.as_deref(), Some("2"));
    app.clock.advance(Duration::seconds(2));
    let (_, _, codes) = logins(&app, &email, "Secret-pass-2026", 1, None).await;
    assert_eq!(
        codes,
        ["OK"],
        "after the wait the right password works, and resets the count"
    );
    let (_, _, codes) = logins(&app, &email, "wrong-guess-2026", 1, None).await;
    assert_eq!(codes, ["UNAUTHENTICATED"]);
}

#[tokio::test]
async fn a_locked_email_tells_nothing_of_which_phone_is_the_same_persons() {
    let app = spawn_app().await;
    let register =
        "mutation($i: RegisterUserInput!) { register(input: $i) { userErrors { code } } }";
    for (email, phone) in [
        ("lock-a@example.com", "13900000001"),
        ("lock-b@example.com", "13900000002"),
    ] {
        let user = json!({ "email": email, "phone": phone, "displayName": "锁定", "password": "Secret-pass-2026" });
        let data = app.gql_ok(register, json!({ "i": { "user": user } })).await;
        assert_eq!(data["register"]["userErrors"], json!([]), "{data}");
    }
    let (_, _, codes) = logins(&app, "lock-a@example.com", "wrong-guess-2026", 7, None).await;
    assert_eq!(codes[6], "RATE_LIMITED", "{codes:?}");
    // The same person's phone and another person's answer alike.
    for phone in ["13900000001", "13900000002"] {
        let (status, retry, codes) = logins(&app, phone, "wrong-guess-2026", 1, None).await;
        assert_eq!(
            (status, retry, codes),
            (StatusCode::OK, None, vec!["UNAUTHENTICATED".to_owned()]),
            "{phone}"
        );
    }
}

#[tokio::test]
async fn one_address_guessing_many_accounts_waits_too() {
    let app = spawn_app().await;
    // Fifty free failures per address, spread over accounts that do not even exist.
    for batch in 0..2 {
        for i in 0..25 {
            let (_, _, codes) = logins(
                &app,
                &format!("nobody{batch}-{i}@example.com"),
                "guess-2026-x",
                1,
                None,
            )
            .await;
            assert_eq!(codes, ["UNAUTHENTICATED"]);
        }
    }
    let (_, _, codes) = logins(&app, "another@example.com", "guess-2026-x", 2, None).await;
    assert_eq!(
        codes,
        ["UNAUTHENTICATED", "RATE_LIMITED"],
        "the 51st failure locks the address"
    );
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_address_counts_on_its_own() {
    let app = spawn_app_with(Options {
        trusted_proxies: vec!["127.0.0.1".to_owned()],
        ..Default::default()
    })
    .await;
    // One client behind the proxy exhausts its address…
    for i in 0..51 {
        logins(
            &app,
            &format!("n{i}@example.com"),
            "guess-2026-x",
            1,
            Some("203.0.113.7"),
        )
        .await;
    }
    let (_, _, locked) = logins(
        &app,
        "x@example.com",
        "guess-2026-x",
        1,
        Some("203.0.113.7"),
    )
    .await;
    assert_eq!(locked, ["RATE_LIMITED"]);
    // …and another client behind the same proxy is not held up by it, even if it sends a
    // forged X-Forwarded-For of its own before the proxy's entry.
    let (_, _, codes) = logins(
        &app,
        "x@example.com",
        "guess-2026-x",
        1,
        Some("203.0.113.7, 198.51.100.9"),
    )
    .await;
    assert_eq!(codes, ["UNAUTHENTICATED"]);
}

#[tokio::test]
async fn guesses_sent_at_once_are_counted_before_they_are_checked() {
    let app = spawn_app().await;
    let me = app.user_token("并发猜测目标").await;
    let (_, body) = status_of(&app, &me).await;
    let email = body["data"]["me"]["email"].as_str().unwrap().to_owned();
    let answers =
        futures::future::join_all((0..30).map(|_| login_payload(&app, &email, "wrong-guess-2026")))
            .await;
    let checked = answers
        .iter()
        .filter(|a| a["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED")
        .count();
    assert!(
        checked <= 6,
        "at most the free failures and the locking one were checked: {checked}"
    );
}

#[tokio::test]
async fn a_personal_token_ends_with_the_family_of_the_session_that_made_it() {
    let app = spawn_app().await;
    let me = app.user_token("个人令牌家族").await;
    let (_, body) = status_of(&app, &me).await;
    let email = body["data"]["me"]["email"].as_str().unwrap().to_owned();
    const REFRESH: &str = "mutation($r: String!) { refreshToken(input: { refreshToken: $r }) { accessToken refreshToken } }";
    let first =
        login_payload(&app, &email, "Secret-pass-2026").await["data"]["login"]["refreshToken"]
            .as_str()
            .unwrap()
            .to_owned();
    // Someone with a copy of the refresh token refreshes and mints a personal token…
    let stolen = app.gql_ok(REFRESH, json!({ "r": first })).await["refreshToken"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let minted = app
        .gql_ok_as(
            &stolen,
            "mutation { createPersonalToken(input: { name: \"脚本\" }) { secret } }",
            json!({}),
        )
        .await["createPersonalToken"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(status_of(&app, &minted).await.0, StatusCode::OK);
    // …then the owner's own refresh with the same token reveals the reuse.
    let replay = app.gql(REFRESH, json!({ "r": first })).await;
    assert_eq!(replay["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    assert_eq!(
        status_of(&app, &minted).await.0,
        StatusCode::UNAUTHORIZED,
        "the minted token ended with its family"
    );
}

#[tokio::test]
async fn an_authorization_header_without_bearer_is_refused_not_taken_for_a_visitor() {
    let app = spawn_app().await;
    let token = app.user_token("忘写前缀用户").await;
    for value in [token.clone(), format!("Token {token}"), "Bearer".to_owned()] {
        let resp = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("Authorization", value.as_str())
            .json(&json!({ "query": "{ me { id } }" }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{value}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("Bearer <访问令牌>"),
            "{body}"
        );
    }
}
