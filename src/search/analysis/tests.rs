//! Tests of the analysis chain: normalisation, words, codes, synonyms, bigrams, offsets.

use super::*;
use std::sync::OnceLock;

#[test]
fn word_tokens_reach_tantivy_in_offset_order_with_their_own_text() {
    use tantivy::tokenizer::{TokenStream, Tokenizer};
    let text = "大面积钙钛矿太阳能电池封装工艺（3）与钙钛矿电池稳定性";
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("index");
    let dict = std::fs::read_to_string(root.join("dict.txt")).unwrap();
    let syn = std::fs::read_to_string(root.join("synonyms.txt")).unwrap();
    let mut words = TantivyAnalyzer::words(Arc::new(Analyzer::new(&dict, &syn)));
    let mut stream = words.token_stream(text);
    let mut last = (0, 0);
    let mut seen = Vec::new();
    while stream.advance() {
        let t = stream.token();
        assert!((t.offset_from, t.offset_to) >= last, "{t:?} after {last:?}");
        last = (t.offset_from, t.offset_to);
        seen.push(t.text.clone());
    }
    for word in ["钙钛矿", "电池", "封装"] {
        assert!(seen.iter().any(|s| s == word), "{word} in {seen:?}");
    }
}

fn analyzer() -> &'static Analyzer {
    static A: OnceLock<Analyzer> = OnceLock::new();
    A.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("index");
        let dict = std::fs::read_to_string(root.join("dict.txt")).unwrap();
        let syn = std::fs::read_to_string(root.join("synonyms.txt")).unwrap();
        Analyzer::new(&dict, &syn)
    })
}

fn texts(terms: &[Term]) -> Vec<String> {
    terms.iter().map(|t| t.text.clone()).collect()
}

#[test]
fn normalising_fast_paths_agree_with_nfkc() {
    let by_nfkc = |c: char| -> String {
        std::iter::once(c)
            .nfkc()
            .flat_map(char::to_lowercase)
            .collect()
    };
    let fast: Vec<char> = (0x2000..=0x303F_u32)
        .chain(0xFF00..=0xFFEF)
        .filter_map(char::from_u32)
        .filter(|c| is_nfkc_punctuation(*c) || full_width_ascii(*c).is_some())
        .collect();
    assert_eq!(fast.len(), 2 + 10 + 8 + 5 + 94, "every range is covered");
    for c in fast {
        let normalised: String = normalise(&c.to_string()).iter().map(|n| n.c).collect();
        assert_eq!(normalised, by_nfkc(c), "U+{:04X}", c as u32);
    }
}

#[test]
fn full_width_and_case_fold_to_the_same_tokens() {
    let a = texts(&analyzer().words("５Ｇ基站"));
    let b = texts(&analyzer().words("5g基站"));
    assert_eq!(a, b);
    assert!(a.iter().any(|t| t == "5g"));
    assert!(a.iter().any(|t| t == "基站"));
}

#[test]
fn domain_words_stay_whole_and_synonyms_meet() {
    let t = texts(&analyzer().words("高效钙钛矿太阳能电池的界面钝化"));
    assert!(t.iter().any(|x| x == "钙钛矿太阳能电池"), "{t:?}");
    assert!(
        t.iter().any(|x| x == "钙钛矿电池"),
        "synonym group's canonical form: {t:?}"
    );
    let psc = texts(&analyzer().words("PSC组件"));
    assert!(psc.iter().any(|x| x == "钙钛矿电池"), "{psc:?}");
    let thz = texts(&analyzer().words("THz成像"));
    assert!(thz.iter().any(|x| x == "太赫兹"), "{thz:?}");
}

#[test]
fn codes_and_model_numbers_are_whole_tokens() {
    let t = texts(&analyzer().words("符合 GB/T 22900 标准，型号 BG136，专利 ZL202310123456.6"));
    for want in [
        "gbt22900",
        "gb/t",
        "bg136",
        "zl202310123456.6",
        "202310123456.6",
        "zl2023101234566",
    ] {
        assert!(t.iter().any(|x| x == want), "{want} missing in {t:?}");
    }
}

#[test]
fn mixed_chinese_and_english_queries_split_cleanly() {
    let t = texts(&analyzer().words("AI海洋生物医药"));
    assert!(t.iter().any(|x| x == "ai"));
    assert!(
        t.iter().any(|x| x == "人工智能"),
        "AI meets 人工智能 through synonyms: {t:?}"
    );
    assert!(t.iter().any(|x| x.contains("海洋")));
}

#[test]
fn offsets_fall_on_character_boundaries_of_real_text() {
    let samples = [
        "采用溶胶-凝胶法制备了Fe3O4纳米颗粒，密度为3.60g/cm3，δ18O值偏正；S11≤-13dB，带宽达到２．４ＧＨｚ。",
        "基于ＢＧ１３６芯片的太赫兹成像系统，（见GB/T 22900—2022）",
        "🙂 emoji 与 ｆｕｌｌ－ｗｉｄｔｈ 混排",
    ];
    for text in samples {
        for term in analyzer()
            .words(text)
            .iter()
            .chain(analyzer().bigrams(text).iter())
        {
            assert!(
                text.is_char_boundary(term.from) && text.is_char_boundary(term.to),
                "{term:?} in {text}"
            );
            assert!(term.from < term.to);
            let _slice = &text[term.from..term.to];
        }
    }
}

#[test]
fn stopwords_are_no_token_and_no_bigram_touches_them() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("index");
    let config = crate::search::config::IndexConfig::load(&root).unwrap();
    let analyzer = Analyzer::from_config(&config);
    let text = "钙钛矿的制备与表征，和谐社会";
    let words = texts(&analyzer.words(text));
    assert!(!words.iter().any(|w| w == "的" || w == "与"), "{words:?}");
    assert!(
        words.contains(&"和谐".to_owned()),
        "和 inside a word stays: {words:?}"
    );
    for bigrams in [analyzer.bigrams(text), analyzer.document_bigrams(text)] {
        let bigrams = texts(&bigrams);
        for gone in ["矿的", "的制", "备与", "与表"] {
            assert!(!bigrams.contains(&gone.to_owned()), "{gone} in {bigrams:?}");
        }
        assert!(bigrams.contains(&"钛矿".to_owned()), "{bigrams:?}");
    }
    // Alone, a stopword leaves nothing to search for.
    assert!(analyzer.words("的").is_empty() && analyzer.bigrams("的").is_empty());
    // Without a stopword file every character counts.
    assert!(analyzer.bigrams("矿的").is_empty());
    assert_eq!(texts(&self::analyzer().bigrams("矿的")), ["矿的"]);
}

#[test]
fn document_bigrams_leave_out_only_the_two_character_words_at_their_place() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("index");
    let config = crate::search::config::IndexConfig::load(&root).unwrap();
    assert_eq!(config.bigrams, Bigrams::NonWords, "the shipped setting");
    let analyzer = Analyzer::from_config(&config);
    let text = "新型锂电池隔膜涂层，废旧电池回收";
    let words = analyzer.words(text);
    let all = analyzer.bigrams(text);
    let kept = analyzer.document_bigrams(text);
    let left_out: Vec<&Term> = all
        .iter()
        .filter(|b| !kept.iter().any(|k| k.from == b.from && k.text == b.text))
        .collect();
    assert!(!left_out.is_empty() && kept.len() + left_out.len() == all.len());
    for b in &left_out {
        assert!(
            words
                .iter()
                .any(|w| w.text == b.text && w.from == b.from && w.to == b.to),
            "{b:?} left out but not a word at that place: {words:?}"
        );
    }
    let kept = texts(&kept);
    assert!(!kept.contains(&"电池".to_owned()), "{kept:?}");
    assert!(kept.contains(&"旧电".to_owned()), "{kept:?}");
    // The shortcut only holds for the text the word tokenizer just read: any other text
    // gets every bigram.
    analyzer.document_words::<()>("隔膜");
    let other = texts(&collect_bigrams(BigramStream::for_document("废旧电池")));
    assert_eq!(other, ["废旧", "旧电", "电池"]);
}

#[test]
fn punctuation_is_dropped_and_bigrams_cover_unknown_words() {
    let t = texts(&analyzer().words("，。！？、；：（）"));
    assert!(t.is_empty(), "{t:?}");
    let b = texts(&analyzer().bigrams("糖蛋白合成"));
    assert_eq!(b, ["糖蛋", "蛋白", "白合", "合成"]);
    assert_eq!(texts(&analyzer().bigrams("Li6PS5Cl")), ["li6ps5cl"]);
}
