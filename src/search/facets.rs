//! Facet counts for a search in one pass: for every match, the children of each counted root
//! (`/industry/C`, `/trl/6`, …) and of each industry section and province
//! (`/industry/C/C38`, `/region/370000/370200`) it falls under, each match counted once per
//! bucket. Tantivy's `FacetCollector` counts one level per collector and rebuilds its ordinal
//! map for every segment and query; this reads each match's facet ordinals once and keeps
//! each segment's map (segments never change) for the next query.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::fastfield::FacetReader;
use tantivy::index::SegmentId;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// No bucket.
const NONE: u32 = u32::MAX;
/// Segments whose maps are kept; beyond this the cache starts afresh (merges replace
/// segments, so old entries would only pile up).
const CACHED_SEGMENTS: usize = 256;

/// Which buckets each facet ordinal of one segment counts towards.
pub(super) struct SegmentMap {
    /// `(first-level bucket, second-level bucket)` per facet ordinal.
    slots: Vec<(u32, u32)>,
    /// Bucket paths such as `/industry/C`, by bucket number.
    buckets: Vec<String>,
}

/// Counts facet buckets of the matches of a search.
pub(super) struct FacetCounter {
    field: String,
    /// Roots whose children are counted (`/industry`, …).
    roots: &'static [&'static str],
    /// Roots whose grandchildren are counted too (`/industry`, `/region`).
    deep_roots: &'static [&'static str],
    cache: FacetMapCache,
}

/// A cache of segment maps shared by every search of one index.
pub(super) type FacetMapCache = Arc<Mutex<HashMap<SegmentId, Arc<SegmentMap>>>>;

impl FacetCounter {
    /// A counter of the children of `roots`, and of their children under `deep_roots`.
    pub(super) fn new(
        field: &str,
        roots: &'static [&'static str],
        deep_roots: &'static [&'static str],
        cache: FacetMapCache,
    ) -> Self {
        Self {
            field: field.to_owned(),
            roots,
            deep_roots,
            cache,
        }
    }

    fn segment_map(&self, reader: &SegmentReader) -> tantivy::Result<Arc<SegmentMap>> {
        let id = reader.segment_id();
        if let Some(map) = self.lock().get(&id) {
            return Ok(map.clone());
        }
        let facets = reader.facet_reader(&self.field)?;
        let map = Arc::new(self.build_map(&facets)?);
        let mut cache = self.lock();
        if cache.len() >= CACHED_SEGMENTS {
            cache.clear();
        }
        cache.insert(id, map.clone());
        Ok(map)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SegmentId, Arc<SegmentMap>>> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Streams the segment's facet dictionary once. Facets are stored encoded, without the
    /// leading `/` and with `\0` between parts.
    fn build_map(&self, facets: &FacetReader) -> tantivy::Result<SegmentMap> {
        let dict = facets.facet_dict();
        let mut slots = vec![(NONE, NONE); dict.num_terms()];
        let mut buckets: Vec<String> = Vec::new();
        let mut numbers: HashMap<String, u32> = HashMap::new();
        let mut bucket = |path: String| -> u32 {
            *numbers.entry(path.clone()).or_insert_with(|| {
                buckets.push(path);
                (buckets.len() - 1) as u32
            })
        };
        let mut stream = dict.range().into_stream()?;
        while stream.advance() {
            let Ok(key) = std::str::from_utf8(stream.key()) else {
                continue;
            };
            let parts: Vec<&str> = key.split('\0').collect();
            let root = format!("/{}", parts[0]);
            if parts.len() < 2 || !self.roots.contains(&root.as_str()) {
                continue;
            }
            let first = bucket(format!("{root}/{}", parts[1]));
            let second = if parts.len() >= 3 && self.deep_roots.contains(&root.as_str()) {
                bucket(format!("{root}/{}/{}", parts[1], parts[2]))
            } else {
                NONE
            };
            slots[stream.term_ord() as usize] = (first, second);
        }
        Ok(SegmentMap { slots, buckets })
    }
}

impl Collector for FacetCounter {
    type Fruit = Vec<(String, u64)>;
    type Child = SegmentCounter;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentCounter> {
        let map = self.segment_map(reader)?;
        Ok(SegmentCounter {
            facets: reader.facet_reader(&self.field)?,
            counts: vec![0; map.buckets.len()],
            map,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Vec<(String, u64)>>) -> tantivy::Result<Self::Fruit> {
        let mut merged: HashMap<String, u64> = HashMap::new();
        for (path, count) in fruits.into_iter().flatten() {
            *merged.entry(path).or_default() += count;
        }
        let mut out: Vec<(String, u64)> = merged.into_iter().collect();
        out.sort();
        Ok(out)
    }
}

/// One segment's counts.
pub(super) struct SegmentCounter {
    facets: FacetReader,
    map: Arc<SegmentMap>,
    counts: Vec<u64>,
}

impl SegmentCollector for SegmentCounter {
    type Fruit = Vec<(String, u64)>;

    fn collect(&mut self, doc: DocId, _: Score) {
        // A document's ordinals are sorted, so those of one bucket are adjacent: counting a
        // bucket only when it differs from the previous one counts each document once.
        let (mut previous_first, mut previous_second) = (NONE, NONE);
        for ord in self.facets.facet_ords(doc) {
            let Some(&(first, second)) = self.map.slots.get(ord as usize) else {
                continue;
            };
            if first != NONE && first != previous_first {
                self.counts[first as usize] += 1;
                previous_first = first;
            }
            if second != NONE && second != previous_second {
                self.counts[second as usize] += 1;
                previous_second = second;
            }
        }
    }

    fn harvest(self) -> Self::Fruit {
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(bucket, c)| (self.map.buckets[bucket].clone(), *c))
            .collect()
    }
}
