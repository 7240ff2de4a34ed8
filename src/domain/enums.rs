//! Closed vocabularies of the domain: organisation kinds, listing states, modes, IP kinds.
//!
//! Each enum is stored in the database by its `SCREAMING_SNAKE_CASE` name and carries the
//! Chinese label users see.

/// Declares a closed vocabulary with its wire name and Chinese label.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = ($wire:literal, $zh:literal)),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and wire name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            /// The Chinese label shown to users.
            pub fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }

            /// Parses a stored or wire name.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($wire => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary! {
    /// 机构类型.
    OrganizationKind {
        /// 高校.
        University = ("UNIVERSITY", "高校"),
        /// 科研院所.
        ResearchInstitute = ("RESEARCH_INSTITUTE", "科研院所"),
        /// 企业.
        Enterprise = ("ENTERPRISE", "企业"),
        /// 技术转移服务机构.
        ServiceAgency = ("SERVICE_AGENCY", "技术转移服务机构"),
        /// 政府.
        Government = ("GOVERNMENT", "政府"),
    }
}

vocabulary! {
    /// Lifecycle of a research result (科技成果).
    AchievementStatus {
        /// 草稿: visible to its owner only.
        Draft = ("DRAFT", "草稿"),
        /// 已发布.
        Published = ("PUBLISHED", "已发布"),
        /// 已撤回.
        Withdrawn = ("WITHDRAWN", "已撤回"),
        /// 已过期: not renewed in time.
        Expired = ("EXPIRED", "已过期"),
        /// 已转化: transferred; closed for good.
        Transferred = ("TRANSFERRED", "已转化"),
    }
}

vocabulary! {
    /// Lifecycle of a technology need (技术需求).
    NeedStatus {
        /// 草稿.
        Draft = ("DRAFT", "草稿"),
        /// 寻找中.
        Open = ("OPEN", "寻找中"),
        /// 洽谈中.
        Negotiating = ("NEGOTIATING", "洽谈中"),
        /// 已签约.
        Signed = ("SIGNED", "已签约"),
        /// 已结束.
        Closed = ("CLOSED", "已结束"),
        /// 已撤回.
        Withdrawn = ("WITHDRAWN", "已撤回"),
        /// 已过期.
        Expired = ("EXPIRED", "已过期"),
    }
}

vocabulary! {
    /// Who may see a need.
    NeedVisibility {
        /// 公开: everything but the confidential detail.
        Public = ("PUBLIC", "公开"),
        /// 匿名: the organisation is hidden from everyone but its owner, brokers and operators.
        Anonymous = ("ANONYMOUS", "匿名"),
        /// 保密: not listed; only its owner and brokers see it, yet it is still matched.
        Confidential = ("CONFIDENTIAL", "保密"),
    }
}

vocabulary! {
    /// Everyday maturity stage of a result.
    MaturityStage {
        /// 研发中.
        InResearch = ("IN_RESEARCH", "研发中"),
        /// 已有样品.
        Prototype = ("PROTOTYPE", "已有样品"),
        /// 通过小试.
        LabScale = ("LAB_SCALE", "通过小试"),
        /// 通过中试.
        PilotScale = ("PILOT_SCALE", "通过中试"),
        /// 可量产.
        MassProduction = ("MASS_PRODUCTION", "可量产"),
    }
}

vocabulary! {
    /// How a result may be transferred, or how a firm wants to cooperate.
    TransferMode {
        /// 转让.
        Assignment = ("ASSIGNMENT", "转让"),
        /// 独占许可.
        LicenseExclusive = ("LICENSE_EXCLUSIVE", "独占许可"),
        /// 排他许可.
        LicenseSole = ("LICENSE_SOLE", "排他许可"),
        /// 普通许可.
        LicenseNonExclusive = ("LICENSE_NON_EXCLUSIVE", "普通许可"),
        /// 作价投资.
        Equity = ("EQUITY", "作价投资"),
        /// 合作开发 / 合作实施.
        JointDevelopment = ("JOINT_DEVELOPMENT", "合作开发"),
        /// 技术服务 / 咨询.
        TechnicalService = ("TECHNICAL_SERVICE", "技术服务与咨询"),
        /// 委托开发 (needs only).
        CommissionedDevelopment = ("COMMISSIONED_DEVELOPMENT", "委托开发"),
    }
}

vocabulary! {
    /// Kind of an intellectual-property record.
    IpKind {
        /// 发明专利.
        InventionPatent = ("INVENTION_PATENT", "发明专利"),
        /// 实用新型.
        UtilityModel = ("UTILITY_MODEL", "实用新型"),
        /// 外观设计.
        Design = ("DESIGN", "外观设计"),
        /// 软件著作权.
        SoftwareCopyright = ("SOFTWARE_COPYRIGHT", "软件著作权"),
        /// 集成电路布图设计.
        IcLayout = ("IC_LAYOUT", "集成电路布图设计"),
        /// 植物新品种.
        PlantVariety = ("PLANT_VARIETY", "植物新品种"),
        /// 技术秘密.
        TradeSecret = ("TRADE_SECRET", "技术秘密"),
    }
}

vocabulary! {
    /// Legal status of an IP record.
    IpStatus {
        /// 申请中.
        Filed = ("FILED", "申请中"),
        /// 已授权.
        Granted = ("GRANTED", "已授权"),
        /// 已失效.
        Lapsed = ("LAPSED", "已失效"),
    }
}

vocabulary! {
    /// Where a listing came from.
    ListingSource {
        /// Entered in Qianxian.
        Local = ("LOCAL", "本平台"),
        /// 山东科技大市场.
        Provincial = ("PROVINCIAL", "山东科技大市场"),
        /// 全国海洋科技大市场.
        Marine = ("MARINE", "海洋科技大市场"),
        /// A transfer office's spreadsheet (`importAchievements`, `qianxian import`).
        Spreadsheet = ("SPREADSHEET", "表格导入"),
    }
}

vocabulary! {
    /// What a notification is about.
    NotificationKind {
        /// 新匹配: a new match above the threshold for one of your listings.
        NewMatch = ("NEW_MATCH", "新匹配"),
        /// 对接动态: something happened in one of your pairings.
        Pairing = ("PAIRING", "对接动态"),
        /// 对接超时: a pairing expired because nobody answered.
        PairingExpired = ("PAIRING_EXPIRED", "对接超时"),
        /// 审核结果: an operator's moderation decision.
        Moderation = ("MODERATION", "审核结果"),
        /// 订阅提醒: a new listing matches one of your saved searches.
        SavedSearch = ("SAVED_SEARCH", "订阅提醒"),
        /// 加入申请: someone asked to join an organisation you administer, or your own
        /// request was decided.
        MembershipRequest = ("MEMBERSHIP_REQUEST", "加入申请"),
    }
}

impl MaturityStage {
    /// The stage a result at this TRL is usually in.
    pub fn typical_at(trl: i32) -> Self {
        match trl {
            ..=3 => Self::InResearch,
            4 => Self::Prototype,
            5 => Self::LabScale,
            6 | 7 => Self::PilotScale,
            _ => Self::MassProduction,
        }
    }
}

impl TransferMode {
    /// Whether a research result may offer this mode (委托开发 is asked for, not offered).
    pub fn offered_by_achievements(self) -> bool {
        self != TransferMode::CommissionedDevelopment
    }
}

impl IpKind {
    /// Whether the record's number is a Chinese patent application number.
    pub fn is_patent(self) -> bool {
        matches!(
            self,
            IpKind::InventionPatent | IpKind::UtilityModel | IpKind::Design
        )
    }
}

impl AchievementStatus {
    /// Statuses that a default listing query shows.
    pub fn is_live(self) -> bool {
        self == AchievementStatus::Published
    }
}

impl NeedStatus {
    /// Statuses that a default listing query shows.
    pub fn is_live(self) -> bool {
        matches!(self, NeedStatus::Open | NeedStatus::Negotiating)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vocabulary_value_round_trips_through_its_wire_name() {
        for mode in TransferMode::ALL {
            assert_eq!(TransferMode::parse(mode.as_str()), Some(*mode));
        }
        for status in NeedStatus::ALL {
            assert_eq!(NeedStatus::parse(status.as_str()), Some(*status));
        }
        assert_eq!(IpKind::parse("NOPE"), None);
        assert_eq!(MaturityStage::PilotScale.label_zh(), "通过中试");
    }
}
