//! Technology readiness level, 1–9, with the names of GB/T 22900 附录A.

use crate::error::{ErrorCode, FieldError};

/// The level names of GB/T 22900 技术就绪水平, index 0 = TRL 1.
const NAMES: [&str; 9] = [
    "观察到基本原理并形成正式报告",
    "形成了技术概念或应用方案",
    "关键功能分析和实验结论成立",
    "研究室环境中关键部件或功能验证",
    "相关环境中关键部件或功能验证",
    "相关环境中系统样机演示",
    "典型使用环境中系统样机试验",
    "实际系统完成并通过实际验证",
    "实际系统通过任务运行的成功考验",
];

/// A technology readiness level between 1 and 9.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Trl(u8);

impl Trl {
    /// Checks the range.
    pub fn new(level: i32, field: &str) -> Result<Self, FieldError> {
        match u8::try_from(level) {
            Ok(l @ 1..=9) => Ok(Self(l)),
            _ => Err(FieldError::new(
                field,
                ErrorCode::InvalidTrl,
                format!("技术就绪水平（TRL）应为 1 到 9 之间的整数，收到 {level}"),
            )),
        }
    }

    /// A stored level, already validated on the way in (clamped against damaged rows).
    pub fn from_stored(level: u8) -> Self {
        Self(level.clamp(1, 9))
    }

    /// The level.
    pub fn level(self) -> u8 {
        self.0
    }

    /// The GB/T 22900 name of the level.
    pub fn name(self) -> &'static str {
        NAMES[usize::from(self.0) - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_one_to_nine_and_names_them() {
        assert_eq!(
            Trl::new(6, "trl").map(Trl::name),
            Ok("相关环境中系统样机演示")
        );
        for bad in [0, 10, -1] {
            assert_eq!(
                Trl::new(bad, "trl").map_err(|e| e.code),
                Err(ErrorCode::InvalidTrl)
            );
        }
    }
}
