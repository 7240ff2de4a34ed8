//! Bounded free text, keyword lists and the 科技成果登记号.

use crate::error::{ErrorCode, FieldError};

/// Trimmed text whose length in characters lies within bounds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Text(String);

impl Text {
    /// Trims and checks `min..=max` characters; `label` names the field for people (e.g. 标题).
    pub fn parse(
        input: &str,
        min: usize,
        max: usize,
        field: &str,
        label: &str,
    ) -> Result<Self, FieldError> {
        let text = input.trim();
        if let Some(err) = control_character(text, field, label) {
            return Err(err);
        }
        let len = text.chars().count();
        if len < min {
            let msg = if min == 1 {
                format!("{label}不能为空")
            } else {
                format!("{label}至少需要 {min} 个字")
            };
            return Err(FieldError::new(field, ErrorCode::InvalidText, msg));
        }
        if len > max {
            return Err(FieldError::new(
                field,
                ErrorCode::InvalidText,
                format!("{label}最多 {max} 个字，当前 {len} 个字"),
            ));
        }
        Ok(Self(text.to_owned()))
    }

    /// Like [`Text::parse`] but an absent or blank input gives `None`.
    pub fn optional(
        input: Option<&str>,
        max: usize,
        field: &str,
        label: &str,
    ) -> Result<Option<Self>, FieldError> {
        match input.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => Self::parse(s, 1, max, field, label).map(Some),
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The owned text.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// A field error if `text` holds a control character other than tab, line feed or carriage
/// return (NUL and the like: PostgreSQL refuses them, SQLite would store them; both refuse
/// them here, the same way).
pub fn control_character(text: &str, field: &str, label: &str) -> Option<FieldError> {
    text.chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        .then(|| {
            FieldError::new(
                field,
                ErrorCode::InvalidText,
                format!("{label}中不能含有控制字符（制表符和换行除外）"),
            )
        })
}

/// Up to ten distinct keywords of at most 20 characters each.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Keywords(Vec<String>);

impl Keywords {
    /// Most keywords a listing may carry.
    pub const MAX: usize = 10;

    /// Trims, drops blanks and duplicates, and checks the limits.
    pub fn parse(input: &[String], field: &str) -> Result<Self, FieldError> {
        let mut out: Vec<String> = Vec::new();
        for (i, raw) in input.iter().enumerate() {
            let kw = raw.trim();
            if kw.is_empty() || out.iter().any(|k| k == kw) {
                continue;
            }
            if let Some(err) = control_character(kw, &format!("{field}.{i}"), "关键词") {
                return Err(err);
            }
            if kw.chars().count() > 20 {
                return Err(FieldError::new(
                    &format!("{field}.{i}"),
                    ErrorCode::InvalidKeywords,
                    format!("关键词“{kw}”过长，每个关键词最多 20 个字"),
                ));
            }
            out.push(kw.to_owned());
        }
        if out.len() > Self::MAX {
            return Err(FieldError::new(
                field,
                ErrorCode::InvalidKeywords,
                format!("关键词最多 {} 个，当前 {} 个", Self::MAX, out.len()),
            ));
        }
        Ok(Self(out))
    }

    /// The keywords.
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// The owned keywords.
    pub fn into_vec(self) -> Vec<String> {
        self.0
    }
}

/// 科技成果登记号: twelve letters or digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RegistrationNumber(String);

impl RegistrationNumber {
    /// Checks the shape.
    pub fn parse(input: &str, field: &str) -> Result<Self, FieldError> {
        let s = input.trim().to_ascii_uppercase();
        if s.len() != 12 || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(FieldError::new(
                field,
                ErrorCode::InvalidRegistrationNumber,
                "科技成果登记号应为12位字母或数字",
            ));
        }
        Ok(Self(s))
    }

    /// The number.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_refuses_control_characters_but_keeps_tabs_and_line_breaks() {
        for bad in [
            "海洋\u{0}浮标",
            "海洋\u{7}浮标",
            "海洋\u{1b}[31m浮标",
            "海洋\u{7f}",
        ] {
            let err = Text::parse(bad, 1, 100, "title", "标题").unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidText, "{bad:?}");
            assert!(err.message.contains("控制字符"));
        }
        assert!(Text::parse("第一行\n第二行\t制表\r\n", 1, 100, "summary", "摘要").is_ok());
        let err = Keywords::parse(&["正常".into(), "坏\u{0}词".into()], "keywords").unwrap_err();
        assert_eq!(err.field, vec!["keywords", "1"]);
    }

    #[test]
    fn text_counts_characters_not_bytes() {
        assert!(Text::parse("固态电池", 2, 4, "t", "标题").is_ok());
        let err = Text::parse("固态电池材料", 2, 4, "t", "标题").expect_err("too long");
        assert_eq!(err.code, ErrorCode::InvalidText);
        assert!(Text::parse("  ", 1, 4, "t", "标题").is_err());
    }

    #[test]
    fn keywords_are_deduplicated_and_limited() {
        let kws: Vec<String> = ["钙钛矿", " 钙钛矿 ", "", "PSC"].map(String::from).into();
        assert_eq!(
            Keywords::parse(&kws, "k").map(|k| k.into_vec().len()),
            Ok(2)
        );
        let many: Vec<String> = (0..11).map(|i| format!("词{i}")).collect();
        assert_eq!(
            Keywords::parse(&many, "k").map_err(|e| e.code),
            Err(ErrorCode::InvalidKeywords)
        );
    }

    #[test]
    fn registration_number_is_twelve_alphanumerics() {
        assert!(RegistrationNumber::parse("9370200y0123", "r").is_ok());
        assert!(RegistrationNumber::parse("9370200-0123", "r").is_err());
    }
}
