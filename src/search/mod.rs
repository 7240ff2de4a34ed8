//! Full-text search over listings: the analysis chain, the index built from the versioned
//! configuration in `index/`, the indexer that applies the listing outbox, and queries.

pub mod analysis;
pub mod config;
pub mod crosswalk;
mod facets;
pub mod homophones;
pub mod index;
pub mod matching;
pub mod reasons;
pub(crate) mod statistics;
