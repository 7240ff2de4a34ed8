//! The audit log: every mutation records actor, action, target, time and outcome. Successes are
//! written inside the mutation's own transaction; failures, whose transaction rolled back, are
//! written afterwards on their own.

use crate::db::audit::{self as repo, AuditQuery, AuditRow, NewAuditEvent};
use crate::error::ServiceResult;
use crate::service::{Actor, Context, Page, Window, policy};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};
use std::sync::Arc;

/// What an audited action touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// Type name (`Achievement`, `Need`, `Organization`, `User`, `Token`, `MembershipRequest`).
    pub kind: Option<&'static str>,
    /// Row id.
    pub id: Option<i32>,
}

impl Target {
    /// No particular object.
    pub const NONE: Target = Target {
        kind: None,
        id: None,
    };

    /// A typed object.
    pub fn of(kind: &'static str, id: i32) -> Self {
        Self {
            kind: Some(kind),
            id: Some(id),
        }
    }

    /// An organisation.
    pub fn org(id: i32) -> Self {
        Self::of("Organization", id)
    }

    /// A user account.
    pub fn user(id: i32) -> Self {
        Self::of("User", id)
    }
}

/// Writes one record with `db` (the mutation's transaction on success).
pub async fn record<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    action: &str,
    target: Target,
    outcome: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let label = actor.label();
    repo::insert(
        db,
        NewAuditEvent {
            actor_user_id: actor.user_id(),
            actor_label: &label,
            action,
            target_type: target.kind,
            target_id: target.id,
            outcome,
        },
        now,
    )
    .await
}

impl Context {
    /// Runs `work`, an operation `actor` does as `action` on `target`, and records its
    /// failure in the audit log (a success is recorded by `work`, inside its transaction,
    /// with [`Context::audit_ok`]).
    pub(crate) async fn audited<T>(
        &self,
        actor: &Actor,
        action: &str,
        target: Target,
        work: impl Future<Output = ServiceResult<T>>,
    ) -> ServiceResult<T> {
        let result = work.await;
        self.audit_failure(actor, action, target, result).await
    }

    /// Passes `result` through, recording a failure (its error code) in the audit log.
    pub(crate) async fn audit_failure<T>(
        &self,
        actor: &Actor,
        action: &str,
        target: Target,
        result: ServiceResult<T>,
    ) -> ServiceResult<T> {
        if let Err(err) = &result {
            let outcome = err.code().as_str();
            if let Err(db_err) = record(
                &self.db.conn,
                actor,
                action,
                target,
                outcome,
                self.clock.now(),
            )
            .await
            {
                tracing::error!(action, error = %db_err, "writing audit record failed");
            }
        }
        result
    }

    /// Records a success inside `txn`.
    pub(crate) async fn audit_ok<C: ConnectionTrait>(
        &self,
        txn: &C,
        actor: &Actor,
        action: &str,
        target: Target,
    ) -> Result<(), DbErr> {
        record(txn, actor, action, target, "OK", self.clock.now()).await
    }
}

/// Reading the audit log (operators only).
#[derive(Debug, Clone)]
pub struct AuditService {
    ctx: Arc<Context>,
}

impl AuditService {
    pub(crate) fn new(ctx: Arc<Context>) -> Self {
        Self { ctx }
    }

    /// A page of records matching `query`, newest first.
    pub async fn list(
        &self,
        actor: &Actor,
        query: &AuditQuery,
        window: Window,
    ) -> ServiceResult<Page<AuditRow>> {
        policy::require_operator(actor)?;
        let db = &self.ctx.db.conn;
        let total = repo::count(db, query).await?;
        self.ctx
            .paged(window, total, |offset, limit| {
                repo::page(db, query, offset, limit)
            })
            .await
    }
}
