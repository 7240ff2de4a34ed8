//! The `achievements` table as research results: the row mapping and facet tags of [`ListingTable`];
//! every statement lives in [`crate::db::listings`].

use crate::db::entities::achievement::{ActiveModel, Entity, Model};
use crate::db::listings::{ListingTable, record_from_row, row_of_record};
use crate::db::outbox::ListingKind;
use crate::db::{from_json, to_json};
use crate::domain::{Achievement, MaturityStage, PriceRange, TransferMode};
use sea_orm::Set;

pub use crate::db::listings::save;

impl ListingTable for Achievement {
    type Entity = Entity;
    type Row = Model;
    type ActiveRow = ActiveModel;
    const KIND: ListingKind = ListingKind::Achievement;

    fn from_row(m: Model) -> Self {
        record_from_row!(
            m,
            "achievements",
            Achievement {
                summary: m.summary,
                application_fields: m.application_fields,
                advantages: m.advantages,
                requirements: m.requirements,
                discipline_code: m.discipline_code,
                trl: u8::try_from(m.trl).unwrap_or(1),
                maturity: MaturityStage::parse(&m.maturity).unwrap_or(MaturityStage::InResearch),
                ip_records: from_json(&m.ip_records, "achievements.ip_records"),
                transfer_modes: from_json(&m.transfer_modes, "achievements.transfer_modes"),
                price: PriceRange::from_stored(m.price_min, m.price_max),
                team_lead: m.team_lead,
                inventors: from_json(&m.inventors, "achievements.inventors"),
                registration_number: m.registration_number,
            }
        )
    }

    fn to_row(&self) -> ActiveModel {
        row_of_record!(
            self,
            ActiveModel {
                summary: Set(self.summary.clone()),
                application_fields: Set(self.application_fields.clone()),
                advantages: Set(self.advantages.clone()),
                requirements: Set(self.requirements.clone()),
                discipline_code: Set(self.discipline_code.clone()),
                trl: Set(i16::from(self.trl)),
                maturity: Set(self.maturity.as_str().to_owned()),
                ip_records: Set(to_json(&self.ip_records)),
                transfer_modes: Set(to_json(&self.transfer_modes)),
                price_min: Set(self.price.min()),
                price_max: Set(self.price.max()),
                team_lead: Set(self.team_lead.clone()),
                inventors: Set(to_json(&self.inventors)),
                registration_number: Set(self.registration_number.clone()),
            }
        )
    }

    fn modes(&self) -> &[TransferMode] {
        &self.transfer_modes
    }
}
