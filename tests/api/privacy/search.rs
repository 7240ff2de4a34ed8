//! Search as an attacker probes it: confidential and draft needs (which only their owners and
//! brokers find) must not change what anyone else's search answers, down to the last digit of
//! a score: not the order, the scores, which words of the query decide, the totals, the facets
//! or the snippets.

use super::{
    RESULTS, coded_result, confidential_needs, matching_parties, uncoded_need, visitor_and_outsider,
};
use crate::common::*;
use serde_json::{Value, json};

const SEARCH: &str = "query($q: String!, $k: SearchKind) { search(query: $q, kind: $k, first: 50) { totalCount phrasesRelaxed edges { score highlights { field snippet } node { ... on Need { title } ... on Achievement { title } } } facets { dimension code count } } }";

/// Two words, a word alone, a word common among the public listings beside a rare one (a
/// common word is left out only while it is common among what the reader may find), and a
/// phrase.
const QUERIES: &[&str] = &[
    "反渗透膜 蒸发结晶",
    "蒸发结晶",
    "锂电池 海水淡化",
    "\"膜浓缩\" 高盐废水",
];

/// Ten public listings, with (`hidden`) or without twenty confidential needs and a draft that
/// are full of the public listings' words; what a visitor and a member of another
/// organisation learn from every search (the member over HTTP, then over the WebSocket).
async fn search_world(hidden: bool) -> (Vec<Value>, Vec<Value>) {
    let app = spawn_app().await;
    let (university, firm, rival) = matching_parties(&app, "检索").await;
    let more: [(&str, &str, &[&str]); 5] = [
        (
            "海水淡化能量回收装置",
            "压力交换式能量回收装置降低海水淡化能耗。",
            &["海水淡化", "能量回收"],
        ),
        (
            "海洋牧场智能网箱",
            "深远海养殖网箱的水质监测与自动投喂。",
            &["海洋牧场", "网箱"],
        ),
        (
            "工业机器人视觉抓取",
            "基于深度学习的工件识别与机械臂抓取。",
            &["工业机器人", "机器视觉"],
        ),
        (
            "生物基可降解塑料",
            "以秸秆为原料制备聚乳酸可降解塑料。",
            &["可降解塑料", "聚乳酸"],
        ),
        (
            "船舶尾气脱硫系统",
            "船舶尾气海水法脱硫与洗涤水处理。",
            &["船舶", "脱硫"],
        ),
    ];
    for (title, summary, keywords) in RESULTS.into_iter().chain(more) {
        app.published_achievement(&university, coded_result(title, summary, keywords))
            .await;
    }
    for (title, problem) in [
        (
            "反渗透膜污染快",
            "反渗透膜污染快、清洗频繁，寻求抗污染涂层技术。",
        ),
        (
            "高盐废水零排放",
            "化工园区高盐废水需要膜浓缩与蒸发结晶技术。",
        ),
    ] {
        app.published_need(&firm, uncoded_need(title, problem, "PUBLIC"))
            .await;
    }
    if hidden {
        // Enough of them to double the listings counted, each saying 蒸发结晶 over and over.
        confidential_needs(
            &app,
            &rival,
            20,
            |n| format!("蒸发结晶保密需求{n}"),
            "蒸发结晶 蒸发结晶 蒸发结晶 反渗透膜 高盐废水 膜浓缩 海水淡化 注册资本 有限公司",
        )
        .await;
        app.create_need(
            &rival,
            uncoded_need("蒸发结晶草稿", "蒸发结晶 锂电池 海水淡化", "PUBLIC"),
        )
        .await;
    }
    app.services.search.catch_up().await.expect("indexing");
    let questions: Vec<(&'static str, Value)> = QUERIES
        .iter()
        .flat_map(|q| {
            [Value::Null, json!("NEED")]
                .into_iter()
                .map(move |k| (SEARCH, json!({ "q": q, "k": k })))
        })
        .collect();
    visitor_and_outsider(&app, &university, questions).await
}

#[tokio::test]
async fn confidential_and_draft_needs_move_no_search_score_order_total_or_snippet() {
    let (visitor_without, outsider_without) = search_world(false).await;
    let (visitor_with, outsider_with) = search_world(true).await;
    let titles = |answer: &Value| -> Vec<String> {
        answer["search"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| e["node"]["title"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    // The searches find something to compare: both words' listings, and the rare word's.
    let both = titles(&visitor_without[0]);
    assert!(
        both.contains(&"反渗透膜抗污染涂层".to_owned())
            && both.contains(&"高盐废水蒸发结晶工艺".to_owned()),
        "{both:?}"
    );
    assert!(
        titles(&visitor_without[4]).contains(&"锂电池电解液阻燃添加剂".to_owned()),
        "{}",
        visitor_without[4]
    );
    for (i, (a, b)) in visitor_without.iter().zip(&visitor_with).enumerate() {
        assert_eq!(a, b, "visitor, question {i}");
    }
    for (i, (a, b)) in outsider_without.iter().zip(&outsider_with).enumerate() {
        assert_eq!(a, b, "member of another organisation, question {i}");
    }
}
