//! GB/T 4754-2017 industry codes in display form: 门类 letter + 0, 2, 3 or 4 digits.

use crate::codes;
use crate::error::{ErrorCode, FieldError};

/// An industry code the standard contains, e.g. `C`, `C38`, `C384`, `C3841`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IndustryCode(String);

impl IndustryCode {
    /// Parses a display code; bare digits (`384`) get their 门类 letter added.
    pub fn parse(input: &str, field: &str) -> Result<Self, FieldError> {
        let raw = input.trim().to_ascii_uppercase();
        let table = codes::industries();
        let code = if raw.bytes().all(|b| b.is_ascii_digit()) && !raw.is_empty() {
            table
                .entries()
                .iter()
                .find(|e| e.code.len() == raw.len() + 1 && e.code.ends_with(raw.as_str()))
                .map(|e| e.code.clone())
                .unwrap_or(raw)
        } else {
            raw
        };
        if !table.contains(&code) {
            return Err(FieldError::new(
                field,
                ErrorCode::InvalidIndustryCode,
                format!(
                    "行业代码 {code} 不在 GB/T 4754-2017 国民经济行业分类中（格式如 C、C38、C384、C3841）"
                ),
            ));
        }
        Ok(Self(code))
    }

    /// The display code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The Chinese name from the standard.
    pub fn name(&self) -> &'static str {
        codes::industries()
            .get(&self.0)
            .map(|e| e.name.as_str())
            .unwrap_or_default()
    }

    /// The 门类 letter.
    pub fn section(&self) -> &str {
        &self.0[..1]
    }
}

/// Checks an industry filter prefix (`C`, `C3`, `C38`, …): a letter then up to four digits.
pub fn industry_prefix(input: &str, field: &str) -> Result<String, FieldError> {
    let prefix = input.trim().to_ascii_uppercase();
    let mut bytes = prefix.bytes();
    let letter_ok = bytes.next().is_some_and(|b| (b'A'..=b'T').contains(&b));
    if !letter_ok || prefix.len() > 5 || !bytes.all(|b| b.is_ascii_digit()) {
        return Err(FieldError::new(
            field,
            ErrorCode::InvalidIndustryCode,
            "行业代码前缀应为门类字母加数字，例如 C 或 C38",
        ));
    }
    Ok(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_display_codes_and_adds_missing_letter() {
        assert_eq!(
            IndustryCode::parse("c384", "i").map(|c| c.name()),
            Ok("电池制造")
        );
        assert_eq!(
            IndustryCode::parse("3841", "i").map(|c| c.as_str().to_owned()),
            Ok("C3841".to_owned())
        );
    }

    #[test]
    fn rejects_codes_with_wrong_letter_or_unknown_digits() {
        let err = IndustryCode::parse("D38", "i").expect_err("38 is under C");
        assert_eq!(err.code, ErrorCode::InvalidIndustryCode);
        assert!(IndustryCode::parse("C3999", "i").is_err());
        assert!(industry_prefix("Z1", "i").is_err());
        assert_eq!(industry_prefix("c38", "i").as_deref(), Ok("C38"));
    }
}
