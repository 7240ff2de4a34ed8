//! Tests of the index: schema, writing, queries, phrases and snippets.

use super::*;

fn config(version: u32) -> IndexConfig {
    IndexConfig {
        version,
        dictionary: "钙钛矿电池 20000 n".into(),
        synonyms: "钙钛矿电池, psc".into(),
        stopwords: "的\n和\n与".into(),
        ..IndexConfig::plain()
    }
}

fn doc(id: i32, title: &str, visibility: &'static str) -> ListingDoc {
    ListingDoc {
        kind: if visibility == "PUBLIC" && id < 100 {
            DocKind::Achievement
        } else {
            DocKind::Need
        },
        id,
        owner_id: id,
        title: title.into(),
        body: format!("{title}的详细说明"),
        keywords: vec![],
        visibility,
        live: true,
        expires_at: None,
        facets: vec![
            format!("/industry/C/C38/C384"),
            format!("/trl/{}", id % 9 + 1),
        ],
        trl: Some((id % 9 + 1) as u8),
        updated_at: i64::from(id),
        profile: Profile::default(),
    }
}

fn request(text: &str, visibility: Visibility) -> SearchRequest {
    SearchRequest {
        text: text.into(),
        kind: None,
        visibility,
        now: 0,
        facet_filters: vec![],
        trl_min: None,
        trl_max: None,
        order: SearchOrder::Relevance,
        facets: true,
        offset: 0,
        limit: 10,
    }
}

#[test]
fn newest_order_sorts_by_last_change() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path(), &config(1)).unwrap();
    let docs: Vec<IndexOp> = [
        (1, "钙钛矿电池 旧"),
        (3, "钙钛矿电池 新"),
        (2, "钙钛矿电池 中"),
    ]
    .into_iter()
    .map(|(id, t)| IndexOp::Upsert(doc(id, t, "PUBLIC")))
    .collect();
    index.apply(&docs, 1).unwrap();
    let req = SearchRequest {
        order: SearchOrder::Newest,
        ..request("钙钛矿电池", Visibility::default())
    };
    let ids: Vec<i32> = index
        .search(&req)
        .unwrap()
        .hits
        .iter()
        .map(|h| h.id)
        .collect();
    assert_eq!(ids, [3, 2, 1]);
}

#[test]
fn words_in_a_large_share_of_listings_are_left_out_unless_nothing_else_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(1);
    cfg.max_term_share = 0.10;
    let index = SearchIndex::open(dir.path(), &cfg).unwrap();
    let mut ops: Vec<IndexOp> = (1..=30)
        .map(|i| IndexOp::Upsert(doc(i, &format!("海洋技术方案{i}"), "PUBLIC")))
        .collect();
    ops.push(IndexOp::Upsert(doc(31, "钙钛矿技术", "PUBLIC")));
    index.apply(&ops, 1).unwrap();
    let total = |q: &str| {
        index
            .search(&request(q, Visibility::default()))
            .unwrap()
            .total
    };
    assert_eq!(
        total("钙钛矿 技术"),
        1,
        "技术 is in every listing: left out"
    );
    assert_eq!(total("技术"), 31, "kept when it is all there is");
    assert_eq!(
        total("钙钛矿 perovskitte"),
        1,
        "an unknown word does not empty the query"
    );
}

#[test]
fn latin_typos_find_their_word() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path(), &config(1)).unwrap();
    let mut d = doc(1, "Perovskite 叠层组件", "PUBLIC");
    d.body = "Perovskite tandem module 叠层组件".into();
    index.apply(&[IndexOp::Upsert(d)], 1).unwrap();
    assert_eq!(
        index
            .search(&request("perovskit", Visibility::default()))
            .unwrap()
            .total,
        1
    );
    assert_eq!(
        index
            .search(&request("tandum", Visibility::default()))
            .unwrap()
            .total,
        1
    );
    assert_eq!(
        index
            .search(&request("xyzzy", Visibility::default()))
            .unwrap()
            .total,
        0
    );
}

#[test]
fn chinese_typos_still_find_their_listing_through_bigrams() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path(), &config(1)).unwrap();
    let mut a = doc(1, "钙钛矿太阳能电池封装技术", "PUBLIC");
    a.body = "钙钛矿太阳能电池封装技术，湿热老化 1000 小时效率保持 95%".into();
    let mut b = doc(2, "海水淡化反渗透膜", "PUBLIC");
    b.body = "海水淡化反渗透膜组件，脱盐率 99.7%".into();
    let mut c = doc(3, "锂电池电解液添加剂", "PUBLIC");
    c.body = "锂电池电解液添加剂，提升低温性能".into();
    let ops: Vec<IndexOp> = [a, b, c].into_iter().map(IndexOp::Upsert).collect();
    index.apply(&ops, 3).unwrap();
    // A wrong character (旷 for 矿, 谈 for 淡) leaves the other bigrams of the word to match.
    for (typo, want) in [("钙钛旷电池封装", 1), ("海水谈化", 2)] {
        let found = index.search(&request(typo, Visibility::default())).unwrap();
        assert_eq!(found.hits.first().map(|h| h.id), Some(want), "{typo}");
    }
}

#[test]
fn homophone_typos_in_several_characters_still_find_their_word() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(1);
    cfg.dictionary.push_str("\n钙钛矿 20000 n");
    let index = SearchIndex::open(dir.path(), &cfg).unwrap();
    let mut a = doc(1, "钙钛矿薄膜", "PUBLIC");
    a.body = "钙钛矿薄膜的低温制备".into();
    let mut b = doc(2, "锂电池回收", "PUBLIC");
    b.body = "废旧锂电池回收与梯次利用".into();
    let ops: Vec<IndexOp> = [a, b].into_iter().map(IndexOp::Upsert).collect();
    index.apply(&ops, 2).unwrap();
    // Two of three characters wrong (盖 for 钙, 旷 for 矿): no bigram survives.
    let found = index
        .search(&request("盖钛旷", Visibility::default()))
        .unwrap();
    assert_eq!(found.hits.iter().map(|h| h.id).collect::<Vec<_>>(), [1]);
    let snippets: Vec<&String> = found.hits[0].highlights.iter().map(|(_, s)| s).collect();
    assert!(
        snippets.iter().any(|s| s.contains("<em>钙钛矿</em>")),
        "{snippets:?}"
    );
    // Sounding alike is not enough where the words are right.
    let found = index
        .search(&request("锂电池", Visibility::default()))
        .unwrap();
    assert_eq!(found.hits.iter().map(|h| h.id).collect::<Vec<_>>(), [2]);
}

#[test]
fn a_query_bigram_finds_listings_that_hold_it_only_as_a_word() {
    // With `bigrams = "non-words"`, 电池 in 废旧电池 is a word token and not a bigram.
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path(), &config(1)).unwrap();
    let mut a = doc(1, "废旧电池回收", "PUBLIC");
    a.body = "废旧电池回收与梯次利用".into();
    index.apply(&[IndexOp::Upsert(a)], 1).unwrap();
    let bigram = |text: &str| {
        let searcher = index.reader.searcher();
        let term = Term::from_field_text(index.fields.body_bigram, text);
        searcher.doc_freq(&term).unwrap()
    };
    assert_eq!(
        bigram("电池"),
        0,
        "a word at that place, left out of the bigrams"
    );
    assert_eq!(bigram("旧电"), 1, "bigrams across words stay");
    // 锂电池 is one query word; its bigram 电池 finds the listing among the words.
    let found = index
        .search(&request("锂电池", Visibility::default()))
        .unwrap();
    assert_eq!(found.hits.first().map(|h| h.id), Some(1));
}

#[test]
fn snippets_merge_overlapping_words_and_never_slice_inside_a_character() {
    let text = "高效钙钛矿电池<封装>";
    // 钙钛矿 = bytes 6..15, 钙钛矿电池 = 6..21, a range ending mid-character, one out of bounds.
    let html = render_snippet(text, &[6..15, 6..21, 7..9, 40..50]);
    assert_eq!(html, "高效<em>钙钛矿电池</em>&lt;封装&gt;");
}

#[test]
fn a_configuration_change_asks_for_a_rebuild_and_commits_record_the_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path(), &config(1)).unwrap();
    assert!(index.needs_rebuild(), "a new index has never been built");
    index
        .apply(&[IndexOp::Upsert(doc(1, "钙钛矿电池封装", "PUBLIC"))], 42)
        .unwrap();
    assert!(!index.needs_rebuild());
    assert_eq!(index.committed_state().outbox_cursor, 42);
    drop(index);
    let same = SearchIndex::open(dir.path(), &config(1)).unwrap();
    assert!(!same.needs_rebuild());
    assert_eq!(same.num_docs(), 1);
    drop(same);
    let bumped = SearchIndex::open(dir.path(), &config(2)).unwrap();
    assert!(bumped.needs_rebuild(), "version change");
}

#[test]
fn visibility_is_applied_inside_the_query_and_synonyms_match() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path(), &config(1)).unwrap();
    index
        .apply(
            &[
                IndexOp::Upsert(doc(1, "钙钛矿电池封装工艺", "PUBLIC")),
                IndexOp::Upsert(doc(101, "钙钛矿电池量产需求", "CONFIDENTIAL")),
                IndexOp::Upsert(doc(102, "钙钛矿电池检测需求", "ANONYMOUS")),
            ],
            3,
        )
        .unwrap();
    let public = Visibility {
        need_visibilities: vec!["PUBLIC", "ANONYMOUS"],
        own_org: None,
    };
    let found = index.search(&request("PSC", public.clone())).unwrap();
    let (total, hits) = (found.total, found.hits);
    assert_eq!(
        total, 2,
        "the confidential need is neither returned nor counted"
    );
    let industry_c = found
        .facets
        .iter()
        .find(|(p, _)| p == "/industry/C")
        .map(|(_, c)| *c);
    assert_eq!(industry_c, Some(2), "facets count visible matches only");
    assert!(hits.iter().all(|h| h.id != 101));
    assert!(hits[0].highlights.iter().any(|(_, s)| s.contains("<em>")));
    let owner = Visibility {
        own_org: Some(101),
        ..public
    };
    assert_eq!(
        index.search(&request("钙钛矿电池", owner)).unwrap().total,
        3,
        "its owner finds it"
    );
    assert_eq!(
        index
            .search(&request("钙钛矿电池", Visibility::default()))
            .unwrap()
            .total,
        3,
        "brokers find everything"
    );
    index
        .apply(&[IndexOp::Delete(DocKind::Need, 102)], 4)
        .unwrap();
    assert_eq!(
        index
            .search(&request("钙钛矿电池", Visibility::default()))
            .unwrap()
            .total,
        2
    );
    assert!(matches!(
        index.search(&request("\"钙钛矿", Visibility::default())),
        Err(SearchError::BadQuery(_))
    ));
    assert!(matches!(
        index.search(&request("，。", Visibility::default())),
        Err(SearchError::BadQuery(_))
    ));
    // Stopwords alone (的, 和) leave nothing to search for.
    assert!(matches!(
        index.search(&request("的 和", Visibility::default())),
        Err(SearchError::BadQuery(_))
    ));
    assert_eq!(
        index
            .search(&request("钙钛矿电池 -量产", Visibility::default()))
            .unwrap()
            .total,
        1,
        "exclusion"
    );
}

#[test]
fn facets_count_each_listing_once_per_bucket_at_both_levels_across_segments() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path(), &config(1)).unwrap();
    let mut two_divisions = doc(1, "海洋装备 电机", "PUBLIC");
    two_divisions.facets = vec![
        "/industry/C/C37/C373/C3731".into(),
        "/industry/C/C38/C384/C3841".into(),
        "/region/370000/370200/370212".into(),
        "/trl/7".into(),
    ];
    let mut software = doc(2, "海洋装备 软件", "PUBLIC");
    software.facets = vec![
        "/industry/I/I65/I651/I6513".into(),
        "/region/370000/370100/370102".into(),
        "/trl/7".into(),
    ];
    let mut battery = doc(3, "海洋装备 电池", "PUBLIC");
    battery.facets = vec![
        "/industry/C/C38/C384/C3841".into(),
        "/region/370000/370200/370211".into(),
        "/trl/4".into(),
    ];
    // Two commits: two segments, whose counts are merged.
    index.apply(&[IndexOp::Upsert(two_divisions)], 1).unwrap();
    index
        .apply(&[IndexOp::Upsert(software), IndexOp::Upsert(battery)], 2)
        .unwrap();
    assert!(index.segment_sizes().len() >= 2);
    let expected: Vec<(String, u64)> = [
        ("/industry/C", 2),
        ("/industry/C/C37", 1),
        ("/industry/C/C38", 2),
        ("/industry/I", 1),
        ("/industry/I/I65", 1),
        ("/region/370000", 3),
        ("/region/370000/370100", 1),
        ("/region/370000/370200", 2),
        ("/trl/4", 1),
        ("/trl/7", 2),
    ]
    .into_iter()
    .map(|(p, c)| (p.to_owned(), c))
    .collect();
    for _ in 0..2 {
        // The second search reads the segments' maps from the cache.
        let found = index
            .search(&request("海洋装备", Visibility::default()))
            .unwrap();
        assert_eq!(found.total, 3);
        assert_eq!(found.facets, expected);
    }
}

#[test]
fn rare_words_decide_what_matches_and_common_ones_only_add_to_the_score() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(1);
    cfg.max_required_share = 0.10;
    cfg.weights.body_bigram = 0.0;
    let index = SearchIndex::open(dir.path(), &cfg).unwrap();
    // 海洋 is in all 20 listings, 浮标 in half of them, 钙钛矿 in one.
    let mut ops: Vec<IndexOp> = (1..=20)
        .map(|i| {
            let title = if i % 2 == 0 {
                format!("海洋浮标{i}")
            } else {
                format!("海洋牧场{i}")
            };
            IndexOp::Upsert(doc(i, &title, "PUBLIC"))
        })
        .collect();
    ops.push(IndexOp::Upsert(doc(21, "钙钛矿海洋浮标", "PUBLIC")));
    index.apply(&ops, 1).unwrap();
    let search = |q: &str| index.search(&request(q, Visibility::default())).unwrap();
    let found = search("钙钛矿 海洋 浮标");
    assert_eq!(found.total, 1, "only the rare word decides");
    assert_eq!(found.hits[0].id, 21);
    assert_eq!(
        search("海洋 浮标").total,
        11,
        "when every word is common, a listing needs them all"
    );
    assert_eq!(search("海洋").total, 21);
}

#[test]
fn unlisted_and_expired_listings_are_never_found() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path(), &config(1)).unwrap();
    let mut expiring = doc(1, "深海浮标 一", "PUBLIC");
    expiring.expires_at = Some(1_000);
    let mut draft = doc(2, "深海浮标 二", "PUBLIC");
    draft.live = false;
    draft.expires_at = Some(1_000);
    let lasting = doc(3, "深海浮标 三", "PUBLIC");
    let ops: Vec<IndexOp> = [expiring, draft, lasting]
        .into_iter()
        .map(IndexOp::Upsert)
        .collect();
    index.apply(&ops, 1).unwrap();
    let ids_at = |now: i64| {
        let mut ids: Vec<i32> = index
            .search(&SearchRequest {
                now,
                ..request("深海浮标", Visibility::default())
            })
            .unwrap()
            .hits
            .iter()
            .map(|h| h.id)
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids_at(999), [1, 3]);
    assert_eq!(ids_at(1_000), [3], "expired at its expiry second");
}

fn titled(id: i32, title: &str) -> IndexOp {
    let mut d = doc(id, title, "PUBLIC");
    d.body = title.to_owned();
    IndexOp::Upsert(d)
}

#[test]
fn only_ascii_quotes_make_phrases() {
    let parsed = ParsedQuery::parse("“海水淡化膜”抗污染").unwrap();
    assert!(parsed.phrases.is_empty());
    assert_eq!(parsed.free.trim(), "“海水淡化膜”抗污染");
    let parsed = ParsedQuery::parse("\"海水淡化 膜\" 抗污染 -涂层").unwrap();
    assert_eq!(parsed.phrases, ["海水淡化 膜"]);
    assert_eq!(parsed.free.trim(), "抗污染");
    assert_eq!(parsed.excluded, ["涂层"]);
    // An unmatched Chinese quote is text; an unmatched ASCII quote is still an error.
    assert!(ParsedQuery::parse("“海水淡化膜抗污染").is_ok());
    assert!(ParsedQuery::parse("”").is_ok());
    assert!(matches!(
        ParsedQuery::parse("\"海水淡化膜"),
        Err(SearchError::BadQuery(_))
    ));
    assert_eq!(phrase_key("锂 电池"), phrase_key("锂电池"));
    assert_eq!(phrase_key("Solid-State"), phrase_key("solid state"));
    assert!(!phrase_key("solid state").contains(&phrase_key("soli")));
}

#[test]
fn chinese_quotes_and_title_marks_are_plain_text() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path(), &config(1)).unwrap();
    index
        .apply(
            &[
                // The quoted words, not adjacent.
                titled(1, "海水淡化用反渗透膜的抗污染改性"),
                // Not all of the quoted words: as a required phrase this was never found.
                titled(2, "反渗透膜抗污染涂层"),
                titled(3, "锂电池回收与梯次利用"),
            ],
            1,
        )
        .unwrap();
    for query in [
        "“海水淡化膜”抗污染",
        "‘海水淡化膜’抗污染",
        "「海水淡化膜」抗污染",
        "『海水淡化膜』抗污染",
        "＂海水淡化膜＂抗污染",
        "《海水淡化膜》抗污染",
        "“海水淡化膜抗污染",
    ] {
        let found = index
            .search(&request(query, Visibility::default()))
            .unwrap();
        let mut ids: Vec<i32> = found.hits.iter().map(|h| h.id).collect();
        ids.sort();
        assert_eq!(ids, [1, 2], "{query}");
        assert!(!found.phrases_relaxed, "{query}: no phrase to relax");
    }
}

#[test]
fn ascii_phrases_need_adjacent_words_and_fall_back_to_words_when_nothing_has_them() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path(), &config(1)).unwrap();
    // Two commits, two segments: each reads its own stored bodies.
    index
        .apply(
            &[
                titled(1, "海水淡化膜组件国产化"),
                titled(2, "海水淡化用反渗透膜"),
            ],
            1,
        )
        .unwrap();
    index
        .apply(
            &[
                titled(3, "Solid state electrolyte 固态电解质"),
                titled(4, "state of the art solid electrolyte"),
                titled(5, "锂电池回收"),
            ],
            2,
        )
        .unwrap();
    assert!(index.segment_sizes().len() >= 2);
    let search = |q: &str| {
        let found = index.search(&request(q, Visibility::default())).unwrap();
        let mut ids: Vec<i32> = found.hits.iter().map(|h| h.id).collect();
        ids.sort();
        (found.total, ids, found.phrases_relaxed)
    };
    assert_eq!(
        search("\"海水淡化膜\""),
        (1, vec![1], false),
        "adjacent only"
    );
    assert_eq!(
        search("\"海水淡化 膜\""),
        (1, vec![1], false),
        "spaces are no gap"
    );
    assert_eq!(search("\"solid state\""), (1, vec![3], false));
    assert_eq!(search("\"SOLID-STATE\" 电解质"), (1, vec![3], false));
    // The phrase is nowhere: its words are searched instead, and the result says so.
    let (_, ids, relaxed) = search("\"反渗透膜海水淡化\"");
    assert!(relaxed);
    assert!(ids.contains(&2), "{ids:?}");
    // Exclusions still hold after the fallback.
    let (_, ids, relaxed) = search("\"海水淡化膜\" -国产化");
    assert!(relaxed);
    assert_eq!(ids, [2]);
    // Saved-search alerts keep phrases strict.
    let keys = [(DocKind::Achievement, 1), (DocKind::Achievement, 2)];
    let among = |q: &str| {
        index
            .matching_among(q, None, &Visibility::default(), 0, &keys)
            .unwrap()
    };
    assert_eq!(among("\"海水淡化膜\""), [(DocKind::Achievement, 1)]);
    assert!(among("\"反渗透膜海水淡化\"").is_empty());
}

#[test]
fn an_owner_finds_its_confidential_need_by_a_word_only_it_holds() {
    // Words common among what the reader finds are left out of a query that has rarer ones;
    // a word only the owner's confidential need holds is rare to its owner and to brokers,
    // and to nobody else.
    let dir = tempfile::tempdir().unwrap();
    let sparing = IndexConfig {
        max_term_share: 0.1,
        ..config(1)
    };
    let index = SearchIndex::open(dir.path(), &sparing).unwrap();
    let mut ops: Vec<IndexOp> = (1..=12)
        .map(|id| IndexOp::Upsert(doc(id, &format!("海水淡化装置{id}"), "PUBLIC")))
        .collect();
    ops.push(IndexOp::Upsert(doc(13, "钠离子电池正极", "PUBLIC")));
    ops.push(IndexOp::Upsert(doc(
        101,
        "固态电解质量产需求",
        "CONFIDENTIAL",
    )));
    index.apply(&ops, 1).unwrap();
    let found = |visibility: Visibility| {
        let found = index
            .search(&request("钠离子 固态电解质", visibility))
            .unwrap();
        let mut ids: Vec<i32> = found.hits.iter().map(|h| h.id).collect();
        ids.sort();
        ids
    };
    let public = Visibility {
        need_visibilities: vec!["PUBLIC", "ANONYMOUS"],
        own_org: None,
    };
    assert_eq!(found(public.clone()), [13]);
    let owner = Visibility {
        own_org: Some(101),
        ..public
    };
    assert_eq!(
        found(owner),
        [13, 101],
        "its owner finds it by its own word"
    );
    assert_eq!(found(Visibility::default()), [13, 101], "so does a broker");
    // What decides relearning the discipline model counts no confidential need either.
    assert_eq!(index.count_of(DocKind::Achievement), 13);
    assert_eq!(index.count_of(DocKind::Need), 0);
}

#[test]
fn ties_go_to_the_first_listing_in_kind_and_id_order_whatever_segment_holds_it() {
    // Segments are ordered by size, and hidden listings count in their sizes: the later
    // listings are written first here, beside thirty confidential needs, so by document
    // address they would come first.
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path(), &config(1)).unwrap();
    let same = |kind: DocKind, id: i32| ListingDoc {
        kind,
        updated_at: 7,
        ..doc(id, "钙钛矿电池", "PUBLIC")
    };
    let mut first = vec![
        IndexOp::Upsert(same(DocKind::Achievement, 2)),
        IndexOp::Upsert(same(DocKind::Need, 1)),
    ];
    first.extend((200..230).map(|id| IndexOp::Upsert(doc(id, "海水淡化", "CONFIDENTIAL"))));
    index.apply(&first, 1).unwrap();
    index
        .apply(&[IndexOp::Upsert(same(DocKind::Achievement, 1))], 2)
        .unwrap();
    let public = Visibility {
        need_visibilities: vec!["PUBLIC", "ANONYMOUS"],
        own_org: None,
    };
    for order in [SearchOrder::Relevance, SearchOrder::Newest] {
        let found = index
            .search(&SearchRequest {
                order,
                ..request("钙钛矿电池", public.clone())
            })
            .unwrap();
        let hits: Vec<(DocKind, i32)> = found.hits.iter().map(|h| (h.kind, h.id)).collect();
        assert_eq!(
            hits,
            [
                (DocKind::Achievement, 1),
                (DocKind::Need, 1),
                (DocKind::Achievement, 2)
            ],
            "{order:?}"
        );
    }
}
