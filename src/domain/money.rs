//! Price (for results) and budget (for needs): a range in CNY yuan, or 面议 (negotiable).

use crate::error::{ErrorCode, FieldError};

/// Upper bound for any amount: 1,000 亿元, far above any technology contract.
const MAX_YUAN: i64 = 100_000_000_000;

/// An indicative amount range in yuan; `None` bounds mean 面议.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceRange {
    /// 面议.
    Negotiable,
    /// A range `min..=max` in yuan.
    Range {
        /// Lower bound.
        min: i64,
        /// Upper bound.
        max: i64,
    },
}

impl PriceRange {
    /// Builds a range; both bounds absent means 面议, one absent copies the other.
    pub fn new(min: Option<i64>, max: Option<i64>, field: &str) -> Result<Self, FieldError> {
        let (min, max) = match (min, max) {
            (None, None) => return Ok(Self::Negotiable),
            (Some(min), None) => (min, min),
            (None, Some(max)) => (0, max),
            (Some(min), Some(max)) => (min, max),
        };
        let err = |msg: &str| FieldError::new(field, ErrorCode::InvalidPriceRange, msg);
        if min < 0 || max < 0 {
            return Err(err("金额不能为负数"));
        }
        if min > max {
            return Err(err("最低金额不能高于最高金额"));
        }
        if max > MAX_YUAN {
            return Err(err("金额超出上限（1000亿元），请以元为单位填写"));
        }
        Ok(Self::Range { min, max })
    }

    /// Rebuilds a stored range without re-checking.
    pub fn from_stored(min: Option<i64>, max: Option<i64>) -> Self {
        match (min, max) {
            (Some(min), Some(max)) => Self::Range { min, max },
            _ => Self::Negotiable,
        }
    }

    /// Lower bound, `None` for 面议.
    pub fn min(self) -> Option<i64> {
        match self {
            Self::Range { min, .. } => Some(min),
            Self::Negotiable => None,
        }
    }

    /// Upper bound, `None` for 面议.
    pub fn max(self) -> Option<i64> {
        match self {
            Self::Range { max, .. } => Some(max),
            Self::Negotiable => None,
        }
    }

    /// Text for people: `50万–200万元` or `面议`.
    pub fn display_zh(self) -> String {
        match self {
            Self::Negotiable => "面议".to_owned(),
            Self::Range { min, max } if min == max => format!("{}元", wan(min)),
            Self::Range { min, max } => format!("{}–{}元", wan(min), wan(max)),
        }
    }
}

fn wan(yuan: i64) -> String {
    if yuan >= 10_000 && yuan % 10_000 == 0 {
        format!("{}万", yuan / 10_000)
    } else {
        yuan.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_ranges_and_negotiable() {
        assert_eq!(PriceRange::new(None, None, "p"), Ok(PriceRange::Negotiable));
        let r = PriceRange::new(Some(500_000), Some(2_000_000), "p").expect("valid");
        assert_eq!(r.display_zh(), "50万–200万元");
        assert_eq!(PriceRange::Negotiable.display_zh(), "面议");
    }

    #[test]
    fn rejects_negative_reversed_and_huge_ranges() {
        for (min, max) in [(-1, 5), (10, 5), (0, MAX_YUAN + 1)] {
            let err = PriceRange::new(Some(min), Some(max), "p").expect_err("invalid");
            assert_eq!(err.code, ErrorCode::InvalidPriceRange);
        }
    }
}
