//! Every domain newtype rejects bad input with a stable code and a Chinese message, and a
//! rejected mutation writes nothing.

use crate::common::*;
use serde_json::{Value, json};

async fn achievement_errors(app: &TestApp, owner: &Org, patch: Value) -> Vec<Value> {
    let fields = with(achievement_fields(), patch);
    let data = app
        .gql_ok_as(
            &owner.token,
            CREATE_ACHIEVEMENT,
            json!({ "input": { "ownerId": owner, "achievement": fields } }),
        )
        .await;
    assert_eq!(data["createAchievement"]["achievement"], json!(null));
    data["createAchievement"]["userErrors"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn has(errors: &[Value], code: &str, field: &str) -> bool {
    errors.iter().any(|e| {
        let path: Vec<&str> = e["field"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        e["code"] == code
            && path.join(".") == field
            && e["message"]
                .as_str()
                .is_some_and(|m| m.chars().any(|c| c > '\u{4e00}'))
    })
}

#[tokio::test]
async fn each_achievement_field_is_validated_and_nothing_is_written() {
    let app = spawn_app().await;
    let owner = app.university("青岛校验大学").await;
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({ "industries": ["D38"] }),
            "INVALID_INDUSTRY_CODE",
            "industries.0",
        ),
        (
            json!({ "industries": [] }),
            "INVALID_INDUSTRY_CODE",
            "industries",
        ),
        (
            json!({ "discipline": "999" }),
            "INVALID_DISCIPLINE_CODE",
            "discipline",
        ),
        (json!({ "trl": 10 }), "INVALID_TRL", "trl"),
        (json!({ "trl": 0 }), "INVALID_TRL", "trl"),
        (
            json!({ "ip": [{ "kind": "INVENTION_PATENT", "number": "ZL202310123456.7", "status": "GRANTED" }] }),
            "INVALID_PATENT_NUMBER",
            "ip.0.number",
        ),
        (
            json!({ "ip": [{ "kind": "UTILITY_MODEL", "number": "202310123456.6", "status": "FILED" }] }),
            "INVALID_IP_RECORD",
            "ip.0.number",
        ),
        (
            json!({ "ip": [{ "kind": "DESIGN", "status": "FILED" }] }),
            "INVALID_IP_RECORD",
            "ip.0.number",
        ),
        (
            json!({ "price": { "min": 2000000, "max": 100 } }),
            "INVALID_PRICE_RANGE",
            "price",
        ),
        (
            json!({ "price": { "min": -5 } }),
            "INVALID_PRICE_RANGE",
            "price",
        ),
        (
            json!({ "keywords": (0..11).map(|i| format!("关键词{i}")).collect::<Vec<_>>() }),
            "INVALID_KEYWORDS",
            "keywords",
        ),
        (
            json!({ "keywords": ["这是一个超过二十个字的非常非常非常非常长的关键词"] }),
            "INVALID_KEYWORDS",
            "keywords.0",
        ),
        (json!({ "title": "短" }), "INVALID_TEXT", "title"),
        (json!({ "summary": "" }), "INVALID_TEXT", "summary"),
        (
            json!({ "tracks": ["no-such-track"] }),
            "UNKNOWN_PRIORITY_TRACK",
            "tracks.0",
        ),
        (
            json!({ "registrationNumber": "12345" }),
            "INVALID_REGISTRATION_NUMBER",
            "registrationNumber",
        ),
        (
            json!({ "transferModes": ["COMMISSIONED_DEVELOPMENT"] }),
            "INVALID_ARGUMENT",
            "transferModes",
        ),
        (
            json!({ "transferModes": [] }),
            "INVALID_ARGUMENT",
            "transferModes",
        ),
    ];
    for (patch, code, field) in cases {
        let errors = achievement_errors(&app, &owner, patch.clone()).await;
        assert!(
            has(&errors, code, field),
            "{patch} should give {code} at {field}, got {errors:?}"
        );
    }
    let many = achievement_errors(
        &app,
        &owner,
        json!({ "trl": 11, "discipline": "1", "industries": ["Z"] }),
    )
    .await;
    assert!(
        many.len() >= 3,
        "every problem is reported at once: {many:?}"
    );

    let count = app
        .gql_ok(
            "{ achievements(filter: { statuses: [DRAFT] }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(count["achievements"]["totalCount"], 0);
    let drafts = app
        .services
        .achievements
        .list(&TestApp::system(), &Default::default(), Default::default())
        .await
        .expect("list");
    assert_eq!(drafts.total, 0, "no rejected achievement was written");
}

#[tokio::test]
async fn need_fields_are_validated() {
    let app = spawn_app().await;
    let firm = app.enterprise("青岛校验企业有限公司").await;
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({ "deadline": "2026-01-01" }),
            "INVALID_DATE",
            "deadline",
        ),
        (json!({ "minTrl": 12 }), "INVALID_TRL", "minTrl"),
        (
            json!({ "budget": { "min": 10, "max": 1 } }),
            "INVALID_PRICE_RANGE",
            "budget",
        ),
        (
            json!({ "industries": ["C9999"] }),
            "INVALID_INDUSTRY_CODE",
            "industries.0",
        ),
        (
            json!({ "cooperationModes": [] }),
            "INVALID_ARGUMENT",
            "cooperationModes",
        ),
        (json!({ "problem": "太短" }), "INVALID_TEXT", "problem"),
    ];
    for (patch, code, field) in cases {
        let data = app
            .gql_ok_as(
                &firm.token,
                CREATE_NEED,
                json!({ "input": { "ownerId": firm, "need": with(need_fields(), patch.clone()) } }),
            )
            .await;
        let errors = data["createNeed"]["userErrors"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            has(&errors, code, field),
            "{patch} should give {code} at {field}, got {errors:?}"
        );
        assert_eq!(data["createNeed"]["need"], json!(null));
    }
    let id = app.published_need(&firm, need_fields()).await;
    let bad_update = app
        .gql_ok_as(
            &firm.token,
            "mutation($input: UpdateNeedInput!) { updateNeed(input: $input) { need { title } userErrors { code field } } }",
            json!({ "input": { "id": id, "patch": { "title": "新的标题很合理", "minTrl": 0 } } }),
        )
        .await;
    assert_eq!(
        bad_update["updateNeed"]["userErrors"][0]["code"],
        "INVALID_TRL"
    );
    let node = app
        .gql_ok(
            "query($id: ID!) { node(id: $id) { ... on Need { title minTrl { level } } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        node["node"]["title"], "动力电池快充与低温性能提升",
        "a rejected update changes nothing"
    );
    assert_eq!(node["node"]["minTrl"]["level"], 6);
}

#[tokio::test]
async fn organisation_fields_are_validated_and_credit_codes_are_unique() {
    let app = spawn_app().await;
    let founder = app.user_token("创始人甲").await;
    let other = app.user_token("创始人乙").await;
    let good = credit_code_for("青岛唯一");
    let mut bad_check = good.clone();
    let last = bad_check.pop().unwrap();
    bad_check.push(if last == '0' { '1' } else { '0' });
    let create = "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } userErrors { code field message } } }";
    let org = |code: &str, region: &str| json!({ "input": { "organization": { "kind": "ENTERPRISE", "name": "青岛唯一科技有限公司", "creditCode": code, "region": region, "contactEmail": "a@example.com" } } });
    let cases = [
        (
            org(&bad_check, "370211"),
            "INVALID_CREDIT_CODE",
            "creditCode",
        ),
        (
            org("91370212ABC", "370211"),
            "INVALID_CREDIT_CODE",
            "creditCode",
        ),
        (org(&good, "370299"), "INVALID_REGION_CODE", "region"),
        (org(&good, "37021"), "INVALID_REGION_CODE", "region"),
    ];
    for (input, code, field) in cases {
        let data = app.gql_ok_as(&founder, create, input.clone()).await;
        let errors = data["createOrganization"]["userErrors"]
            .as_array()
            .cloned()
            .unwrap();
        assert!(
            has(&errors, code, field),
            "{input} should give {code}: {errors:?}"
        );
    }
    let mut email = org(&good, "370211");
    email["input"]["organization"]["contactEmail"] = json!("not-an-email");
    let data = app.gql_ok_as(&founder, create, email).await;
    assert_eq!(
        data["createOrganization"]["userErrors"][0]["code"],
        "INVALID_CONTACT"
    );

    let anonymous = app.gql(create, org(&good, "370211")).await;
    assert_eq!(
        anonymous["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    let first = app.gql_ok_as(&founder, create, org(&good, "370211")).await;
    assert_eq!(first["createOrganization"]["userErrors"], json!([]));
    let again = app
        .gql_ok_as(&founder, create, org(&credit_code_for("另一家"), "370211"))
        .await;
    assert!(
        again["createOrganization"]["userErrors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("只能属于一个机构")
    );
    let second = app
        .gql_ok_as(&other, create, org(&good.to_lowercase(), "370211"))
        .await;
    assert_eq!(
        second["createOrganization"]["userErrors"][0]["code"],
        "CONFLICT"
    );
    let count = app
        .gql_ok("{ organizations { totalCount } }", json!({}))
        .await;
    assert_eq!(count["organizations"]["totalCount"], 1);
}

#[tokio::test]
async fn bad_filters_are_typed_errors_not_empty_pages() {
    let app = spawn_app().await;
    for (filter, code) in [
        (json!({ "industry": "Z9" }), "INVALID_INDUSTRY_CODE"),
        (json!({ "discipline": "000" }), "INVALID_DISCIPLINE_CODE"),
        (json!({ "region": "37x" }), "INVALID_REGION_CODE"),
        (json!({ "trlMin": 7, "trlMax": 3 }), "INVALID_TRL"),
        (
            json!({ "priceMin": 10, "priceMax": 1 }),
            "INVALID_PRICE_RANGE",
        ),
        (json!({ "ownerId": "garbage" }), "INVALID_ID"),
    ] {
        let body = app
            .gql(
                "query($f: AchievementFilterInput) { achievements(filter: $f) { totalCount } }",
                json!({ "f": filter }),
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], code,
            "{filter}: {body}"
        );
    }
}

#[tokio::test]
async fn control_characters_are_refused_as_a_field_error_on_every_backend_and_change_nothing() {
    let app = spawn_app().await;
    let firm = app.enterprise("青岛控制字符测试有限公司").await;
    // In a variable: the error names the field, and no need is created.
    let body = app
        .gql_as(
            &firm.token,
            CREATE_NEED,
            json!({ "input": { "ownerId": firm, "need": with(need_fields(), json!({ "title": "高盐\u{0}废水" })) } }),
        )
        .await;
    let err = &body["errors"][0];
    assert_eq!(err["extensions"]["code"], "INVALID_TEXT", "{body}");
    assert_eq!(
        err["extensions"]["fields"][0]["field"],
        json!(["variables", "input", "need", "title"]),
        "{body}"
    );
    assert!(err["message"].as_str().unwrap().contains("控制字符"));
    // Inline in the document, as an escape.
    let inline = app
        .gql_as(
            &firm.token,
            "mutation { saveSearch(input: { name: \"订阅\\u0000\", query: \"海水淡化\" }) { savedSearch { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        inline["errors"][0]["extensions"]["code"], "INVALID_TEXT",
        "{inline}"
    );
    let count = app
        .gql_ok_as(&firm.token, "{ needs(first: 5, filter: { statuses: [DRAFT] }) { totalCount } savedSearches { totalCount nodes { id } } }", json!({}))
        .await;
    assert_eq!(count["needs"]["totalCount"], 0, "{count}");
    assert_eq!(
        count["savedSearches"],
        json!({ "totalCount": 0, "nodes": [] }),
        "{count}"
    );
    // Tabs and line breaks are text.
    let fine = app
        .gql_ok_as(
            &firm.token,
            CREATE_NEED,
            json!({ "input": { "ownerId": firm, "need": with(need_fields(), json!({ "problem": "第一行\n第二行\t要求" })) } }),
        )
        .await;
    assert_eq!(fine["createNeed"]["userErrors"], json!([]), "{fine}");
}

#[tokio::test]
async fn a_search_that_would_cost_more_than_any_real_one_is_refused_at_once() {
    let app = spawn_app().await;
    const SEARCH: &str = "query($q: String!) { search(query: $q, first: 5) { totalCount } }";
    for (q, why) in [
        ("a".repeat(100_000), "one 100,000-letter word"),
        ("x".repeat(65), "a 65-letter word"),
        ("海洋浮标 ".repeat(60), "300 characters"),
        ("海洋\u{0}浮标".to_owned(), "a NUL"),
    ] {
        // Refused by the bounds, before any analysis runs.
        let body = app.gql(SEARCH, json!({ "q": q })).await;
        let code = &body["errors"][0]["extensions"]["code"];
        assert!(
            code == "INVALID_QUERY" || code == "INVALID_TEXT",
            "{why}: {body}"
        );
    }
    // A long but real query still runs.
    let ok = app
        .gql_ok(
            SEARCH,
            json!({ "q": "海水淡化 反渗透膜 耐腐蚀钛合金 THz 成像 GB/T 22900" }),
        )
        .await;
    assert!(ok["search"]["totalCount"].is_number());
}
