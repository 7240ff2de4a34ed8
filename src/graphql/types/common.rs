//! Small value types shared by listings: codes with names, TRL, money, IP records, tracks.

use crate::codes::{self, CodeTable};
use crate::domain::{self, IpKind, IpStatus, PriceRange, Trl};
use async_graphql::SimpleObject;

/// A national-standard code with its Chinese name.
#[derive(SimpleObject, Debug, Clone)]
pub struct CodeRef {
    /// The code, e.g. `C384`, `43070`, `370212`.
    pub code: String,
    /// The name from the standard.
    pub name: String,
    /// The parent code, if any.
    pub parent: Option<String>,
}

impl CodeRef {
    /// Looks `code` up in `table`; an unknown code keeps an empty name.
    pub fn lookup(table: &CodeTable, code: &str) -> Self {
        match table.get(code) {
            Some(e) => Self {
                code: e.code.clone(),
                name: e.name.clone(),
                parent: e.parent.clone(),
            },
            None => Self {
                code: code.to_owned(),
                name: String::new(),
                parent: None,
            },
        }
    }

    /// An industry code.
    pub fn industry(code: &str) -> Self {
        Self::lookup(codes::industries(), code)
    }

    /// A discipline code.
    pub fn discipline(code: &str) -> Self {
        Self::lookup(codes::disciplines(), code)
    }

    /// A region code.
    pub fn region(code: &str) -> Self {
        Self::lookup(codes::regions(), code)
    }
}

/// A technology readiness level with its GB/T 22900 name.
#[derive(SimpleObject, Debug, Clone)]
pub struct TrlLevel {
    /// 1–9.
    pub level: i32,
    /// The standard's name of the level.
    pub name: String,
}

impl TrlLevel {
    /// From a stored level.
    pub fn new(level: u8) -> Self {
        let trl = Trl::from_stored(level);
        Self {
            level: i32::from(trl.level()),
            name: trl.name().to_owned(),
        }
    }
}

/// A price or budget: a range in yuan, or 面议.
#[derive(SimpleObject, Debug, Clone)]
pub struct Money {
    /// Lower bound in yuan; null for 面议.
    pub min: Option<i64>,
    /// Upper bound in yuan; null for 面议.
    pub max: Option<i64>,
    /// Whether it is 面议 (negotiable).
    pub negotiable: bool,
    /// For people, e.g. `50万–200万元` or `面议`.
    pub display: String,
}

impl From<PriceRange> for Money {
    fn from(p: PriceRange) -> Self {
        Self {
            min: p.min(),
            max: p.max(),
            negotiable: p == PriceRange::Negotiable,
            display: p.display_zh(),
        }
    }
}

/// An intellectual-property record.
#[derive(SimpleObject, Debug, Clone)]
pub struct IpRecord {
    /// Kind.
    pub kind: IpKind,
    /// Kind in Chinese.
    pub kind_label: String,
    /// Number as people write it (granted patents carry `ZL`).
    pub number: Option<String>,
    /// Status.
    pub status: IpStatus,
}

impl From<&domain::IpRecord> for IpRecord {
    fn from(r: &domain::IpRecord) -> Self {
        Self {
            kind: r.kind,
            kind_label: r.kind.label_zh().to_owned(),
            number: r.display_number(),
            status: r.status,
        }
    }
}

/// A priority track (重点产业赛道).
#[derive(SimpleObject, Debug, Clone)]
pub struct PriorityTrack {
    /// Stable code, e.g. `solid-state-battery`.
    pub code: String,
    /// Chinese name.
    pub name: String,
    /// One-line description.
    pub description: String,
    /// Offered for new listings.
    pub active: bool,
}

impl From<domain::PriorityTrack> for PriorityTrack {
    fn from(t: domain::PriorityTrack) -> Self {
        Self {
            code: t.code,
            name: t.name,
            description: t.description,
            active: t.active,
        }
    }
}
