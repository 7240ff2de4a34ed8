//! The black-box suite, one binary: each module starts the real application (HTTP, GraphQL,
//! WebSocket, CLI) on a fresh database and probes one area. One binary links the service once;
//! seventeen binaries linked it seventeen times (issue #21).
//!
//! `cargo test` runs it on SQLite; `QIANXIAN_TEST_DATABASE_URL=postgres://…` runs the same tests
//! on PostgreSQL. Filter by area with the module name: `cargo test --test api privacy::`.

mod common;

mod auth;
mod authorization;
mod cli;
mod conventions;
mod docs;
mod fuzz;
mod graphiql;
mod http;
mod import;
mod listings;
mod matching;
mod notifications;
mod pairings;
mod privacy;
mod queries;
mod replicas;
mod schema_drift;
mod search;
mod seed;
mod statistics;
mod sync;
mod validation;
