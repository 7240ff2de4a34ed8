//! One result, one listing: recognising that an incoming record (from a market or a
//! spreadsheet row) describes a listing its owner already has. Two listings of one owner are
//! the same result when their normalised titles are equal, when they share a patent number, or
//! when their titles' character bigrams overlap by 80% or more and carry the same digits
//! (`…（1）` and `…（12）` are different results).

use crate::db::outbox::ListingKind;
use crate::db::sync as repo;
use crate::error::ServiceResult;
use std::collections::HashMap;

/// Bigram overlap (Jaccard) from which two titles are the same result.
const SAME_TITLE: f64 = 0.8;

/// The listings of one owner, as duplicate detection compares them. Kept compact (hashes, not
/// texts: about 150 bytes a listing), because a market sync holds every owner it meets.
#[derive(Debug, Default)]
pub struct Siblings {
    by_title: HashMap<u64, i32>,
    by_patent: HashMap<u64, i32>,
    /// Fingerprints grouped by the digits of their titles.
    by_digits: HashMap<u64, Vec<Fingerprint>>,
}

#[derive(Debug)]
struct Fingerprint {
    id: i32,
    /// Hashed bigrams, sorted, without repeats.
    grams: Box<[u32]>,
}

/// A stable 64-bit hash of a text (for sets of titles and keys that need not keep the text).
pub fn hash64(s: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(s)
}

impl Siblings {
    /// Every listing of one owner, read from the database.
    pub async fn of_owner<C: sea_orm::ConnectionTrait>(
        db: &C,
        kind: ListingKind,
        owner: i32,
    ) -> ServiceResult<Self> {
        let mut siblings = Self::default();
        for (id, title, ip) in repo::titles_of_owner(db, kind, owner).await? {
            let patents: Vec<String> = serde_json::from_str::<Vec<serde_json::Value>>(&ip)
                .unwrap_or_default()
                .iter()
                .filter_map(|v| v["number"].as_str().map(str::to_owned))
                .collect();
            siblings.push(id, &title, &patents);
        }
        Ok(siblings)
    }

    /// Remembers one more listing.
    pub fn push(&mut self, id: i32, title: &str, patents: &[String]) {
        let title = normalise(title);
        for p in patents {
            self.by_patent
                .entry(hash64(&normalise_patent(p)))
                .or_insert(id);
        }
        self.by_digits
            .entry(hash64(&digits(&title)))
            .or_default()
            .push(Fingerprint {
                id,
                grams: grams(&title).into_boxed_slice(),
            });
        self.by_title.entry(hash64(&title)).or_insert(id);
    }

    /// The listing that a record with this title and these patent numbers describes.
    pub fn find(&self, title: &str, patents: &[String]) -> Option<i32> {
        let title = normalise(title);
        if let Some(id) = self.by_title.get(&hash64(&title)) {
            return Some(*id);
        }
        if let Some(id) = patents
            .iter()
            .find_map(|p| self.by_patent.get(&hash64(&normalise_patent(p))))
        {
            return Some(*id);
        }
        let mine = grams(&title);
        if mine.is_empty() {
            return None;
        }
        let n = mine.len() as f64;
        self.by_digits
            .get(&hash64(&digits(&title)))?
            .iter()
            .find_map(|f| {
                let m = f.grams.len() as f64;
                // |A∩B| / |A∪B| ≥ t needs min/max ≥ t: most candidates stop here.
                if m.min(n) < SAME_TITLE * m.max(n) {
                    return None;
                }
                let shared = sorted_overlap(&mine, &f.grams) as f64;
                (shared / (n + m - shared) >= SAME_TITLE).then_some(f.id)
            })
    }
}

/// Lower-case, NFKC, without spaces and punctuation.
pub fn normalise(title: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    title
        .nfkc()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// A patent number without its `ZL` prefix, spaces and dots.
pub fn normalise_patent(number: &str) -> String {
    number
        .trim()
        .trim_start_matches(['Z', 'L', 'z', 'l'])
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_uppercase()
}

/// Jaccard similarity of the character bigrams of two normalised titles; 0 when their digits
/// differ.
pub fn similarity(a: &str, b: &str) -> f64 {
    if digits(a) != digits(b) {
        return 0.0;
    }
    let (a, b) = (grams(a), grams(b));
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let shared = sorted_overlap(&a, &b) as f64;
    shared / (a.len() as f64 + b.len() as f64 - shared)
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// Character bigrams, each packed into 32 bits (a rare collision only nudges a similarity).
fn grams(s: &str) -> Vec<u32> {
    let chars: Vec<char> = s.chars().collect();
    let mut grams: Vec<u32> = chars
        .windows(2)
        .map(|w| (w[0] as u32).wrapping_mul(0x9E37_79B1) ^ (w[1] as u32))
        .collect();
    grams.sort_unstable();
    grams.dedup();
    grams
}

/// How many items two sorted lists without repeats share.
fn sorted_overlap<T: Ord>(a: &[T], b: &[T]) -> usize {
    let (mut i, mut j, mut shared) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    shared
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_compared_after_normalisation() {
        assert_eq!(normalise("海藻多糖 制备技术（１）"), "海藻多糖制备技术1");
        assert!(
            similarity(
                &normalise("海藻多糖制备技术"),
                &normalise("海藻多糖的制备技术")
            ) >= 0.6
        );
        assert!(similarity("海藻多糖制备技术", "波浪能发电装置") < 0.1);
        assert_eq!(normalise_patent("ZL 2023 1012 3456.6"), "2023101234566");
    }

    #[test]
    fn siblings_recognise_title_patent_and_near_title() {
        let mut s = Siblings::default();
        s.push(1, "海藻多糖高效提取与纯化技术", &[]);
        s.push(2, "波浪能发电装置（1）", &["ZL202310123456.6".to_owned()]);
        assert_eq!(s.find("海藻多糖 高效提取与纯化技术", &[]), Some(1));
        assert_eq!(s.find("海藻多糖高效提取与纯化技术研究", &[]), Some(1));
        assert_eq!(s.find("海藻多糖高效提取与纯化关键技术", &[]), None);
        assert_eq!(
            s.find("一种新型发电装置", &["2023 1012 3456.6".to_owned()]),
            Some(2)
        );
        // Different digits: a different result.
        assert_eq!(s.find("波浪能发电装置（12）", &[]), None);
        assert_eq!(s.find("深海养殖网箱", &[]), None);
    }
}
