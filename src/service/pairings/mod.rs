//! The broker workflow: a firm's request, a university's offer or a broker's proposal becomes a
//! pairing (对接) that a broker carries from REQUESTED to a signed contract.
//!
//! Every move is one transaction: the pairing row, its timeline event, the disclosure grants at
//! INTRODUCED, the listing status changes at NEGOTIATING and SIGNED, the audit record and the
//! notifications of everyone involved. Notifications are pushed live after the commit.
//! Deadlines are stored on the pairing (`due_at`) and enforced by [`PairingService::expire_due`],
//! which the sweeper runs; the clock is injected, so tests move it instead of sleeping.
//!
//! `opening.rs` opens a pairing, `moves.rs` carries it, `effects.rs` writes what a move does to
//! listings, grants and inboxes, `deadlines.rs` expires overdue ones, `reads.rs` shows them;
//! `stats.rs` and `stats_period.rs` are the operators' and brokers' statistics.

mod deadlines;
mod effects;
mod moves;
mod opening;
mod reads;
pub mod stats;
pub mod stats_period;

use crate::domain::{ContractKind, Pairing, PairingRole, PairingStatus};
use crate::service::Context;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Longest request message, note or reason, in characters.
const MAX_TEXT: usize = 2000;

/// Deadlines and thresholds of the workflow (`[pairing]` in the configuration).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PairingRules {
    /// Days a request may wait for a broker before it expires (N).
    pub accept_within_days: i64,
    /// Days a side may leave a pairing unanswered, or talks may stall, before it expires (M).
    pub answer_within_days: i64,
    /// Stored matches scoring at least this (0..1) are announced to both listings' owners.
    pub match_notify_threshold: f64,
}

impl Default for PairingRules {
    fn default() -> Self {
        Self {
            accept_within_days: 7,
            answer_within_days: 14,
            match_notify_threshold: 0.5,
        }
    }
}

/// A pairing as one viewer may see it.
#[derive(Debug, Clone)]
pub struct PairingView {
    /// The pairing.
    pub pairing: Pairing,
    /// The viewer's roles on it.
    pub roles: Vec<PairingRole>,
    /// Whether the viewer may know which firm is behind it (hidden from the result's owner
    /// until INTRODUCED when the firm's need is anonymous or confidential).
    pub enterprise_visible: bool,
}

/// What a pairing is opened on.
#[derive(Debug, Clone)]
pub struct OpenPairing {
    /// The research result.
    pub achievement_id: i32,
    /// The firm's need (required for offers and proposals, optional for a firm's request).
    pub need_id: Option<i32>,
    /// Why, for the other side and the broker.
    pub message: String,
}

/// The contract recorded at SIGNED.
#[derive(Debug, Clone)]
pub struct SignInput {
    /// Kind of technical contract.
    pub kind: ContractKind,
    /// Amount in yuan.
    pub amount_yuan: i64,
    /// Signing date.
    pub signed_on: NaiveDate,
    /// 技术合同登记号, if registered.
    pub registration_number: Option<String>,
    /// Also mark the result 已转化 (transferred).
    pub mark_transferred: bool,
}

/// Filters of the broker queue and pairing lists.
#[derive(Debug, Clone, Default)]
pub struct PairingFilter {
    /// Any of these statuses (empty: the open ones).
    pub statuses: Vec<PairingStatus>,
    /// Priority track.
    pub track: Option<String>,
    /// GB/T 4754 code prefix.
    pub industry: Option<String>,
    /// GB/T 2260 code prefix of the firm's region.
    pub region: Option<String>,
    /// At least this many days old.
    pub min_age_days: Option<i64>,
    /// Only those carried by me.
    pub assigned_to_me: bool,
    /// Only those without a broker.
    pub unassigned: bool,
}

/// Pairing use cases.
#[derive(Debug, Clone)]
pub struct PairingService {
    ctx: Arc<Context>,
}

impl PairingService {
    pub(crate) fn new(ctx: Arc<Context>) -> Self {
        Self { ctx }
    }

    fn rules(&self) -> &PairingRules {
        &self.ctx.settings.pairing
    }
}
