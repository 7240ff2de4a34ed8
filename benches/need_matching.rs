//! Matching quality for needs written the way firms write them (issue #20), on real abstracts
//! (CSL, read from `../shared/data`, never copied here) indexed as published research results.
//!
//! A seeded generator turns a topic (a CSL discipline and the keywords of its papers) into
//! need postings: a platform prefix (【寻求合作】, 【技术需求】, 【项目落地对接】 or none), a title
//! in industry language (the topic's key terms with 降本, 国产替代, 提质增效, 设备, 工艺 …),
//! sometimes in Chinese quotes, a detail that is mostly the company's profile (founding year,
//! capital, staff, 国家级高新技术企业, ISO9001, 位于青岛市…区, sales) with the requirement in one
//! or two sentences or only `略`, and a plausible GB/T 4754 class (written per topic, not taken
//! from the crosswalk, so the crosswalk is tested rather than assumed) or none. Topics the corpus
//! does not serve (殡葬服务, 美容美发, 游乐设备 …) make needs whose best score should stay low.
//!
//! A hit is relevant when its GB/T 13745 first-level discipline (3 digits) is the need's topic's.
//! Topics are split into a tuning part and a held-out part by a hash of their name; both are
//! reported, and the only value chosen from data (the evidence floor) comes from the tuning part.
//!
//! Run: `cargo bench --bench need_matching` (`QIANXIAN_SHARED_DATA` for another data folder,
//! `QX_CROSSWALK=<file>` to match with another crosswalk, e.g. the one before the review,
//! `QX_TUNE="text_pool=200,field_pool=100,evidence_blend=0.1,evidence_scale=12"` to try other
//! pools and text scoring, `QX_SHOW=1` to print why some needs' best matches rank).
//!
//! The needs are indexed as published needs too (what tells a company profile from a problem
//! is how often the market's needs use a word), and the discipline model is learnt from the
//! indexed results, as the service does; the starter model in `index/` is set aside, because
//! it was learnt from these same records.

use qianxian::search::config::IndexConfig;
use qianxian::search::crosswalk::Crosswalk;
use qianxian::search::index::{
    DocKind, IndexOp, ListingDoc, Profile, SearchIndex, SearchOrder, SearchRequest, Visibility,
};
use qianxian::search::matching::{EVIDENCE_FLOOR, MatchHit, MatchRequest, MatchTuning};
use std::collections::{BTreeMap, HashSet};
use std::time::Instant;

#[path = "support/synthetic.rs"]
mod synthetic;

#[path = "support/plain_bm25.rs"]
mod plain_bm25;

#[path = "support/csl_topics.rs"]
mod csl_topics;

use csl_topics::TOPICS;

use plain_bm25::Baseline;
use synthetic::{Paper, Rng};

/// Needs nothing in the corpus serves: a topic, its GB/T 4754 class, its trade words.
const UNSERVED: &[(&str, &str, &[&str])] = &[
    (
        "殡葬服务",
        "O8080",
        &["骨灰盒", "殡仪馆", "遗体告别", "公墓", "祭扫", "火化炉"],
    ),
    (
        "美容美发",
        "O8040",
        &["美发沙龙", "染发剂", "烫发", "头皮护理", "美甲", "会员储值"],
    ),
    (
        "游乐设备",
        "C2461",
        &["过山车", "摩天轮", "旋转木马", "碰碰车", "游乐园", "大摆锤"],
    ),
    (
        "婚庆服务",
        "O8070",
        &["婚礼策划", "婚纱摄影", "喜宴", "婚庆司仪", "跟拍", "婚车"],
    ),
    (
        "洗染服务",
        "O8030",
        &["干洗店", "洗衣房", "皮具护理", "衣物熨烫", "洗涤剂", "去渍"],
    ),
    (
        "宠物美容",
        "O8223",
        &[
            "宠物洗护",
            "猫狗美容",
            "宠物店",
            "宠物寄养",
            "驱虫",
            "宠物香波",
        ],
    ),
    (
        "彩票销售",
        "R9041",
        &["体育彩票", "投注站", "兑奖", "彩民", "开奖", "票机"],
    ),
    (
        "家政服务",
        "O8010",
        &["月嫂", "保洁", "育儿嫂", "家政培训", "钟点工", "上门服务"],
    ),
    (
        "民族乐器",
        "C2421",
        &["古筝", "琵琶", "二胡", "调音", "面板", "琴弦"],
    ),
    (
        "民宿经营",
        "H6130",
        &["民宿", "客房", "入住率", "在线预订", "布草", "前台"],
    ),
    (
        "餐饮门店",
        "H6210",
        &["后厨", "菜品", "外卖包装", "门店", "翻台率", "点餐系统"],
    ),
];

/// Needs generated per topic.
const NEEDS_PER_TOPIC: usize = 8;
/// A first-level discipline with fewer results than this cannot fill a top 10: its topics
/// make no needs.
const MIN_RESULTS: usize = 10;
const K: usize = 10;

const PREFIXES: &[&str] = &["【寻求合作】", "【技术需求】", "【项目落地对接】", "", ""];
const INDUSTRY_WORDS: &[&str] = &[
    "降本",
    "国产替代",
    "提质增效",
    "降本增效",
    "设备升级",
    "工艺优化",
    "良率提升",
    "节能降耗",
    "智能化改造",
    "自动化升级",
    "稳定性提升",
    "寿命提升",
];
const EQUIPMENT: &[&str] = &["设备", "生产线", "成套设备", "检测设备", "专用装备"];
const PROCESS: &[&str] = &["工艺", "配方", "生产工艺", "制备工艺"];
const NAME_PARTS: &[&str] = &[
    "海", "瑞", "华", "金", "鑫", "恒", "泰", "德", "润", "昌", "诚", "盛", "源", "达",
];
/// Neutral on purpose: a name that says 电子 or 化工 would be a clue the topic did not give.
const COMPANY_KINDS: &[&str] = &["科技", "实业", "科技发展", "工贸", "控股"];
const DISTRICTS: &[&str] = &[
    "黄岛区",
    "城阳区",
    "即墨区",
    "崂山区",
    "李沧区",
    "胶州市",
    "平度市",
    "莱西市",
];
const PARKS: &[&str] = &[
    "经济技术开发区",
    "高新技术产业开发区",
    "工业园区",
    "临港产业园",
];
const TITLES: &[&str] = &[
    "国家级高新技术企业",
    "山东省“专精特新”中小企业",
    "青岛市“隐形冠军”企业",
    "国家级专精特新“小巨人”企业",
];
const CENTRES: &[&str] = &[
    "国家级企业技术中心",
    "山东省企业技术中心",
    "青岛市工程研究中心",
    "院士工作站",
];
const CERTIFICATES: &[&str] = &[
    "ISO9001 质量管理体系认证",
    "ISO14001 环境管理体系认证",
    "IATF16949 认证",
    "ISO45001 职业健康安全管理体系认证",
];
const MARKETS: &[&str] = &[
    "汽车",
    "电子",
    "化工",
    "建筑",
    "医疗",
    "海洋",
    "新能源",
    "家电",
];
const PROBLEMS: &[&str] = &[
    "成本高",
    "效率低",
    "稳定性差",
    "依赖进口",
    "良率不高",
    "能耗偏高",
    "寿命短",
];
const TARGETS: &[&str] = &[
    "性能指标达到国外同类产品水平",
    "成本降低 20% 以上",
    "良品率达到 95% 以上",
    "满足批量生产要求",
];

fn pick<'a>(rng: &mut Rng, items: &[&'a str]) -> &'a str {
    items[rng.below(items.len())]
}

/// Two different items.
fn pick2<'a>(rng: &mut Rng, items: &[&'a str]) -> (&'a str, &'a str) {
    let a = rng.below(items.len());
    let b = (a + 1 + rng.below(items.len() - 1)) % items.len();
    (items[a], items[b])
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// One generated need.
struct Need {
    /// Topic name (CSL discipline or unserved trade).
    topic: &'static str,
    /// The topic's first-level discipline; `None` when nothing in the corpus serves it.
    discipline: Option<String>,
    tuning: bool,
    title: String,
    detail: String,
    /// The company-profile part of the detail, lower-cased (diagnostics).
    profile: String,
    /// Title and requirement, lower-cased (diagnostics).
    own: String,
    industry: Option<String>,
}

/// What [`posting`] writes.
struct Posting {
    title: String,
    detail: String,
    /// The company-profile part of the detail, lower-cased.
    profile: String,
    /// Title and requirement, lower-cased.
    own: String,
    industry: Option<String>,
}

/// A need posting on `terms` (the topic's key terms) from a firm in `class`, which it names
/// three times in four.
fn posting(rng: &mut Rng, terms: &[&str], class: Option<&str>) -> Posting {
    let t1 = terms[rng.below(terms.len())];
    let mut t2 = terms[rng.below(terms.len())];
    for _ in 0..4 {
        if t2 != t1 {
            break;
        }
        t2 = terms[rng.below(terms.len())];
    }
    let core = match rng.below(8) {
        0 => format!("{t1}{}", pick(rng, INDUSTRY_WORDS)),
        1 => format!("{t1}与{t2}{}", pick(rng, INDUSTRY_WORDS)),
        2 => format!("求购{t1}{}", pick(rng, EQUIPMENT)),
        3 => format!("{t1}{}改进", pick(rng, PROCESS)),
        4 => format!("寻求{t1}技术合作"),
        5 => format!("{t1}{}国产替代", pick(rng, EQUIPMENT)),
        6 => format!("关于{t1}的技术需求"),
        _ => format!("{t2}产品{}", pick(rng, INDUSTRY_WORDS)),
    };
    // Titles pasted from documents keep their Chinese quotes.
    let core = match rng.below(20) {
        0..=3 => format!("“{core}”"),
        4 => format!("「{core}」"),
        _ => core,
    };
    let title = format!("{}{core}", pick(rng, PREFIXES));

    let name = format!(
        "青岛{}{}{}{}",
        pick(rng, NAME_PARTS),
        pick(rng, NAME_PARTS),
        pick(rng, COMPANY_KINDS),
        if rng.below(4) == 0 {
            "集团股份有限公司"
        } else {
            "有限公司"
        }
    );
    let year = 1988 + rng.below(33);
    let mut sentences = vec![
        format!(
            "{name}成立于{year}年，注册资本{}万元。",
            500 + 100 * rng.below(200)
        ),
        format!(
            "公司现有员工{}人，其中研发人员{}人，本科及以上学历占{}%。",
            50 + rng.below(3000),
            10 + rng.below(300),
            20 + rng.below(60)
        ),
        format!("公司是{}，建有{}。", pick(rng, TITLES), pick(rng, CENTRES)),
        {
            let (a, b) = pick2(rng, CERTIFICATES);
            format!("公司已通过{a}和{b}。")
        },
        format!(
            "公司位于青岛市{}{}，占地{}亩，总资产{}亿元。",
            pick(rng, DISTRICTS),
            pick(rng, PARKS),
            20 + rng.below(500),
            1 + rng.below(30)
        ),
        format!(
            "{}年实现年销售额{}亿元，利税{}万元，产品远销欧美、东南亚等{}多个国家和地区。",
            2019 + rng.below(5),
            1 + rng.below(50),
            300 + rng.below(9000),
            5 + rng.below(40)
        ),
        {
            let (a, b) = pick2(rng, MARKETS);
            format!(
                "公司主要产品广泛应用于{a}、{b}等领域，先后获得发明专利{}项、实用新型专利{}项。",
                1 + rng.below(60),
                5 + rng.below(120)
            )
        },
        "公司与中国海洋大学、青岛大学等高校建立了长期产学研合作关系。".to_owned(),
    ];
    // Three to six of them, the founding sentence first.
    let keep = 3 + rng.below(4);
    let mut profile = vec![sentences.remove(0)];
    while profile.len() < keep {
        profile.push(sentences.remove(rng.below(sentences.len())));
    }
    let profile = profile.concat();
    let requirement = match rng.below(10) {
        0..=2 => "略".to_owned(),
        3..=5 => format!(
            "目前{t1}环节存在{}等问题，希望寻求{t2}相关技术解决。",
            pick(rng, PROBLEMS)
        ),
        6 | 7 => format!("现需开发{t1}相关技术，要求{}。", pick(rng, TARGETS)),
        _ => format!("拟引进{t1}方面的成熟技术或与高校联合开发{t2}，合作方式面议。"),
    };
    let detail = if rng.below(2) == 0 {
        format!("企业简介：{profile}\n需求描述：{requirement}")
    } else {
        format!("{profile}{requirement}")
    };
    Posting {
        own: format!("{title} {requirement}").to_lowercase(),
        profile: profile.to_lowercase(),
        title,
        detail,
        industry: class.filter(|_| rng.below(4) != 0).map(str::to_owned),
    }
}

/// The first-level (3-digit) part of a GB/T 13745 code.
fn first_level(code: &str) -> String {
    code.chars().take(3).collect()
}

/// Key terms of a topic: its papers' keywords of two to eight characters, Han only, in
/// corpus order without repeats.
fn topic_terms<'a>(papers: &'a [Paper], label: &str) -> Vec<&'a str> {
    let mut seen = HashSet::new();
    papers
        .iter()
        .filter(|p| p.discipline == label)
        .flat_map(|p| p.keywords.iter())
        .map(|k| k.trim())
        .filter(|k| {
            let n = k.chars().count();
            (2..=8).contains(&n) && k.chars().all(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
        })
        .filter(|k| seen.insert(*k))
        .collect()
}

/// Whether each topic is in the tuning part: topics ranked by a hash of their name, every
/// other one, so both parts get half of them whatever the hash.
fn split<'a>(topics: impl Iterator<Item = &'a str>) -> BTreeMap<&'a str, bool> {
    let mut ranked: Vec<&str> = topics.collect();
    ranked.sort_by_key(|t| (fnv(t), *t));
    ranked
        .into_iter()
        .enumerate()
        .map(|(i, t)| (t, i % 2 == 0))
        .collect()
}

fn generate(papers: &[Paper], served: &BTreeMap<String, usize>) -> Vec<Need> {
    let eligible: Vec<(&'static str, String, &'static [&'static str], Vec<&str>)> = TOPICS
        .iter()
        .filter(|(_, code, classes)| {
            !classes.is_empty()
                && served.get(&first_level(code)).copied().unwrap_or(0) >= MIN_RESULTS
        })
        .map(|&(label, code, classes)| {
            (
                label,
                first_level(code),
                classes,
                topic_terms(papers, label),
            )
        })
        .filter(|(_, _, _, terms)| terms.len() >= 2)
        .collect();
    let tuning = split(eligible.iter().map(|(label, ..)| *label));
    let mut needs = Vec::new();
    for (label, discipline, classes, terms) in &eligible {
        let mut rng = Rng::new(fnv(label));
        for _ in 0..NEEDS_PER_TOPIC {
            // Each need draws on six consecutive keywords (about two papers' worth).
            let start = rng.below(terms.len());
            let window: Vec<&str> = (0..6).map(|i| terms[(start + i) % terms.len()]).collect();
            let class = pick(&mut rng, classes);
            let p = posting(&mut rng, &window, Some(class));
            needs.push(Need {
                topic: label,
                discipline: Some(discipline.clone()),
                tuning: tuning[label],
                title: p.title,
                detail: p.detail,
                profile: p.profile,
                own: p.own,
                industry: p.industry,
            });
        }
    }
    let tuning = split(UNSERVED.iter().map(|(topic, ..)| *topic));
    for &(topic, class, words) in UNSERVED {
        let mut rng = Rng::new(fnv(topic));
        for _ in 0..NEEDS_PER_TOPIC {
            let p = posting(&mut rng, words, Some(class));
            needs.push(Need {
                topic,
                discipline: None,
                tuning: tuning[topic],
                title: p.title,
                detail: p.detail,
                profile: p.profile,
                own: p.own,
                industry: p.industry,
            });
        }
    }
    needs
}

/// A code's lineage as the service writes it into facets (`/discipline/430/43020`).
fn lineage(root: &str, table: &qianxian::codes::CodeTable, code: &str) -> String {
    table.facet_path(root, code).unwrap_or_default()
}

/// `QX_TUNE="text_pool=200,field_pool=100,evidence_blend=0.5,evidence_scale=12"` explores
/// other tunings than the shipped one.
fn tuning() -> MatchTuning {
    let mut t = MatchTuning::default();
    for pair in std::env::var("QX_TUNE").unwrap_or_default().split(',') {
        let Some((k, v)) = pair.split_once('=') else {
            continue;
        };
        match k.trim() {
            "text_pool" => t.text_pool = v.parse().unwrap_or(t.text_pool),
            "field_pool" => t.field_pool = v.parse().unwrap_or(t.field_pool),
            "evidence_blend" => t.evidence_blend = v.parse().unwrap_or(t.evidence_blend),
            "evidence_scale" => t.evidence_scale = v.parse().unwrap_or(t.evidence_scale),
            other => panic!("QX_TUNE: unknown {other}"),
        }
    }
    t
}

fn result_doc(i: usize, p: &Paper, discipline: &str) -> ListingDoc {
    ListingDoc {
        kind: DocKind::Achievement,
        id: i as i32,
        owner_id: 1,
        title: p.title.clone(),
        body: format!("{}\n{}", p.title, p.text),
        keywords: p.keywords.clone(),
        visibility: "PUBLIC",
        live: true,
        expires_at: None,
        facets: vec![lineage(
            "discipline",
            qianxian::codes::disciplines(),
            discipline,
        )],
        trl: None,
        updated_at: 0,
        profile: Profile {
            discipline: Some(discipline.to_owned()),
            ..Profile::default()
        },
    }
}

fn need_doc(n: usize, need: &Need, with_code: bool, with_detail: bool) -> ListingDoc {
    ListingDoc {
        kind: DocKind::Need,
        id: 1_000_000 + n as i32,
        owner_id: 2,
        title: need.title.clone(),
        body: if with_detail {
            format!("{}\n{}", need.title, need.detail)
        } else {
            need.title.clone()
        },
        keywords: Vec::new(),
        visibility: "PUBLIC",
        live: true,
        expires_at: None,
        facets: need
            .industry
            .iter()
            .filter(|_| with_code)
            .map(|c| lineage("industry", qianxian::codes::industries(), c))
            .collect(),
        trl: None,
        updated_at: 0,
        profile: Profile {
            industries: if with_code {
                need.industry.iter().cloned().collect()
            } else {
                Vec::new()
            },
            ..Profile::default()
        },
    }
}

fn matches(index: &SearchIndex, source: ListingDoc, limit: usize) -> Vec<MatchHit> {
    index
        .matches(&MatchRequest {
            source,
            visibility: Visibility::default(),
            now: 0,
            limit,
            exclude: HashSet::new(),
        })
        .unwrap_or_default()
}

fn search(index: &SearchIndex, text: &str) -> Vec<usize> {
    let req = SearchRequest {
        text: text.to_owned(),
        kind: Some(DocKind::Achievement),
        visibility: Visibility::default(),
        now: 0,
        facet_filters: vec![],
        trl_min: None,
        trl_max: None,
        order: SearchOrder::Relevance,
        facets: false,
        offset: 0,
        limit: K,
    };
    index
        .search(&req)
        .map(|f| f.hits.into_iter().map(|h| h.id as usize).collect())
        .unwrap_or_default()
}

fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn p10(values: &[f64]) -> String {
    format!("{:.4}", mean(values))
}

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        f64::NAN
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}

/// Per-part measurements.
#[derive(Default)]
struct Part {
    related: usize,
    unserved: usize,
    p_base: Vec<f64>,
    p_code: Vec<f64>,
    p_text: Vec<f64>,
    p_search: Vec<f64>,
    p_title_only: Vec<f64>,
    p_title_only_text: Vec<f64>,
    p_pool: Vec<f64>,
    best_related: Vec<f64>,
    best_unserved: Vec<f64>,
    best_related_text: Vec<f64>,
    best_unserved_text: Vec<f64>,
    inferred_right: Vec<f64>,
    strong_unserved: Vec<f64>,
    strong_related: Vec<f64>,
    profile_share: Vec<f64>,
    coded: usize,
    crosswalked: usize,
    match_ms: Vec<f64>,
    search_ms: Vec<f64>,
}

fn main() -> anyhow::Result<()> {
    let papers = synthetic::Corpus::load()?.papers;
    let codes: BTreeMap<&str, (&str, &[&str])> =
        TOPICS.iter().map(|(l, c, i)| (*l, (*c, *i))).collect();
    for (label, (code, classes)) in &codes {
        assert!(
            qianxian::codes::disciplines().contains(code),
            "{label}: {code}"
        );
        for class in *classes {
            assert!(qianxian::codes::industries().contains(class), "{class}");
        }
    }
    for (_, class, _) in UNSERVED {
        assert!(qianxian::codes::industries().contains(class), "{class}");
    }
    let discipline_of: Vec<&str> = papers
        .iter()
        .map(|p| {
            codes
                .get(p.discipline.as_str())
                .map(|(c, _)| *c)
                .unwrap_or_else(|| panic!("no code for {}", p.discipline))
        })
        .collect();
    let first: Vec<String> = discipline_of.iter().map(|c| first_level(c)).collect();
    let mut served: BTreeMap<String, usize> = BTreeMap::new();
    for d in &first {
        *served.entry(d.clone()).or_default() += 1;
    }

    let mut config =
        IndexConfig::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("index"))?;
    let crosswalk_source = std::env::var("QX_CROSSWALK").ok();
    if let Some(path) = &crosswalk_source {
        config.crosswalk = Crosswalk::parse(&std::fs::read_to_string(path)?)?;
    }
    let walk = config.crosswalk.clone();
    // The starter model is learnt from these very records: the platform's own model, learnt
    // below from the results it holds, stands in for it.
    config.disciplines = Default::default();
    let dir = tempfile::tempdir()?;
    let mut index = SearchIndex::open(dir.path(), &config)?;
    let tuning = tuning();
    index.set_match_tuning(tuning);
    let needs = generate(&papers, &served);
    // The results, and the needs as published needs (the market's needs are what tells a
    // company profile from a problem).
    let ops: Vec<IndexOp> = papers
        .iter()
        .enumerate()
        .map(|(i, p)| IndexOp::Upsert(result_doc(i, p, discipline_of[i])))
        .chain(
            needs
                .iter()
                .enumerate()
                .map(|(n, need)| IndexOp::Upsert(need_doc(n, need, true, true))),
        )
        .collect();
    index.apply(&ops, 0)?;
    let learnt = index.retrain_disciplines(0)?;
    let base = Baseline::build(&papers)?;

    let skipped: Vec<&str> = TOPICS
        .iter()
        .filter(|(_, c, i)| {
            !i.is_empty() && served.get(&first_level(c)).copied().unwrap_or(0) < MIN_RESULTS
        })
        .map(|(l, _, _)| *l)
        .collect();
    println!(
        "corpus: {} CSL papers as published results; {} CSL disciplines → {} GB/T 13745 first-level codes",
        papers.len(),
        codes.len(),
        served.len()
    );
    println!("tuning: {tuning:?}; discipline model learnt from {learnt} indexed results");
    println!(
        "crosswalk: {}",
        crosswalk_source
            .as_deref()
            .unwrap_or("index/crosswalk.tsv (shipped)")
    );
    println!(
        "needs: {} ({} topics × {NEEDS_PER_TOPIC}); topics left out (< {MIN_RESULTS} results in their first-level discipline): {}",
        needs.len(),
        needs.len() / NEEDS_PER_TOPIC,
        skipped.join(", ")
    );
    for need in needs.iter().step_by(97).take(3) {
        println!(
            "  e.g. [{}] {} | {} | {}",
            need.topic,
            need.title,
            need.industry.as_deref().unwrap_or("-"),
            need.detail.replace('\n', " ")
        );
    }

    let relevant = |hits: &mut dyn Iterator<Item = usize>, d: &str| -> f64 {
        hits.take(K).filter(|&h| first[h] == d).count() as f64 / K as f64
    };
    let mut parts = [Part::default(), Part::default()];
    let mut gaps = std::collections::BTreeSet::new();
    for (n, need) in needs.iter().enumerate() {
        let part = &mut parts[usize::from(!need.tuning)];
        let started = Instant::now();
        let coded = matches(&index, need_doc(n, need, true, true), K);
        part.match_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        let neutral = matches(&index, need_doc(n, need, false, true), K);
        let best = |hits: &[MatchHit]| hits.first().map_or(0.0, |h| f64::from(h.score));
        // `QX_SHOW=1`: every seventh need's best match, to see why it ranks.
        if let Some(h) = coded
            .first()
            .filter(|_| std::env::var("QX_SHOW").is_ok() && n % 7 == 0)
        {
            eprintln!(
                "[{}] {} → {:.3} text {:.3} field {:.3} inferred {:?} shared {:?}",
                need.topic,
                need.title,
                h.score,
                h.reasons.text,
                h.reasons.field_score(),
                h.reasons
                    .inferred
                    .iter()
                    .map(|i| (&i.discipline, i.confidence))
                    .collect::<Vec<_>>(),
                h.reasons
                    .shared_terms
                    .iter()
                    .map(|t| (&t.term, t.weight))
                    .collect::<Vec<_>>()
            );
        }
        let Some(d) = need.discipline.as_deref() else {
            part.unserved += 1;
            part.strong_unserved.push(f64::from(u8::from(
                coded.iter().any(|h| h.reasons.strong(h.score)),
            )));
            part.best_unserved.push(best(&coded));
            part.best_unserved_text.push(best(&neutral));
            continue;
        };
        part.related += 1;
        part.strong_related.push(f64::from(u8::from(
            coded.iter().any(|h| h.reasons.strong(h.score)),
        )));
        part.inferred_right.push(
            neutral
                .first()
                .and_then(|h| h.reasons.inferred.first())
                .map_or(0.0, |i| f64::from(u8::from(i.discipline == d))),
        );
        part.best_related.push(best(&coded));
        part.best_related_text.push(best(&neutral));
        let ids = |hits: &[MatchHit]| hits.iter().map(|h| h.id as usize).collect::<Vec<_>>();
        part.p_base
            .push(relevant(&mut base.search(&need.title, K)?.into_iter(), d));
        part.p_code.push(relevant(&mut ids(&coded).into_iter(), d));
        part.p_text
            .push(relevant(&mut ids(&neutral).into_iter(), d));
        let started = Instant::now();
        let found = search(&index, &need.title);
        part.search_ms
            .push(started.elapsed().as_secs_f64() * 1000.0);
        part.p_search.push(relevant(&mut found.into_iter(), d));
        let title_only = matches(&index, need_doc(n, need, true, false), K);
        part.p_title_only
            .push(relevant(&mut ids(&title_only).into_iter(), d));
        let title_text = matches(&index, need_doc(n, need, false, false), K);
        part.p_title_only_text
            .push(relevant(&mut ids(&title_text).into_iter(), d));
        let wide = matches(&index, need_doc(n, need, true, true), 5 * K);
        part.p_pool.push(relevant(&mut ids(&wide).into_iter(), d));
        // How much of the shared-term weight of the top hits comes from words only the
        // company profile holds.
        let (mut from_profile, mut all) = (0.0, 0.0);
        for hit in &coded {
            for t in &hit.reasons.shared_terms {
                all += f64::from(t.weight);
                if need.profile.contains(&t.term) && !need.own.contains(&t.term) {
                    from_profile += f64::from(t.weight);
                }
            }
        }
        if all > 0.0 {
            part.profile_share.push(from_profile / all);
        }
        if let Some(code) = &need.industry {
            part.coded += 1;
            if walk.relate(code, d).is_some() {
                part.crosswalked += 1;
            } else {
                let part = if need.tuning { "tuning" } else { "held-out" };
                gaps.insert(format!("{code}↔{d} ({}, {part})", need.topic));
            }
        }
    }

    // The evidence floor: the score that 90% of the tuning part's related needs reach.
    let floor = percentile(&parts[0].best_related, 0.10);
    let floor_text = percentile(&parts[0].best_related_text, 0.10);
    let share_below =
        |v: &[f64], f: f64| v.iter().filter(|&&s| s < f).count() as f64 / v.len() as f64;
    let row = |name: &str, f: &dyn Fn(&Part) -> String| {
        println!("{name:<52} {:>14} {:>14}", f(&parts[0]), f(&parts[1]));
    };
    println!();
    row("", &|p| {
        if std::ptr::eq(p, &parts[0]) {
            "tuning".into()
        } else {
            "held-out".into()
        }
    });
    row("needs: related / unserved", &|p| {
        format!("{} / {}", p.related, p.unserved)
    });
    row(
        "P@10 (a) plain jieba BM25 on the title",
        &|p| p10(&p.p_base),
    );
    row("P@10 (b) matcher, industry code", &|p| p10(&p.p_code));
    row("P@10 (c) matcher, codes neutral (text only)", &|p| {
        p10(&p.p_text)
    });
    row("P@10 (d) search(title, kind: achievements)", &|p| {
        p10(&p.p_search)
    });
    row("(b)/(a)   [target >= 2.0]", &|p| {
        format!("{:.2}", mean(&p.p_code) / mean(&p.p_base))
    });
    row("(c)/(a)   [target >= 1.4]", &|p| {
        format!("{:.2}", mean(&p.p_text) / mean(&p.p_base))
    });
    row("(d)/(a)", &|p| {
        format!("{:.2}", mean(&p.p_search) / mean(&p.p_base))
    });
    row("diag: P@10 matcher, code, title only (no detail)", &|p| {
        p10(&p.p_title_only)
    });
    row("diag: P@10 matcher, codes neutral, title only", &|p| {
        p10(&p.p_title_only_text)
    });
    row("diag: P@10 matcher, code, pool of 150 (top 10)", &|p| {
        p10(&p.p_pool)
    });
    row("diag: shared-term weight from profile-only words", &|p| {
        format!("{:.1}%", 100.0 * mean(&p.profile_share))
    });
    row("diag: text only, top inferred discipline right", &|p| {
        format!("{:.1}%", 100.0 * mean(&p.inferred_right))
    });
    row("diag: needs with a code the crosswalk relates", &|p| {
        format!("{}/{}", p.crosswalked, p.coded)
    });
    row("best score (b) p50/p90, related", &|p| {
        format!(
            "{:.3}/{:.3}",
            percentile(&p.best_related, 0.5),
            percentile(&p.best_related, 0.9)
        )
    });
    row("best score (b) p50/p90, unserved", &|p| {
        format!(
            "{:.3}/{:.3}",
            percentile(&p.best_unserved, 0.5),
            percentile(&p.best_unserved, 0.9)
        )
    });
    row("best score (c) p50/p90, related", &|p| {
        format!(
            "{:.3}/{:.3}",
            percentile(&p.best_related_text, 0.5),
            percentile(&p.best_related_text, 0.9)
        )
    });
    row("best score (c) p50/p90, unserved", &|p| {
        format!(
            "{:.3}/{:.3}",
            percentile(&p.best_unserved_text, 0.5),
            percentile(&p.best_unserved_text, 0.9)
        )
    });
    row(
        &format!("(b) unserved below EVIDENCE_FLOOR {EVIDENCE_FLOOR:.2}"),
        &|p| {
            format!(
                "{:.1}%",
                100.0 * share_below(&p.best_unserved, f64::from(EVIDENCE_FLOOR))
            )
        },
    );
    row(
        &format!("(b) related at/above EVIDENCE_FLOOR {EVIDENCE_FLOOR:.2}"),
        &|p| {
            format!(
                "{:.1}%",
                100.0 - 100.0 * share_below(&p.best_related, f64::from(EVIDENCE_FLOOR))
            )
        },
    );
    row(
        &format!("(c) unserved below EVIDENCE_FLOOR {EVIDENCE_FLOOR:.2}"),
        &|p| {
            format!(
                "{:.1}%",
                100.0 * share_below(&p.best_unserved_text, f64::from(EVIDENCE_FLOOR))
            )
        },
    );
    row("(b) unserved needs with no strong match", &|p| {
        format!("{:.1}%", 100.0 - 100.0 * mean(&p.strong_unserved))
    });
    row("(b) related needs with a strong match", &|p| {
        format!("{:.1}%", 100.0 * mean(&p.strong_related))
    });
    row(&format!("(b) unserved below floor {floor:.3}"), &|p| {
        format!("{:.1}%", 100.0 * share_below(&p.best_unserved, floor))
    });
    row(&format!("(b) related at or above floor {floor:.3}"), &|p| {
        format!(
            "{:.1}%",
            100.0 - 100.0 * share_below(&p.best_related, floor)
        )
    });
    row(&format!("(c) unserved below floor {floor_text:.3}"), &|p| {
        format!(
            "{:.1}%",
            100.0 * share_below(&p.best_unserved_text, floor_text)
        )
    });
    row("matching latency p50/p99 (ms)", &|p| {
        format!(
            "{:.2}/{:.2}",
            percentile(&p.match_ms, 0.5),
            percentile(&p.match_ms, 0.99)
        )
    });
    row("search latency p50/p99 (ms)", &|p| {
        format!(
            "{:.2}/{:.2}",
            percentile(&p.search_ms, 0.5),
            percentile(&p.search_ms, 0.99)
        )
    });
    println!(
        "codes the crosswalk does not relate to their topic: {}",
        gaps.into_iter().collect::<Vec<_>>().join(", ")
    );
    println!(
        "floors: the 10th percentile of the tuning part's related best scores (b: {floor:.3}, c: {floor_text:.3}); relevance: same GB/T 13745 first-level discipline"
    );
    Ok(())
}
