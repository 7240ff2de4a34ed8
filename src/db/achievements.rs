//! The `achievements` table as research results: the row mapping and facet tags of [`ListingTable`];
//! every statement lives in [`crate::db::listings`].

use crate::db::entities::achievement::{ActiveModel, Entity, Model};
use crate::db::listings::{self, ListingTable};
use crate::db::outbox::ListingKind;
use crate::db::{from_json, to_json};
use crate::domain::{
    Achievement, AchievementStatus, ListingSource, MaturityStage, PriceRange, TransferMode,
};
use sea_orm::{ConnectionTrait, DbErr, NotSet, Set};

pub use crate::db::listings::save;

impl ListingTable for Achievement {
    type Entity = Entity;
    type Row = Model;
    type ActiveRow = ActiveModel;
    const KIND: ListingKind = ListingKind::Achievement;

    fn from_row(m: Model) -> Self {
        Achievement {
            id: m.id,
            owner_id: m.owner_id,
            keywords: from_json(&m.keywords, "achievements.keywords"),
            industry_codes: from_json(&m.industry_codes, "achievements.industry_codes"),
            ip_records: from_json(&m.ip_records, "achievements.ip_records"),
            transfer_modes: from_json(&m.transfer_modes, "achievements.transfer_modes"),
            inventors: from_json(&m.inventors, "achievements.inventors"),
            priority_tracks: from_json(&m.priority_tracks, "achievements.priority_tracks"),
            trl: u8::try_from(m.trl).unwrap_or(1),
            maturity: MaturityStage::parse(&m.maturity).unwrap_or(MaturityStage::InResearch),
            price: PriceRange::from_stored(m.price_min, m.price_max),
            status: AchievementStatus::parse(&m.status).unwrap_or(AchievementStatus::Draft),
            source: ListingSource::parse(&m.source).unwrap_or(ListingSource::Local),
            title: m.title,
            summary: m.summary,
            confidential_detail: m.confidential_detail,
            application_fields: m.application_fields,
            advantages: m.advantages,
            requirements: m.requirements,
            discipline_code: m.discipline_code,
            team_lead: m.team_lead,
            registration_number: m.registration_number,
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
            summary: Set(self.summary.clone()),
            confidential_detail: Set(self.confidential_detail.clone()),
            keywords: Set(to_json(&self.keywords)),
            application_fields: Set(self.application_fields.clone()),
            advantages: Set(self.advantages.clone()),
            requirements: Set(self.requirements.clone()),
            discipline_code: Set(self.discipline_code.clone()),
            industry_codes: Set(to_json(&self.industry_codes)),
            trl: Set(i16::from(self.trl)),
            maturity: Set(self.maturity.as_str().to_owned()),
            ip_records: Set(to_json(&self.ip_records)),
            transfer_modes: Set(to_json(&self.transfer_modes)),
            price_min: Set(self.price.min()),
            price_max: Set(self.price.max()),
            team_lead: Set(self.team_lead.clone()),
            inventors: Set(to_json(&self.inventors)),
            registration_number: Set(self.registration_number.clone()),
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
        &self.transfer_modes
    }
}

/// One result by id.
pub async fn find<C: ConnectionTrait>(db: &C, id: i32) -> Result<Option<Achievement>, DbErr> {
    listings::find(db, id).await
}

/// Achievements with id above `after_id`, by id, at most `limit` (for rebuilding the index).
pub async fn batch_after<C: ConnectionTrait>(
    db: &C,
    after_id: i32,
    limit: u64,
) -> Result<Vec<Achievement>, DbErr> {
    listings::batch_after(db, after_id, limit).await
}
