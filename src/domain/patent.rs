//! Chinese patent application numbers with their check digit.
//!
//! Since 2003: `YYYY T NNNNNNN . C` (12 digits, type digit 1 invention, 2 utility model,
//! 3 design, 8/9 PCT national phase). 1985–2003: `YY T NNNNN . C` (8 digits). The check
//! character is Σ digitᵢ·wᵢ mod 11 with weights 2,3,4,5,6,7,8,9,2,3,4,5, mapped through
//! `0123456789X`. A `ZL` (granted) or `CN` prefix is accepted and dropped.

use crate::error::{ErrorCode, FieldError};

const WEIGHTS: [u32; 12] = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5];
const CHECK_CHARS: &[u8; 11] = b"0123456789X";

/// A patent application number whose check digit is right, normalised to `202310123456.6`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PatentNumber(String);

impl PatentNumber {
    /// Parses `ZL202310123456.6`, `CN 202310123456.6`, `2023101234566` and the like.
    pub fn parse(input: &str, field: &str) -> Result<Self, FieldError> {
        let err = |msg: String| FieldError::new(field, ErrorCode::InvalidPatentNumber, msg);
        // Full-width letters, digits and dots (ＺＬ２０２３…, as a Chinese input method types
        // them) read as their ASCII forms; anything else non-ASCII is refused before the
        // number is cut by position.
        let compact: String = input
            .trim()
            .chars()
            .map(|c| match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                '\u{3000}' => ' ',
                _ => c,
            })
            .filter(|c| !matches!(c, ' ' | '.'))
            .collect::<String>()
            .to_ascii_uppercase();
        if !compact.is_ascii() {
            return Err(err(format!("专利申请号 {input} 含有非数字字符")));
        }
        let digits = compact
            .strip_prefix("ZL")
            .or_else(|| compact.strip_prefix("CN"))
            .unwrap_or(&compact);
        let (body, check) = match digits.len() {
            13 | 9 => digits.split_at(digits.len() - 1),
            _ => {
                return Err(err(format!(
                    "专利申请号 {input} 格式不正确，应为 12 位数字加校验位，例如 ZL202310123456.6"
                )));
            }
        };
        if !body.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err(format!("专利申请号 {input} 含有非数字字符")));
        }
        let type_digit = if body.len() == 12 {
            &body[4..5]
        } else {
            &body[2..3]
        };
        if !matches!(type_digit, "1" | "2" | "3" | "8" | "9") {
            return Err(err(format!(
                "专利申请号 {input} 的专利类型位应为 1、2、3、8 或 9"
            )));
        }
        let expected = check_char(body);
        if check.as_bytes()[0] != expected {
            return Err(err(format!(
                "专利申请号 {input} 校验位不正确，请核对后重新输入"
            )));
        }
        Ok(Self(format!("{body}.{}", expected as char)))
    }

    /// The normalised number without prefix.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The patent type digit: 1 invention, 2 utility model, 3 design, 8/9 PCT.
    pub fn type_digit(&self) -> char {
        let body = self.0.split('.').next().unwrap_or_default();
        let at = if body.len() == 12 { 4 } else { 2 };
        body.as_bytes().get(at).map(|&b| b as char).unwrap_or('0')
    }
}

/// The check character for 8 or 12 digits.
pub fn check_char(body: &str) -> u8 {
    let sum: u32 = body
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_numbers_with_correct_check_digit_in_every_spelling() {
        for spelling in ["ZL202310123456.6", "202310123456.6", "cn 2023101234566"] {
            let n = PatentNumber::parse(spelling, "n").expect(spelling);
            assert_eq!(n.as_str(), "202310123456.6");
            assert_eq!(n.type_digit(), '1');
        }
    }

    #[test]
    fn full_width_spellings_read_as_ascii_and_other_scripts_are_refused() {
        // A full-width digit once fell inside the cut by byte position and panicked.
        let n = PatentNumber::parse("ＺＬ２０２３１０１２３４５６．６", "n").expect("full width");
        assert_eq!(n.as_str(), "202310123456.6");
        let n = PatentNumber::parse("ZL202310123456６", "n").expect("one full-width digit");
        assert_eq!(n.as_str(), "202310123456.6");
        for odd in ["ZL2023101234五6", "ZL20231012345é", "专利2023101234566"] {
            let err = PatentNumber::parse(odd, "n").expect_err(odd);
            assert_eq!(err.code, ErrorCode::InvalidPatentNumber, "{odd}");
        }
    }

    #[test]
    fn rejects_patent_number_with_bad_check_digit() {
        let err = PatentNumber::parse("ZL202310123456.7", "n").expect_err("check is 6");
        assert_eq!(err.code, ErrorCode::InvalidPatentNumber);
        assert!(err.message.contains("校验位"));
    }

    #[test]
    fn handles_old_eight_digit_numbers_and_x_check() {
        let body = "98123456";
        let n = format!("{body}.{}", check_char(body) as char);
        assert!(PatentNumber::parse(&n, "n").is_ok());
        let x_body = (0..100_000u32)
            .map(|i| format!("2015100{i:05}"))
            .find(|b| check_char(b) == b'X')
            .expect("some number has check X");
        assert!(PatentNumber::parse(&format!("{x_body}.x"), "n").is_ok());
        assert!(PatentNumber::parse("202340123456.1", "n").is_err());
    }
}
