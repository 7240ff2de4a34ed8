//! Intellectual-property records attached to a research result.

use crate::domain::{IpKind, IpStatus, PatentNumber};
use crate::error::{ErrorCode, FieldError};
use serde::{Deserialize, Serialize};

/// One IP record: kind, number (validated for patents) and status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpRecord {
    /// The kind of right.
    pub kind: IpKind,
    /// The number: a normalised patent application number for patents, free form otherwise.
    pub number: Option<String>,
    /// Legal status.
    pub status: IpStatus,
}

impl IpRecord {
    /// Validates one record; `field` is its input path, e.g. `ip.0`.
    pub fn parse(
        kind: IpKind,
        number: Option<&str>,
        status: IpStatus,
        field: &str,
    ) -> Result<Self, FieldError> {
        let number = number.map(str::trim).filter(|n| !n.is_empty());
        let number_field = format!("{field}.number");
        let number = match (kind, number) {
            (IpKind::TradeSecret, None) => None,
            (kind, None) => {
                return Err(FieldError::new(
                    &number_field,
                    ErrorCode::InvalidIpRecord,
                    format!("{}需要填写编号", kind.label_zh()),
                ));
            }
            (kind, Some(n)) if kind.is_patent() => {
                let parsed = PatentNumber::parse(n, &number_field)?;
                let expected = match kind {
                    IpKind::InventionPatent => ['1', '8'],
                    IpKind::UtilityModel => ['2', '9'],
                    _ => ['3', '3'],
                };
                if !expected.contains(&parsed.type_digit()) {
                    return Err(FieldError::new(
                        &number_field,
                        ErrorCode::InvalidIpRecord,
                        format!("专利申请号 {n} 的类型位与“{}”不符", kind.label_zh()),
                    ));
                }
                Some(parsed.as_str().to_owned())
            }
            (_, Some(n)) if n.chars().count() > 40 => {
                return Err(FieldError::new(
                    &number_field,
                    ErrorCode::InvalidIpRecord,
                    "编号最多 40 个字符",
                ));
            }
            (_, Some(n)) => Some(n.to_owned()),
        };
        Ok(Self {
            kind,
            number,
            status,
        })
    }

    /// The number as people write it: granted patents carry `ZL`.
    pub fn display_number(&self) -> Option<String> {
        let n = self.number.as_deref()?;
        Some(
            if self.kind.is_patent() && self.status == IpStatus::Granted {
                format!("ZL{n}")
            } else {
                n.to_owned()
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patent_records_need_valid_numbers_of_the_matching_type() {
        let ok = IpRecord::parse(
            IpKind::InventionPatent,
            Some("ZL202310123456.6"),
            IpStatus::Granted,
            "ip.0",
        )
        .expect("valid");
        assert_eq!(ok.display_number().as_deref(), Some("ZL202310123456.6"));
        let err = IpRecord::parse(
            IpKind::UtilityModel,
            Some("202310123456.6"),
            IpStatus::Filed,
            "ip.0",
        )
        .expect_err("type digit 1 is an invention");
        assert_eq!(err.code, ErrorCode::InvalidIpRecord);
        assert_eq!(err.field, ["ip", "0", "number"]);
    }

    #[test]
    fn trade_secrets_need_no_number_but_patents_do() {
        assert!(IpRecord::parse(IpKind::TradeSecret, None, IpStatus::Granted, "ip.0").is_ok());
        assert!(IpRecord::parse(IpKind::Design, None, IpStatus::Filed, "ip.0").is_err());
    }
}
