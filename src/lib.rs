//! Qianxian (牵线): a technology-transfer marketplace backend for Qingdao.
//!
//! Layers run one way: [`http`] and [`graphql`] call [`service`], which owns validation,
//! visibility and transactions and calls [`db`]. See `ARCHITECTURE.md` for the map.

pub mod app;
pub mod cli;
pub mod clock;
pub mod codes;
pub mod config;
pub mod connectors;
pub mod data_dir;
pub mod db;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod http;
pub mod ids;
pub mod progress;
pub mod search;
pub mod seed;
pub mod service;
pub mod sheet;
pub mod telemetry;

/// mimalloc hands memory back to the system soon after it is freed: a bulk index build frees
/// its writer's buffers (about 2 GiB at 1M listings), which glibc kept resident in the serving
/// process. It is set here so the binary, the tests and the benchmarks all measure the same.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
