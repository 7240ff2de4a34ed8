//! Chinese typos are mostly homophones picked from a pinyin input method's list (`钙钛旷` for
//! `钙钛矿`, `盖钛矿`), often more than one in a word, where the bigrams that catch a single
//! wrong character find nothing. A query's stretch around a character that did not join a word
//! is looked up as the indexed words that sound the same, character by character, through an
//! automaton over the term dictionary (toneless readings from the `pinyin` crate, every
//! reading of a character with several).

use pinyin::ToPinyinMulti;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// Characters by toneless reading, for every CJK unified ideograph that has one.
fn by_reading() -> &'static HashMap<&'static str, Vec<char>> {
    static MAP: OnceLock<HashMap<&'static str, Vec<char>>> = OnceLock::new();
    MAP.get_or_init(|| {
        let mut map: HashMap<&'static str, Vec<char>> = HashMap::new();
        for c in '\u{4E00}'..='\u{9FFF}' {
            for reading in c.to_pinyin_multi().into_iter().flatten() {
                map.entry(reading.plain()).or_default().push(c);
            }
        }
        map
    })
}

/// The characters that sound like `c` in any of its readings, `c` included.
pub fn sound_alikes(c: char) -> HashSet<char> {
    let mut out = HashSet::from([c]);
    for reading in c.to_pinyin_multi().into_iter().flatten() {
        if let Some(chars) = by_reading().get(reading.plain()) {
            out.extend(chars.iter().copied());
        }
    }
    out
}

/// An automaton over UTF-8 term bytes that accepts the words of exactly as many characters as
/// the pattern, each sounding like the pattern's character at its place.
pub struct SoundsLike {
    places: Vec<Place>,
}

/// The characters allowed at one place, as packed UTF-8 bytes, with their first bytes and first
/// two bytes so that a walk leaves a branch at the first byte that cannot lead to one of them.
struct Place {
    chars: HashSet<u32>,
    prefixes: HashSet<u32>,
}

/// Packs up to four bytes into one number, most significant first.
fn pack(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0, |acc, b| acc << 8 | u32::from(*b))
}

impl SoundsLike {
    /// The automaton for `word`.
    pub fn new(word: &str) -> Self {
        let places = word
            .chars()
            .map(|c| {
                let mut place = Place {
                    chars: HashSet::new(),
                    prefixes: HashSet::new(),
                };
                for alike in sound_alikes(c) {
                    let mut buf = [0; 4];
                    let bytes = alike.encode_utf8(&mut buf).as_bytes();
                    place.chars.insert(pack(bytes));
                    for len in 1..bytes.len() {
                        place.prefixes.insert(pack(&bytes[..len]));
                    }
                }
                place
            })
            .collect();
        Self { places }
    }
}

/// Where a walk is: the place, and the bytes read so far of the character at that place.
#[derive(Clone, Copy)]
pub struct Walk {
    place: usize,
    partial: u32,
    len: u8,
}

fn utf8_width(first: u8) -> u8 {
    match first {
        0..0x80 => 1,
        0xC0..0xE0 => 2,
        0xE0..0xF0 => 3,
        _ => 4,
    }
}

impl tantivy_fst::Automaton for SoundsLike {
    type State = Option<Walk>;

    fn start(&self) -> Self::State {
        Some(Walk {
            place: 0,
            partial: 0,
            len: 0,
        })
    }

    fn is_match(&self, state: &Self::State) -> bool {
        matches!(state, Some(w) if w.place == self.places.len() && w.len == 0)
    }

    fn can_match(&self, state: &Self::State) -> bool {
        state.is_some()
    }

    fn accept(&self, state: &Self::State, byte: u8) -> Self::State {
        let walk = (*state)?;
        let place = self.places.get(walk.place)?;
        let first = if walk.len == 0 {
            byte
        } else {
            (walk.partial >> (8 * (walk.len - 1))) as u8
        };
        let partial = walk.partial << 8 | u32::from(byte);
        let len = walk.len + 1;
        if len == utf8_width(first) {
            place.chars.contains(&partial).then_some(Walk {
                place: walk.place + 1,
                partial: 0,
                len: 0,
            })
        } else {
            place.prefixes.contains(&partial).then_some(Walk {
                partial,
                len,
                ..walk
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy_fst::{Automaton, IntoStreamer, Map, Streamer};

    #[test]
    fn homophones_include_the_character_and_its_sound_alikes() {
        let kuang = sound_alikes('旷');
        assert!(kuang.contains(&'矿') && kuang.contains(&'旷') && kuang.contains(&'况'));
        assert!(!kuang.contains(&'钛'));
        // 行 reads xíng and háng: both.
        let xing = sound_alikes('行');
        assert!(xing.contains(&'型') && xing.contains(&'航'));
    }

    #[test]
    fn the_automaton_accepts_words_that_sound_alike_at_every_place_and_nothing_else() {
        let words = ["况态", "钙钛", "钙钛矿", "钙钛矿电池", "钛矿", "高态矿"];
        let sorted: std::collections::BTreeSet<&str> = words.into_iter().collect();
        let map = Map::from_iter(sorted.into_iter().map(|w| (w, 0))).unwrap();
        let mut found = Vec::new();
        let mut stream = map.search(SoundsLike::new("盖钛旷")).into_stream();
        while let Some((key, _)) = stream.next() {
            found.push(String::from_utf8(key.to_vec()).unwrap());
        }
        assert_eq!(found, ["钙钛矿"]);
        let automaton = SoundsLike::new("矿");
        let mut state = automaton.start();
        for b in "旷".bytes() {
            state = automaton.accept(&state, b);
        }
        assert!(automaton.is_match(&state));
        state = automaton.accept(&state, b'x');
        assert!(!automaton.can_match(&state));
    }
}
