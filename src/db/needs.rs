//! The `needs` table as technology needs: the row mapping and facet tags of [`ListingTable`];
//! every statement lives in [`crate::db::listings`].

use crate::db::entities::need::{ActiveModel, Entity, Model};
use crate::db::listings::{self, ListingTable};
use crate::db::outbox::ListingKind;
use crate::db::{from_json, to_json};
use crate::domain::{ListingSource, Need, NeedStatus, NeedVisibility, PriceRange, TransferMode};
use sea_orm::{ConnectionTrait, DbErr, NotSet, Set};

pub use crate::db::listings::save;

impl ListingTable for Need {
    type Entity = Entity;
    type Row = Model;
    type ActiveRow = ActiveModel;
    const KIND: ListingKind = ListingKind::Need;

    fn from_row(m: Model) -> Self {
        Need {
            id: m.id,
            owner_id: m.owner_id,
            keywords: from_json(&m.keywords, "needs.keywords"),
            industry_codes: from_json(&m.industry_codes, "needs.industry_codes"),
            cooperation_modes: from_json(&m.cooperation_modes, "needs.cooperation_modes"),
            priority_tracks: from_json(&m.priority_tracks, "needs.priority_tracks"),
            min_trl: m.min_trl.and_then(|t| u8::try_from(t).ok()),
            budget: PriceRange::from_stored(m.budget_min, m.budget_max),
            visibility: NeedVisibility::parse(&m.visibility)
                .unwrap_or(NeedVisibility::Confidential),
            status: NeedStatus::parse(&m.status).unwrap_or(NeedStatus::Draft),
            source: ListingSource::parse(&m.source).unwrap_or(ListingSource::Local),
            title: m.title,
            problem: m.problem,
            requirements: m.requirements,
            confidential_detail: m.confidential_detail,
            discipline_code: m.discipline_code,
            deadline: m.deadline,
            published_at: m.published_at,
            expires_at: m.expires_at,
            external_id: m.external_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
            moderation_note: m.moderation_note,
        }
    }

    fn to_row(&self) -> ActiveModel {
        ActiveModel {
            id: if self.id == 0 { NotSet } else { Set(self.id) },
            owner_id: Set(self.owner_id),
            title: Set(self.title.clone()),
            problem: Set(self.problem.clone()),
            requirements: Set(self.requirements.clone()),
            confidential_detail: Set(self.confidential_detail.clone()),
            keywords: Set(to_json(&self.keywords)),
            industry_codes: Set(to_json(&self.industry_codes)),
            discipline_code: Set(self.discipline_code.clone()),
            min_trl: Set(self.min_trl.map(i16::from)),
            cooperation_modes: Set(to_json(&self.cooperation_modes)),
            budget_min: Set(self.budget.min()),
            budget_max: Set(self.budget.max()),
            deadline: Set(self.deadline),
            visibility: Set(self.visibility.as_str().to_owned()),
            priority_tracks: Set(to_json(&self.priority_tracks)),
            status: Set(self.status.as_str().to_owned()),
            published_at: Set(self.published_at),
            expires_at: Set(self.expires_at),
            source: Set(self.source.as_str().to_owned()),
            external_id: Set(self.external_id.clone()),
            created_at: Set(self.created_at),
            updated_at: Set(self.updated_at),
            moderation_note: Set(self.moderation_note.clone()),
        }
    }

    fn modes(&self) -> &[TransferMode] {
        &self.cooperation_modes
    }
}

/// One need by id.
pub async fn find<C: ConnectionTrait>(db: &C, id: i32) -> Result<Option<Need>, DbErr> {
    listings::find(db, id).await
}

/// Needs with id above `after_id`, by id, at most `limit` (for rebuilding the index).
pub async fn batch_after<C: ConnectionTrait>(
    db: &C,
    after_id: i32,
    limit: u64,
) -> Result<Vec<Need>, DbErr> {
    listings::batch_after(db, after_id, limit).await
}
