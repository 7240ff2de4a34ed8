//! 统一社会信用代码 (GB 32100-2015): 18 characters with a check character.

use crate::error::{ErrorCode, FieldError};

const CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A unified social credit code whose check character is right.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CreditCode(String);

impl CreditCode {
    /// Parses a code, accepting lower case and surrounding spaces.
    pub fn parse(input: &str, field: &str) -> Result<Self, FieldError> {
        let code = input.trim().to_ascii_uppercase();
        let err = |msg: &str| FieldError::new(field, ErrorCode::InvalidCreditCode, msg);
        if code.chars().count() != 18 {
            return Err(err("统一社会信用代码应为18位"));
        }
        let values: Option<Vec<u32>> = code.bytes().map(value_of).collect();
        let Some(values) = values else {
            return Err(err(
                "统一社会信用代码含有不允许的字符（不使用 I、O、Z、S、V）",
            ));
        };
        if check_value(&values[..17]) != values[17] {
            return Err(err("统一社会信用代码校验位不正确，请核对后重新输入"));
        }
        Ok(Self(code))
    }

    /// The normalised code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Completes 17 characters with their check character; for generators and tests.
    pub fn with_check_character(first17: &str) -> Option<String> {
        let values: Option<Vec<u32>> = first17.bytes().map(value_of).collect();
        let values = values.filter(|v| v.len() == 17)?;
        let check = CHARSET[check_value(&values) as usize] as char;
        Some(format!("{first17}{check}"))
    }
}

fn value_of(byte: u8) -> Option<u32> {
    CHARSET.iter().position(|&c| c == byte).map(|p| p as u32)
}

fn check_value(values: &[u32]) -> u32 {
    let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    (31 - sum % 31) % 31
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_code_with_correct_check_character() {
        let code = CreditCode::with_check_character("91370212MA3C1234X").expect("valid chars");
        assert!(CreditCode::parse(&code, "creditCode").is_ok());
        assert!(CreditCode::parse(&code.to_lowercase(), "creditCode").is_ok());
    }

    #[test]
    fn rejects_credit_code_with_bad_check_character() {
        let code = CreditCode::with_check_character("91370212MA3C1234X").expect("valid chars");
        let last = code.chars().last().expect("18 chars");
        let wrong = if last == '0' { '1' } else { '0' };
        let bad = format!("{}{wrong}", &code[..17]);
        let err = CreditCode::parse(&bad, "creditCode").expect_err("bad check");
        assert_eq!(err.code, ErrorCode::InvalidCreditCode);
        assert!(err.message.contains("校验位"));
    }

    #[test]
    fn rejects_wrong_length_and_forbidden_letters() {
        assert!(CreditCode::parse("91370212", "c").is_err());
        assert!(CreditCode::parse("91370212MA3C1234IO", "c").is_err());
    }
}
