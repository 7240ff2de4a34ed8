//! Two-way matching over HTTP: ranked results for a need and needs for a result with reasons
//! (shared terms, the industry ↔ discipline crosswalk, TRL fit), visibility of candidates,
//! stored matches following changes, and dismissals that stick.

use crate::common::*;
use serde_json::{Value, json};

const FOR_NEED: &str = "query($id: ID!) { matchesForNeed(id: $id, first: 10) { totalCount nodes { score achievementId achievement { id title } reasons { explanation sharedTerms { term weight } textScore field fieldCodes trl trlHave trlWant region mode modes } } } }";
const FOR_ACHIEVEMENT: &str = "query($id: ID!) { matchesForAchievement(id: $id, first: 10) { totalCount nodes { score needId need { id title visibility } reasons { explanation field trl } } } }";
const DISMISS: &str = "mutation($n: ID!, $a: ID!) { dismissMatch(input: { needId: $n, achievementId: $a }) { dismissed userErrors { code message } } }";

struct Market {
    app: TestApp,
    university: Org,
    firm: Org,
    /// Solid-state electrolyte, 纳米材料, TRL 7.
    mature: String,
    /// The same field at TRL 3.
    early: String,
    /// Aquaculture: unrelated.
    unrelated: String,
    /// A firm's public need in C384 wanting TRL ≥ 6.
    need: String,
}

async fn market() -> Market {
    let app = spawn_app().await;
    let university = app.university("青岛匹配大学").await;
    let firm = app.enterprise("青岛匹配电池有限公司").await;
    let mature = app
        .published_achievement(
            &university,
            with(
                achievement_fields(),
                json!({
                    "title": "硫化物固态电解质规模化制备技术",
                    "summary": "液相法合成硫化物固态电解质，用于全固态锂电池，低温离子电导率高，支持快充。",
                    "keywords": ["固态电池", "硫化物电解质", "快充"],
                    "discipline": "43070",
                    "industries": ["M73"],
                    "trl": 7
                }),
            ),
        )
        .await;
    let early = app
        .published_achievement(
            &university,
            with(
                achievement_fields(),
                json!({
                    "title": "固态锂电池界面改性方法",
                    "summary": "原位聚合改善固态电解质与电极界面，提升锂电池低温循环性能，仍处于实验室阶段。",
                    "keywords": ["固态电池", "界面"],
                    "discipline": "43070",
                    "industries": ["M73"],
                    "trl": 3
                }),
            ),
        )
        .await;
    let unrelated = app
        .published_achievement(
            &university,
            with(
                achievement_fields(),
                json!({
                    "title": "刺参工厂化育苗技术",
                    "summary": "海参苗种繁育与病害防控，提高育苗成活率。",
                    "keywords": ["海参", "育苗"],
                    "applicationFields": "水产养殖",
                    "advantages": "成活率提高",
                    "requirements": "具备育苗车间",
                    "discipline": "24020",
                    "industries": ["A041"],
                    "trl": 8
                }),
            ),
        )
        .await;
    let need = app
        .published_need(
            &firm,
            with(
                need_fields(),
                json!({
                    "title": "固态电池电解质低温快充方案",
                    "problem": "现有锂电池低温容量衰减明显，希望引入固态电解质实现快充与低温性能提升。",
                    "keywords": ["固态电池", "快充"],
                    "industries": ["C384"],
                    "discipline": null,
                    "minTrl": 6
                }),
            ),
        )
        .await;
    app.services.search.catch_up().await.unwrap();
    Market {
        app,
        university,
        firm,
        mature,
        early,
        unrelated,
        need,
    }
}

fn ids(matches: &Value, key: &str) -> Vec<String> {
    matches
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m[key].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_need_finds_results_ranked_with_reasons_through_the_crosswalk_and_trl_fit() {
    let m = market().await;
    let found =
        m.app.gql_ok(FOR_NEED, json!({ "id": m.need })).await["matchesForNeed"]["nodes"].clone();
    let order = ids(&found, "achievementId");
    assert_eq!(order[..2], [m.mature.clone(), m.early.clone()], "{found:#}");
    if let Some(last) = order.iter().position(|id| *id == m.unrelated) {
        assert_eq!(last, order.len() - 1, "the unrelated result ranks last");
    }
    let best = &found[0];
    let reasons = &best["reasons"];
    let terms: Vec<&str> = reasons["sharedTerms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["term"].as_str().unwrap())
        .collect();
    assert!(terms.contains(&"固态电池"), "{terms:?}");
    assert!(terms.contains(&"快充"), "{terms:?}");
    let weights: f64 = reasons["sharedTerms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["weight"].as_f64().unwrap())
        .sum();
    assert!(weights > 0.0 && weights <= 1.0001, "{weights}");
    // The need names only industry C384; the result only discipline 43070 纳米材料.
    assert_eq!(reasons["field"], "CROSSWALK");
    assert_eq!(reasons["fieldCodes"], json!(["C38", "43070"]));
    assert_eq!(reasons["trl"], "MEETS");
    assert_eq!(reasons["region"], "SAME_CITY");
    assert_eq!(reasons["mode"], "COMPATIBLE");
    let explanation = reasons["explanation"].to_string();
    assert!(explanation.contains("C38 电气机械和器材制造业 ↔ 43070 纳米材料"));
    assert!(explanation.contains("双方同在青岛市"), "{explanation}");

    let early = &found[1]["reasons"];
    assert_eq!(early["trl"], "BELOW");
    assert_eq!(
        (early["trlHave"].as_i64(), early["trlWant"].as_i64()),
        (Some(3), Some(6))
    );
    assert!(
        early["explanation"]
            .to_string()
            .contains("成熟度 TRL 3 低于需求要求的 TRL 6"),
        "the immature result says why it ranks lower"
    );
    assert!(best["score"].as_f64().unwrap() > found[1]["score"].as_f64().unwrap());

    // The other way round: the mature result finds the need.
    let back = m
        .app
        .gql_ok(FOR_ACHIEVEMENT, json!({ "id": m.mature }))
        .await["matchesForAchievement"]["nodes"]
        .clone();
    assert_eq!(ids(&back, "needId")[0], m.need, "{back:#}");
    assert_eq!(back[0]["reasons"]["field"], "CROSSWALK");
}

#[tokio::test]
async fn matches_page_through_one_ranking_with_cursors() {
    let m = market().await;
    const PAGE: &str = "query($id: ID!, $after: String) { matchesForNeed(id: $id, first: 1, after: $after) { totalCount edges { cursor node { achievementId } } nodes { achievementId } pageInfo { hasNextPage hasPreviousPage endCursor } } }";
    let all = m.app.gql_ok(FOR_NEED, json!({ "id": m.need })).await["matchesForNeed"].clone();
    let ranking = ids(&all["nodes"], "achievementId");
    assert!(ranking.len() >= 2, "{all:#}");
    assert_eq!(all["totalCount"], ranking.len());

    let mut after = Value::Null;
    let mut walked = Vec::new();
    loop {
        let page = m
            .app
            .gql_ok(PAGE, json!({ "id": m.need, "after": after }))
            .await["matchesForNeed"]
            .clone();
        assert_eq!(
            page["totalCount"],
            ranking.len(),
            "the same ranking on every page"
        );
        assert_eq!(page["nodes"][0], page["edges"][0]["node"]);
        assert_eq!(page["pageInfo"]["hasPreviousPage"], !walked.is_empty());
        walked.extend(ids(&page["nodes"], "achievementId"));
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(walked, ranking);
}

#[tokio::test]
async fn candidates_obey_visibility_and_bad_calls_get_typed_errors() {
    let m = market().await;
    let secret = m
        .app
        .published_need(
            &m.firm,
            with(
                need_fields(),
                json!({ "title": "保密固态电池快充需求", "visibility": "CONFIDENTIAL", "industries": ["C384"], "minTrl": 6 }),
            ),
        )
        .await;
    m.app.services.search.catch_up().await.unwrap();
    let anonymous = m
        .app
        .gql_ok(FOR_ACHIEVEMENT, json!({ "id": m.mature }))
        .await["matchesForAchievement"]["nodes"]
        .clone();
    assert!(!ids(&anonymous, "needId").contains(&secret));
    assert!(!anonymous.to_string().contains("保密"));
    let owner = m
        .app
        .gql_ok_as(&m.firm.token, FOR_ACHIEVEMENT, json!({ "id": m.mature }))
        .await["matchesForAchievement"]["nodes"]
        .clone();
    assert!(
        ids(&owner, "needId").contains(&secret),
        "its owner sees its confidential need matched: {owner:#}"
    );

    let hidden = m.app.gql(FOR_NEED, json!({ "id": secret })).await;
    assert_eq!(hidden["errors"][0]["extensions"]["code"], "NOT_FOUND");
    assert!(!hidden.to_string().contains("保密"));
    let too_many = m
        .app
        .gql(
            "query($id: ID!) { matchesForNeed(id: $id, first: 500) { nodes { score } } }",
            json!({ "id": m.need }),
        )
        .await;
    assert_eq!(
        too_many["errors"][0]["extensions"]["code"],
        "INVALID_ARGUMENT"
    );
    let wrong_kind = m.app.gql(FOR_NEED, json!({ "id": m.mature })).await;
    assert!(wrong_kind["errors"][0]["extensions"]["code"].is_string());
}

#[tokio::test]
async fn stored_matches_follow_changes_and_dismissals_stick_for_their_side() {
    use qianxian::db::outbox::ListingKind;
    let m = market().await;
    let services = &m.app.services;
    services.matching.refresh_stored().await.unwrap();
    let need_id = id_of(&m.need);
    let stored = |rows: Vec<qianxian::db::entities::listing_match::Model>| -> Vec<i32> {
        rows.iter().map(|r| r.achievement_id).collect()
    };
    let first = stored(
        services
            .matching
            .stored_for(ListingKind::Need, need_id, 20)
            .await
            .unwrap(),
    );
    assert_eq!(first[..2], [id_of(&m.mature), id_of(&m.early)], "{first:?}");

    // Only members of either side may dismiss; the firm dismisses the early result.
    let visitor = m.app.user_token("路人").await;
    let refused = m
        .app
        .gql_as(&visitor, DISMISS, json!({ "n": m.need, "a": m.early }))
        .await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let anonymous = m
        .app
        .gql(DISMISS, json!({ "n": m.need, "a": m.early }))
        .await;
    assert_eq!(
        anonymous["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    let done = m
        .app
        .gql_ok_as(&m.firm.token, DISMISS, json!({ "n": m.need, "a": m.early }))
        .await;
    assert_eq!(done["dismissMatch"]["dismissed"], true, "{done}");
    // The dismissal is kept as a judgement on the match, with the score it was stored with.
    let judged = services
        .matching
        .judgements(need_id, id_of(&m.early))
        .await
        .unwrap();
    assert_eq!(judged.len(), 1, "{judged:?}");
    assert_eq!(judged[0].judgement, "DISMISSED_FOR_NEED");
    assert!(judged[0].score.is_some_and(|s| s > 0.0), "{judged:?}");
    assert!(judged[0].actor_id.is_some());
    // Clicked again, eight times at once: still one dismissal and one judgement (on
    // PostgreSQL the eight transactions race for the row).
    let again = futures::future::join_all((0..8).map(|_| {
        m.app
            .gql_as(&m.firm.token, DISMISS, json!({ "n": m.need, "a": m.early }))
    }))
    .await;
    for r in &again {
        assert_eq!(r["data"]["dismissMatch"]["dismissed"], true, "{r}");
    }
    let judged_again = services
        .matching
        .judgements(need_id, id_of(&m.early))
        .await
        .unwrap();
    assert_eq!(
        judged_again, judged,
        "a repeated dismissal is no new judgement"
    );

    let live = m
        .app
        .gql_ok_as(&m.firm.token, FOR_NEED, json!({ "id": m.need }))
        .await;
    assert!(!ids(&live["matchesForNeed"]["nodes"], "achievementId").contains(&m.early));
    // The university's side is untouched: its result still finds the need.
    let theirs = m
        .app
        .gql_ok(FOR_ACHIEVEMENT, json!({ "id": m.early }))
        .await;
    assert!(ids(&theirs["matchesForAchievement"]["nodes"], "needId").contains(&m.need));

    // Changing the need recomputes its matches in the background; the dismissal stays.
    let update = m
        .app
        .gql_ok_as(
            &m.firm.token,
            "mutation($id: ID!) { updateNeed(input: { id: $id, patch: { problem: \"希望引入固态电解质，实现锂电池快充与低温性能提升，用于储能。\" } }) { userErrors { code } } }",
            json!({ "id": m.need }),
        )
        .await;
    assert_eq!(update["updateNeed"]["userErrors"], json!([]));
    services.search.catch_up().await.unwrap();
    assert!(services.matching.refresh_stored().await.unwrap() >= 1);
    let after = stored(
        services
            .matching
            .stored_for(ListingKind::Need, need_id, 20)
            .await
            .unwrap(),
    );
    assert!(after.contains(&id_of(&m.mature)));
    assert!(
        !after.contains(&id_of(&m.early)),
        "dismissed stays dismissed"
    );
    let live = m
        .app
        .gql_ok_as(&m.firm.token, FOR_NEED, json!({ "id": m.need }))
        .await;
    assert!(!ids(&live["matchesForNeed"]["nodes"], "achievementId").contains(&m.early));

    // Withdrawing a result removes its stored matches.
    let withdrawn = m.app.lifecycle("withdrawAchievement", &m.mature).await;
    assert_eq!(withdrawn["userErrors"], json!([]));
    services.search.catch_up().await.unwrap();
    services.matching.refresh_stored().await.unwrap();
    let after = stored(
        services
            .matching
            .stored_for(ListingKind::Need, need_id, 20)
            .await
            .unwrap(),
    );
    assert!(!after.contains(&id_of(&m.mature)), "{after:?}");
    let _ = &m.university;
}

const POSTING_MATCHES: &str = "query($id: ID!, $min: Float) { matchesForNeed(id: $id, first: 10, minScore: $min) { totalCount nodes { score strong achievementId reasons { explanation sharedTerms { term } textScore field fieldScore inferredDisciplines { code name confidence } } } } }";

/// A strong match reaches the floor on shared words, never on a field, TRL and city alone.
fn assert_strong_rests_on_words(nodes: &Value) {
    let floor = f64::from(qianxian::search::matching::EVIDENCE_FLOOR);
    let min_text = f64::from(qianxian::search::reasons::MIN_STRONG_TEXT);
    for hit in nodes.as_array().unwrap() {
        let (score, text) = (
            hit["score"].as_f64().unwrap(),
            hit["reasons"]["textScore"].as_f64().unwrap(),
        );
        assert_eq!(
            hit["strong"].as_bool().unwrap(),
            score >= floor && text >= min_text,
            "{hit:#}"
        );
    }
}

/// A need written the way firms post them: a platform prefix, a title in quotes, a detail
/// that is mostly the company's profile, no discipline of its own.
#[tokio::test]
async fn a_posting_is_matched_by_its_problem_not_its_company_profile() {
    let app = spawn_app().await;
    let university = app.university("青岛膜技术大学").await;
    let firm = app.enterprise("青岛海润水务有限公司").await;
    let result = |title: &str, summary: &str, keywords: &[&str], discipline: &str| {
        with(
            achievement_fields(),
            json!({
                "title": title,
                "summary": summary,
                "keywords": keywords,
                "discipline": discipline,
                "industries": ["M73"],
                "trl": 7
            }),
        )
    };
    let membrane = app
        .published_achievement(
            &university,
            result(
                "反渗透膜表面两性离子抗污染涂层",
                "在反渗透膜表面接枝两性离子聚合物，显著降低有机物与微生物污染，通量衰减减少一半，适用于海水淡化与工业废水回用。",
                &["反渗透膜", "抗污染", "海水淡化"],
                "430",
            ),
        )
        .await;
    let management = app
        .published_achievement(
            &university,
            result(
                "专精特新中小企业质量管理体系认证路径研究",
                "调查青岛市高新技术企业与专精特新企业的质量管理体系认证、注册资本与研发人员结构，提出认证培育路径。",
                &["专精特新", "质量管理体系", "高新技术企业"],
                "630",
            ),
        )
        .await;
    let profile = "企业简介：青岛海润水务有限公司成立于2003年，注册资本5000万元，是国家级高新技术企业、山东省专精特新中小企业，已通过ISO9001质量管理体系认证和ISO14001环境管理体系认证，现有员工320人，其中研发人员45人。";
    let need = |title: &str, problem: String| {
        with(
            need_fields(),
            json!({
                "title": title,
                "problem": problem,
                "requirements": "略",
                "keywords": [],
                // Codes are optional on needs: this firm chose none.
                "industries": [],
                "discipline": null,
                "minTrl": null
            }),
        )
    };
    let posting = app
        .published_need(
            &firm,
            need(
                "【寻求合作】“反渗透膜抗污染”降本",
                format!(
                    "{profile}需求描述：现有反渗透膜污染快、清洗频繁，希望寻求抗污染涂层技术。"
                ),
            ),
        )
        .await;
    let unserved = app
        .published_need(
            &firm,
            need("【技术需求】殡仪馆骨灰盒寄存柜", format!("{profile}略")),
        )
        .await;
    app.services.search.catch_up().await.unwrap();

    let found =
        app.gql_ok(POSTING_MATCHES, json!({ "id": posting })).await["matchesForNeed"]["nodes"]
            .clone();
    let order = ids(&found, "achievementId");
    assert_eq!(order[0], membrane, "{found:#}");
    assert_strong_rests_on_words(&found);
    if let Some(at) = order.iter().position(|id| *id == management) {
        let (best, other) = (&found[0]["score"], &found[at]["score"]);
        assert!(best.as_f64() > other.as_f64(), "{found:#}");
    }
    let best = &found[0];
    assert_eq!(best["strong"], true, "{best:#}");
    let terms: Vec<&str> = best["reasons"]["sharedTerms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["term"].as_str().unwrap())
        .collect();
    assert!(terms.contains(&"反渗透膜"), "{terms:?}");
    for furniture in ["寻求", "合作", "有限公司", "注册资本", "专精特新", "认证"]
    {
        assert!(!terms.contains(&furniture), "{furniture} in {terms:?}");
    }
    // The need names no discipline: the model's guesses show as guesses, with confidence.
    let inferred = best["reasons"]["inferredDisciplines"].as_array().unwrap();
    assert!(!inferred.is_empty(), "{best:#}");
    for guess in inferred {
        let confidence = guess["confidence"].as_f64().unwrap();
        assert!(confidence > 0.0 && confidence <= 1.0, "{guess}");
        assert!(!guess["name"].as_str().unwrap().is_empty(), "{guess}");
    }
    let explanation = best["reasons"]["explanation"].to_string();
    assert!(explanation.contains("推断学科："), "{explanation}");

    // Nothing here is about funeral services: whatever is listed is not presented as strong.
    let weak =
        app.gql_ok(POSTING_MATCHES, json!({ "id": unserved })).await["matchesForNeed"]["nodes"]
            .clone();
    for hit in weak.as_array().unwrap() {
        assert_eq!(hit["strong"], false, "{hit:#}");
    }
    assert_strong_rests_on_words(&weak);
    // minScore leaves the weak ones out, and is checked.
    let floor = qianxian::search::matching::EVIDENCE_FLOOR;
    let strong_only = app
        .gql_ok(POSTING_MATCHES, json!({ "id": unserved, "min": floor }))
        .await;
    assert_eq!(
        strong_only["matchesForNeed"]["totalCount"], 0,
        "{strong_only:#}"
    );
    let kept = app
        .gql_ok(POSTING_MATCHES, json!({ "id": posting, "min": floor }))
        .await;
    assert_eq!(
        ids(&kept["matchesForNeed"]["nodes"], "achievementId")[0],
        membrane
    );
    let refused = app
        .gql(POSTING_MATCHES, json!({ "id": posting, "min": 1.5 }))
        .await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"],
        "INVALID_ARGUMENT"
    );
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("minScore"),
        "{refused}"
    );
}
