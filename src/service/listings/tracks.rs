//! Priority tracks (重点产业赛道): data that operators edit, not code.

use crate::db::tracks as repo;
use crate::domain::PriorityTrack;
use crate::error::{ErrorCode, FieldError, ServiceError, ServiceResult};
use crate::service::{Actor, Context, policy};
use std::sync::Arc;

/// Priority-track use cases.
#[derive(Debug, Clone)]
pub struct TrackService {
    ctx: Arc<Context>,
}

impl TrackService {
    pub(crate) fn new(ctx: Arc<Context>) -> Self {
        Self { ctx }
    }

    /// Every track, active ones first in display order.
    pub async fn list(&self) -> ServiceResult<Vec<PriorityTrack>> {
        Ok(repo::all(&self.ctx.db.conn).await?)
    }

    /// Creates or changes a track; operators only.
    pub async fn upsert(
        &self,
        actor: &Actor,
        track: PriorityTrack,
    ) -> ServiceResult<PriorityTrack> {
        policy::require_operator(actor)?;
        let code_ok = !track.code.is_empty()
            && track.code.len() <= 64
            && track
                .code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        let mut errors = Vec::new();
        if !code_ok {
            errors.push(FieldError::new(
                "code",
                ErrorCode::InvalidText,
                "赛道代码只能使用小写字母、数字和连字符，最多 64 个字符",
            ));
        }
        if track.name.trim().is_empty() || track.name.chars().count() > 50 {
            errors.push(FieldError::new(
                "name",
                ErrorCode::InvalidText,
                "赛道名称不能为空，最多 50 个字",
            ));
        }
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        Ok(repo::upsert(&self.ctx.db.conn, &track, self.ctx.clock.now()).await?)
    }
}
