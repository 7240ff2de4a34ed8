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
pub mod db;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod http;
pub mod progress;
pub mod search;
pub mod seed;
pub mod service;
pub mod sheet;
pub mod telemetry;
