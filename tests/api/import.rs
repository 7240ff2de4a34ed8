//! Spreadsheet import over a real GraphQL multipart upload: the committed template, a dry
//! run, a real run and a re-import (unchanged, then one row updated); a partly invalid XLSX in
//! both modes; malformed files; other layouts through a column mapping; who may import; and
//! a row recognised as a result the organisation entered by hand.

use crate::common::*;
use serde_json::{Value, json};

const IMPORT: &str = "mutation($org: ID!, $file: Upload!, $options: ImportOptionsInput) {
  importAchievements(organizationId: $org, file: $file, options: $options) {
    dryRun applied total created updated unchanged existing rejected ignoredColumns
    rows { totalCount nodes { row key title action achievementId errors { column code message } } }
    rejectedRows: rows(rejectedOnly: true, first: 1) { totalCount nodes { row } pageInfo { hasNextPage endCursor } }
  } }";

fn template() -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("docs/import/achievements-template.csv"),
    )
    .expect("the template is committed")
}

async fn import(
    app: &TestApp,
    token: Option<&str>,
    org: &Org,
    name: &str,
    bytes: Vec<u8>,
    options: Value,
) -> Value {
    app.upload(
        token,
        IMPORT,
        json!({ "org": org, "file": null, "options": options }),
        name,
        bytes,
    )
    .await
}

async fn report(app: &TestApp, org: &Org, name: &str, bytes: Vec<u8>, options: Value) -> Value {
    let body = import(app, Some(&org.token), org, name, bytes, options).await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["importAchievements"].clone()
}

/// Titles of every result of every status, as an operator sees them.
async fn titles(app: &TestApp, operator: &str) -> Vec<String> {
    let data = app
        .gql_ok_as(
            operator,
            "{ achievements(first: 100, filter: { statuses: [DRAFT, PUBLISHED, WITHDRAWN, EXPIRED, TRANSFERRED] }) { nodes { title } } }",
            json!({}),
        )
        .await;
    let mut out: Vec<String> = data["achievements"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap().to_owned())
        .collect();
    out.sort();
    out
}

/// 300-odd bytes whose shared-string table announces 2^42 strings: reading it as calamine
/// does made room for them first and aborted the process.
fn shared_string_bomb() -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, content) in [
        (
            "_rels/.rels",
            r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        ),
        (
            "xl/sharedStrings.xml",
            r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount="4398046511104"><si><t>a</t></si></sst>"#,
        ),
    ] {
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(content.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// An XLSX workbook of string cells, except cells that parse as numbers (as Excel stores them).
fn xlsx(rows: &[Vec<&str>]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            match v.parse::<f64>() {
                Ok(n) => sheet.write_number(r as u32, c as u16, n),
                Err(_) => sheet.write_string(r as u32, c as u16, *v),
            }
            .unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

const HEADERS: [&str; 7] = [
    "成果名称",
    "成果简介",
    "学科代码",
    "行业代码",
    "技术成熟度",
    "转化方式",
    "备注",
];

fn row<'a>(title: &'a str, industry: &'a str, trl: &'a str, mode: &'a str) -> Vec<&'a str> {
    vec![
        title,
        "面向青岛海洋产业的成果，已完成实验室验证并具备中试条件。",
        "530",
        industry,
        trl,
        mode,
        "内部备注",
    ]
}

#[tokio::test]
async fn template_dry_run_then_import_then_reimport_unchanged_and_updated() {
    let app = spawn_app().await;
    let operator = app.operator_token("导入核对员").await;
    let org = app
        .create_org("UNIVERSITY", "青岛滨海大学", "370212", false)
        .await;

    let dry = report(
        &app,
        &org,
        "成果导入模板.csv",
        template(),
        json!({ "dryRun": true }),
    )
    .await;
    assert_eq!(
        (
            dry["dryRun"].clone(),
            dry["applied"].clone(),
            dry["total"].clone(),
            dry["created"].clone()
        ),
        (json!(true), json!(false), json!(2), json!(2)),
        "{dry}"
    );
    assert_eq!(
        dry["rows"]["nodes"][0]["row"], 2,
        "rows are numbered as the spreadsheet shows them"
    );
    assert_eq!(dry["rows"]["nodes"][0]["achievementId"], Value::Null);
    assert!(
        titles(&app, &operator).await.is_empty(),
        "a dry run writes nothing"
    );

    let done = report(&app, &org, "成果导入模板.csv", template(), json!({})).await;
    assert_eq!(
        (done["applied"].clone(), done["created"].clone()),
        (json!(true), json!(2)),
        "{done}"
    );
    let id = done["rows"]["nodes"][0]["achievementId"]
        .as_str()
        .unwrap()
        .to_owned();
    let data = app
        .gql_ok_as(
            &org.token,
            "query($id: ID!) { node(id: $id) { ... on Achievement { title status discipline { code } industries { code } trl { level } maturity transferModes price { min max } ipRecords { number status } sources { source externalId primary } } } }",
            json!({ "id": id }),
        )
        .await;
    let a = &data["node"];
    assert_eq!(a["title"], "海藻酸盐纤维医用敷料制备技术");
    assert_eq!(
        a["status"], "DRAFT",
        "imports are drafts unless published on purpose"
    );
    assert_eq!(a["discipline"]["code"], "530");
    assert_eq!(
        a["industries"],
        json!([{ "code": "C2770" }, { "code": "C2821" }])
    );
    assert_eq!(
        (a["trl"]["level"].clone(), a["maturity"].clone()),
        (json!(6), json!("PILOT_SCALE"))
    );
    assert_eq!(
        a["transferModes"],
        json!(["ASSIGNMENT", "LICENSE_NON_EXCLUSIVE"])
    );
    assert_eq!(a["price"], json!({ "min": 800000, "max": 1200000 }));
    assert_eq!(
        a["ipRecords"],
        json!([{ "number": "ZL202310123456.6", "status": "GRANTED" }])
    );
    assert_eq!(
        a["sources"],
        json!([{ "source": "SPREADSHEET", "externalId": "QDU-2026-001", "primary": true }])
    );

    // The same file again: nothing changes, nothing is duplicated.
    let again = report(&app, &org, "成果导入模板.csv", template(), json!({})).await;
    assert_eq!(
        (again["unchanged"].clone(), again["created"].clone()),
        (json!(2), json!(0)),
        "{again}"
    );
    assert_eq!(again["rows"]["nodes"][0]["achievementId"], json!(id));
    assert_eq!(titles(&app, &operator).await.len(), 2);

    // One row edited in the office's spreadsheet: that result is updated in place.
    let edited = String::from_utf8(template())
        .unwrap()
        .replace("已完成中试。", "已完成中试并在即墨建成示范线。");
    let changed = report(
        &app,
        &org,
        "成果导入模板.csv",
        edited.into_bytes(),
        json!({}),
    )
    .await;
    assert_eq!(
        (changed["updated"].clone(), changed["unchanged"].clone()),
        (json!(1), json!(1)),
        "{changed}"
    );
    let data = app
        .gql_ok_as(
            &org.token,
            "query($id: ID!) { node(id: $id) { ... on Achievement { summary status } } }",
            json!({ "id": id }),
        )
        .await;
    assert!(data["node"]["summary"].as_str().unwrap().contains("示范线"));
    assert_eq!(data["node"]["status"], "DRAFT");
}

#[tokio::test]
async fn partly_invalid_xlsx_all_or_nothing_then_row_by_row() {
    let app = spawn_app().await;
    let operator = app.operator_token("导入核对员").await;
    let org = app
        .create_org("UNIVERSITY", "青岛东岸理工学院", "370211", false)
        .await;
    let rows = vec![
        HEADERS.to_vec(),
        row("深海多波束测深数据处理软件", "C3734", "6", "转让"),
        row("海水提铀吸附材料", "Z9999", "高", "拍卖"),
        row("船用低温余热发电装置", "C3734", "7", "合作开发；技术服务"),
        row("深海多波束测深数据处理软件", "C3734", "5", "转让"),
    ];
    let file = xlsx(&rows);

    let all = report(&app, &org, "成果.xlsx", file.clone(), json!({})).await;
    assert_eq!(
        (
            all["applied"].clone(),
            all["created"].clone(),
            all["rejected"].clone()
        ),
        (json!(false), json!(2), json!(2)),
        "{all}"
    );
    assert_eq!(all["ignoredColumns"], json!(["备注"]));
    assert!(
        titles(&app, &operator).await.is_empty(),
        "a rejected row keeps the whole file out"
    );
    assert_eq!(all["rows"]["nodes"][0]["achievementId"], Value::Null);
    let bad = &all["rows"]["nodes"][1];
    assert_eq!(
        (bad["row"].clone(), bad["action"].clone()),
        (json!(3), json!("REJECT"))
    );
    let columns: Vec<(&str, &str)> = bad["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["column"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert!(
        columns.contains(&("技术成熟度", "INVALID_TRL")),
        "{columns:?}"
    );
    assert!(
        columns.contains(&("转化方式", "INVALID_ARGUMENT")),
        "{columns:?}"
    );
    assert!(
        columns.contains(&("行业代码", "INVALID_INDUSTRY_CODE")),
        "{columns:?}"
    );
    let repeat = &all["rows"]["nodes"][3];
    assert_eq!(repeat["action"], "REJECT");
    assert_eq!(all["rows"]["totalCount"], 4);
    // Rejected rows page like any connection.
    let rejected = &all["rejectedRows"];
    assert_eq!(rejected["totalCount"], 2, "{rejected}");
    assert_eq!(rejected["nodes"], json!([{ "row": 3 }]));
    assert_eq!(rejected["pageInfo"]["hasNextPage"], true);
    assert!(
        repeat["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("第 2 行"),
        "{repeat}"
    );

    let per_row = report(&app, &org, "成果.xlsx", file, json!({ "mode": "PER_ROW" })).await;
    assert_eq!(
        (
            per_row["applied"].clone(),
            per_row["created"].clone(),
            per_row["rejected"].clone()
        ),
        (json!(true), json!(2), json!(2)),
        "{per_row}"
    );
    assert!(per_row["rows"]["nodes"][0]["achievementId"].is_string());
    assert_eq!(
        titles(&app, &operator).await,
        vec!["深海多波束测深数据处理软件", "船用低温余热发电装置"]
    );
}

#[tokio::test]
async fn malformed_files_are_refused_and_other_layouts_map() {
    let app = spawn_app().await;
    let operator = app.operator_token("导入核对员").await;
    let org = app
        .create_org("RESEARCH_INSTITUTE", "青岛海岸带研究所", "370203", false)
        .await;

    for (name, bytes, says) in [
        (
            "坏.xlsx",
            b"PK\x03\x04not really a zip".to_vec(),
            "文件无法读取",
        ),
        (
            "旧.xls",
            vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1],
            ".xlsx",
        ),
        ("炸弹.xlsx", shared_string_bomb(), "共享字符串表"),
        (
            "两万零一行.csv",
            format!(
                "成果名称,成果简介\n{}",
                "海水淡化膜,一种耐污染的反渗透膜。\n".repeat(20_001)
            )
            .into_bytes(),
            "最多导入 20000 行",
        ),
        // 20,000 rows pass the bound, even when each spans two lines (the file then stops at
        // its header, which lacks the required columns).
        (
            "两万行.csv",
            format!(
                "项目,介绍\n{}",
                "海水淡化膜,\"第一行\n第二行\"\n".repeat(20_000)
            )
            .into_bytes(),
            "缺少必填列",
        ),
        ("空.csv", Vec::new(), "表头"),
        (
            "缺列.csv",
            "项目,介绍,学科代码,行业代码,技术成熟度,转化方式\n"
                .as_bytes()
                .to_vec(),
            "缺少必填列：成果名称、成果简介",
        ),
    ] {
        let body = import(&app, Some(&org.token), &org, name, bytes, json!({})).await;
        assert_eq!(error_code(&body), "INVALID_FILE", "{name}: {body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(says),
            "{name}: {body}"
        );
    }

    let odd = "项目,介绍,学科代码,行业代码,技术成熟度,转化方式\n\
               潮流能水轮机叶片复合材料,碳纤维复合材料叶片耐海水腐蚀，已在斋堂岛完成海试。,41630,C3734,7,转让\n";
    let mapped = report(
        &app,
        &org,
        "其他格式.csv",
        odd.as_bytes().to_vec(),
        json!({ "mapping": [{ "column": "项目", "field": "TITLE" }, { "column": "介绍", "field": "SUMMARY" }] }),
    )
    .await;
    assert_eq!(
        (mapped["applied"].clone(), mapped["created"].clone()),
        (json!(true), json!(1)),
        "{mapped}"
    );
    assert_eq!(
        titles(&app, &operator).await,
        vec!["潮流能水轮机叶片复合材料"]
    );

    // A mapping naming a header the file lacks is a file error too, and writes nothing.
    let body = import(
        &app,
        Some(&org.token),
        &org,
        "其他格式.csv",
        odd.as_bytes().to_vec(),
        json!({ "mapping": [{ "column": "名称", "field": "TITLE" }] }),
    )
    .await;
    assert_eq!(error_code(&body), "INVALID_FILE", "{body}");
    assert_eq!(titles(&app, &operator).await.len(), 1);

    let template = app
        .gql_ok("{ importTemplate { header required } }", json!({}))
        .await;
    let required: Vec<&str> = template["importTemplate"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["required"] == true)
        .map(|c| c["header"].as_str().unwrap())
        .collect();
    assert_eq!(
        required,
        vec![
            "成果名称",
            "成果简介",
            "学科代码",
            "行业代码",
            "技术成熟度",
            "转化方式"
        ]
    );
}

#[tokio::test]
async fn only_members_import_publishing_needs_verification_and_known_results_are_linked() {
    let app = spawn_app().await;
    let operator = app.operator_token("导入核对员").await;
    let unverified = app
        .create_org("UNIVERSITY", "青岛北岸学院", "370214", false)
        .await;
    let verified = app
        .create_org("UNIVERSITY", "青岛南岸大学", "370202", true)
        .await;

    let anonymous = import(&app, None, &verified, "a.csv", template(), json!({})).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED", "{anonymous}");
    let outsider = import(
        &app,
        Some(&unverified.token),
        &verified,
        "a.csv",
        template(),
        json!({}),
    )
    .await;
    assert_eq!(error_code(&outsider), "FORBIDDEN", "{outsider}");
    let unverified_publish = import(
        &app,
        Some(&unverified.token),
        &unverified,
        "a.csv",
        template(),
        json!({ "publish": true }),
    )
    .await;
    assert_eq!(
        error_code(&unverified_publish),
        "FORBIDDEN",
        "{unverified_publish}"
    );
    assert!(titles(&app, &operator).await.is_empty());

    // The second template row was already entered by hand: it is recognised, not duplicated.
    let by_hand = app
        .create_achievement(
            &verified,
            with(
                achievement_fields(),
                json!({ "title": "深远海养殖网箱水质在线监测浮标", "ip": [] }),
            ),
        )
        .await;
    let done = report(
        &app,
        &verified,
        "a.csv",
        template(),
        json!({ "publish": true }),
    )
    .await;
    assert_eq!(
        (done["created"].clone(), done["existing"].clone()),
        (json!(1), json!(1)),
        "{done}"
    );
    assert_eq!(done["rows"]["nodes"][1]["achievementId"], json!(by_hand));
    let data = app
        .gql_ok_as(
            &verified.token,
            "query($id: ID!) { node(id: $id) { ... on Achievement { summary sources { source externalId primary } } } }",
            json!({ "id": by_hand }),
        )
        .await;
    assert_eq!(
        data["node"]["sources"],
        json!([{ "source": "SPREADSHEET", "externalId": "QDU-2026-002", "primary": false }])
    );
    assert!(
        data["node"]["summary"]
            .as_str()
            .unwrap()
            .contains("Li6PS5Cl"),
        "a recognised result keeps the content entered by hand"
    );
    assert_eq!(titles(&app, &operator).await.len(), 2);

    // Published on import: anyone finds it once indexed.
    app.run_jobs().await;
    let found = app
        .gql_ok(
            "{ search(query: \"海藻酸盐 敷料\") { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(found["search"]["totalCount"], 1, "{found}");
}
