//! Markets: listings that come from elsewhere. Market sync (`sync/`: pulling pages from each
//! market's cursor, pushing opted-in listings back), spreadsheet import (`import.rs`, with the
//! template's columns in `import_columns.rs`), and the duplicate rules both use so that one
//! result stays one listing (`dedup.rs`). Every record goes through the listing core, with the
//! same validation as the API.

pub mod dedup;
pub mod import;
pub mod import_columns;
pub mod sync;
