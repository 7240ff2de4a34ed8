//! Search and matching: the indexer that follows the listing outbox into this replica's
//! search index and the search use case (`search`), two-way matching with its stored matches,
//! dismissals and judgements (`matches`), and the alerts that stored matches and saved
//! searches raise (`alerts`). The engine itself is `crate::search`.

pub mod alerts;
mod matches;
pub mod search;

pub use matches::*;
