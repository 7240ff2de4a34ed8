//! GB/T 13745-2009 discipline codes: 3 digits (一级) or 5 digits (二级).

use crate::codes;
use crate::error::{ErrorCode, FieldError};

/// A discipline code the standard contains, e.g. `430` 材料科学 or `43070` 纳米材料.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DisciplineCode(String);

impl DisciplineCode {
    /// Parses a code and checks it against the shipped table.
    pub fn parse(input: &str, field: &str) -> Result<Self, FieldError> {
        let code = input.trim();
        if !codes::disciplines().contains(code) {
            return Err(FieldError::new(
                field,
                ErrorCode::InvalidDisciplineCode,
                format!(
                    "学科代码 {code} 不在 GB/T 13745-2009 学科分类与代码中（一级3位，如 430；二级5位，如 43070）"
                ),
            ));
        }
        Ok(Self(code.to_owned()))
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The Chinese name from the standard.
    pub fn name(&self) -> &'static str {
        codes::disciplines()
            .get(&self.0)
            .map(|e| e.name.as_str())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_first_and_second_level_codes_only_from_the_table() {
        assert_eq!(
            DisciplineCode::parse("430", "d").map(|d| d.name()),
            Ok("材料科学")
        );
        assert!(DisciplineCode::parse("43070", "d").is_ok());
        let err = DisciplineCode::parse("999", "d").expect_err("unknown");
        assert_eq!(err.code, ErrorCode::InvalidDisciplineCode);
    }
}
