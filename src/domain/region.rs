//! GB/T 2260 administrative division codes (six digits, in use).

use crate::codes;
use crate::error::{ErrorCode, FieldError};

/// A division code that the current GB/T 2260 list contains.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RegionCode(String);

impl RegionCode {
    /// Parses a six-digit code and checks it against the shipped table.
    pub fn parse(input: &str, field: &str) -> Result<Self, FieldError> {
        let code = input.trim();
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FieldError::new(
                field,
                ErrorCode::InvalidRegionCode,
                "行政区划代码应为6位数字（GB/T 2260），例如 370212 崂山区",
            ));
        }
        if !codes::regions().contains(code) {
            return Err(FieldError::new(
                field,
                ErrorCode::InvalidRegionCode,
                format!("行政区划代码 {code} 不在现行 GB/T 2260 代码表中"),
            ));
        }
        Ok(Self(code.to_owned()))
    }

    /// The six digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The Chinese name, e.g. 崂山区.
    pub fn name(&self) -> &'static str {
        codes::regions()
            .get(&self.0)
            .map(|e| e.name.as_str())
            .unwrap_or_default()
    }
}

/// Turns a region filter (a code like `370200` or a prefix like `3702`) into the prefix that
/// every code inside that region starts with.
pub fn region_prefix(input: &str, field: &str) -> Result<String, FieldError> {
    let digits = input.trim();
    let ok_len = matches!(digits.len(), 2 | 4 | 6);
    if !ok_len || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError::new(
            field,
            ErrorCode::InvalidRegionCode,
            "地区筛选应为2、4或6位数字，例如 37（山东省）、3702 或 370200（青岛市）",
        ));
    }
    let mut prefix = digits;
    while prefix.len() > 2 && prefix.ends_with("00") {
        prefix = &prefix[..prefix.len() - 2];
    }
    Ok(prefix.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_qingdao_districts_and_rejects_unknown_codes() {
        assert_eq!(
            RegionCode::parse("370212", "region").map(|r| r.name()),
            Ok("崂山区")
        );
        let err = RegionCode::parse("370299", "region").expect_err("not in table");
        assert_eq!(err.code, ErrorCode::InvalidRegionCode);
        assert!(RegionCode::parse("37021", "region").is_err());
    }

    #[test]
    fn region_prefix_strips_trailing_zero_pairs() {
        assert_eq!(region_prefix("370200", "r").as_deref(), Ok("3702"));
        assert_eq!(region_prefix("370000", "r").as_deref(), Ok("37"));
        assert_eq!(region_prefix("370212", "r").as_deref(), Ok("370212"));
        assert!(region_prefix("3a", "r").is_err());
    }
}
