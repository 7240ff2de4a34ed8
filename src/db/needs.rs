//! The `needs` table as technology needs: the row mapping and facet tags of [`ListingTable`];
//! every statement lives in [`crate::db::listings`].

use crate::db::entities::need::{ActiveModel, Entity, Model};
use crate::db::listings::{ListingTable, record_from_row, row_of_record};
use crate::db::outbox::ListingKind;
use crate::db::{from_json, to_json};
use crate::domain::{Need, NeedVisibility, PriceRange, TransferMode};
use sea_orm::Set;

pub use crate::db::listings::save;

impl ListingTable for Need {
    type Entity = Entity;
    type Row = Model;
    type ActiveRow = ActiveModel;
    const KIND: ListingKind = ListingKind::Need;

    fn from_row(m: Model) -> Self {
        record_from_row!(
            m,
            "needs",
            Need {
                problem: m.problem,
                requirements: m.requirements,
                discipline_code: m.discipline_code,
                min_trl: m.min_trl.and_then(|t| u8::try_from(t).ok()),
                cooperation_modes: from_json(&m.cooperation_modes, "needs.cooperation_modes"),
                budget: PriceRange::from_stored(m.budget_min, m.budget_max),
                deadline: m.deadline,
                visibility: NeedVisibility::parse(&m.visibility)
                    .unwrap_or(NeedVisibility::Confidential),
            }
        )
    }

    fn to_row(&self) -> ActiveModel {
        row_of_record!(
            self,
            ActiveModel {
                problem: Set(self.problem.clone()),
                requirements: Set(self.requirements.clone()),
                discipline_code: Set(self.discipline_code.clone()),
                min_trl: Set(self.min_trl.map(i16::from)),
                cooperation_modes: Set(to_json(&self.cooperation_modes)),
                budget_min: Set(self.budget.min()),
                budget_max: Set(self.budget.max()),
                deadline: Set(self.deadline),
                visibility: Set(self.visibility.as_str().to_owned()),
            }
        )
    }

    fn modes(&self) -> &[TransferMode] {
        &self.cooperation_modes
    }
}
