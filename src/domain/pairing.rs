//! Pairings (对接): the broker workflow from a request to a signed technical contract.
//!
//! ```text
//! REQUESTED ──take/assign──▶ ACCEPTED ──both sides agree──▶ INTRODUCED ──▶ NEGOTIATING ──sign──▶ SIGNED
//!     └──────────────┴───────────────────┴──────────────────────┴──▶ DECLINED | WITHDRAWN | EXPIRED
//! ```
//!
//! This module holds the vocabulary and the pure transition rules; who may act is decided in
//! `service::policy`, and deadlines and side effects in `service::pairings`.

use chrono::{DateTime, NaiveDate, Utc};

vocabulary! {
    /// Where a pairing stands.
    PairingStatus {
        /// 待受理: waiting for a broker.
        Requested = ("REQUESTED", "待受理"),
        /// 已受理: a broker took it; waiting for both sides to agree to talk.
        Accepted = ("ACCEPTED", "已受理"),
        /// 已引荐: both sides agreed; confidential detail and contacts are disclosed.
        Introduced = ("INTRODUCED", "已引荐"),
        /// 洽谈中.
        Negotiating = ("NEGOTIATING", "洽谈中"),
        /// 已签约: a technical contract was signed.
        Signed = ("SIGNED", "已签约"),
        /// 已拒绝: declined by a side or the broker, with a reason.
        Declined = ("DECLINED", "已拒绝"),
        /// 已撤回: withdrawn by the requester.
        Withdrawn = ("WITHDRAWN", "已撤回"),
        /// 已超时: nobody answered in time.
        Expired = ("EXPIRED", "已超时"),
    }
}

vocabulary! {
    /// Who started a pairing.
    PairingOrigin {
        /// A firm asked for a result (企业申请对接).
        FirmRequest = ("FIRM_REQUEST", "企业申请"),
        /// A university offered a result to a need (高校推荐成果).
        UniversityOffer = ("UNIVERSITY_OFFER", "高校推荐"),
        /// A broker proposed it from the stored matches (经纪人撮合).
        BrokerProposal = ("BROKER_PROPOSAL", "经纪人撮合"),
    }
}

vocabulary! {
    /// The role someone acts in on a pairing.
    PairingRole {
        /// 企业方: the firm (need owner or requester).
        Enterprise = ("ENTERPRISE", "企业方"),
        /// 成果方: the result's owner (university or institute).
        University = ("UNIVERSITY", "成果方"),
        /// 技术经纪人.
        Broker = ("BROKER", "技术经纪人"),
        /// 平台管理员.
        Operator = ("OPERATOR", "平台管理员"),
        /// The platform itself (deadlines).
        System = ("SYSTEM", "系统"),
    }
}

vocabulary! {
    /// What happened in a pairing's timeline.
    PairingEventKind {
        /// The pairing was requested.
        Requested = ("REQUESTED", "提出对接"),
        /// A broker took it.
        Accepted = ("ACCEPTED", "经纪人受理"),
        /// An operator assigned (or reassigned) a broker.
        Assigned = ("ASSIGNED", "指派经纪人"),
        /// One side agreed to talk.
        Agreed = ("AGREED", "同意洽谈"),
        /// Both sides agreed; detail and contacts disclosed.
        Introduced = ("INTRODUCED", "引荐成功"),
        /// Negotiation started.
        Negotiating = ("NEGOTIATING", "开始洽谈"),
        /// A contract was signed.
        Signed = ("SIGNED", "签订合同"),
        /// Declined with a reason.
        Declined = ("DECLINED", "拒绝"),
        /// Withdrawn by the requester.
        Withdrawn = ("WITHDRAWN", "撤回"),
        /// Nobody answered in time.
        Expired = ("EXPIRED", "超时关闭"),
        /// A note.
        Note = ("NOTE", "备注"),
    }
}

vocabulary! {
    /// Kinds of technical contract (技术合同), as registered in China.
    ContractKind {
        /// 技术开发（委托）.
        DevelopmentCommissioned = ("DEVELOPMENT_COMMISSIONED", "技术开发（委托）"),
        /// 技术开发（合作）.
        DevelopmentCooperative = ("DEVELOPMENT_COOPERATIVE", "技术开发（合作）"),
        /// 技术转让（专利权）.
        TransferPatent = ("TRANSFER_PATENT", "技术转让（专利权）"),
        /// 技术转让（专利申请权）.
        TransferPatentApplication = ("TRANSFER_PATENT_APPLICATION", "技术转让（专利申请权）"),
        /// 技术转让（技术秘密）.
        TransferTradeSecret = ("TRANSFER_TRADE_SECRET", "技术转让（技术秘密）"),
        /// 技术许可.
        License = ("LICENSE", "技术许可"),
        /// 技术咨询.
        Consulting = ("CONSULTING", "技术咨询"),
        /// 技术服务.
        Service = ("SERVICE", "技术服务"),
    }
}

vocabulary! {
    /// Whose answer a pairing waits for; the deadline applies to them.
    Awaiting {
        /// A broker must take the request.
        Broker = ("BROKER", "技术经纪人"),
        /// The firm must answer.
        Enterprise = ("ENTERPRISE", "企业方"),
        /// The result's owner must answer.
        University = ("UNIVERSITY", "成果方"),
        /// Both sides must answer.
        BothSides = ("BOTH_SIDES", "双方"),
        /// Either side (or the broker) must move the talks on.
        Progress = ("PROGRESS", "双方推进"),
    }
}

impl PairingStatus {
    /// Whether the pairing is still running.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Self::Requested | Self::Accepted | Self::Introduced | Self::Negotiating
        )
    }
}

/// A signed technical contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contract {
    /// Kind.
    pub kind: ContractKind,
    /// Amount in CNY yuan.
    pub amount_yuan: i64,
    /// Signing date.
    pub signed_on: NaiveDate,
    /// 技术合同登记号, when registered.
    pub registration_number: Option<String>,
}

/// A pairing as services pass it around.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pairing {
    /// Row id.
    pub id: i32,
    /// The firm's need, when one was named.
    pub need_id: Option<i32>,
    /// The research result.
    pub achievement_id: i32,
    /// The firm.
    pub enterprise_org_id: i32,
    /// The result's owner.
    pub university_org_id: i32,
    /// Who started it.
    pub origin: PairingOrigin,
    /// The user who started it.
    pub requested_by: Option<i32>,
    /// The request's message.
    pub message: String,
    /// Where it stands.
    pub status: PairingStatus,
    /// The broker carrying it.
    pub broker_id: Option<i32>,
    /// The firm agreed to talk.
    pub enterprise_agreed: bool,
    /// The result's owner agreed to talk.
    pub university_agreed: bool,
    /// Priority track (of the result, else of the need), for queues and statistics.
    pub track_code: Option<String>,
    /// GB/T 4754 division (of the need, else of the result).
    pub industry_code: Option<String>,
    /// GB/T 2260 region of the firm (where the technology goes).
    pub region_code: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// A broker first took it.
    pub accepted_at: Option<DateTime<Utc>>,
    /// Both sides agreed.
    pub introduced_at: Option<DateTime<Utc>>,
    /// Talks started.
    pub negotiating_at: Option<DateTime<Utc>>,
    /// Contract signed (recorded).
    pub signed_at: Option<DateTime<Utc>>,
    /// Reached a final state.
    pub closed_at: Option<DateTime<Utc>>,
    /// Answer due by.
    pub due_at: Option<DateTime<Utc>>,
    /// Whose answer is due.
    pub awaiting: Option<Awaiting>,
    /// Why it was declined or expired.
    pub decline_reason: Option<String>,
    /// The contract, once signed.
    pub contract: Option<Contract>,
}

impl Pairing {
    /// The side that asked, if a side asked (a broker's proposal has none).
    pub fn requesting_side(&self) -> Option<PairingRole> {
        match self.origin {
            PairingOrigin::FirmRequest => Some(PairingRole::Enterprise),
            PairingOrigin::UniversityOffer => Some(PairingRole::University),
            PairingOrigin::BrokerProposal => None,
        }
    }

    /// The key that keeps two open pairings of the same pair from existing.
    pub fn open_key(&self) -> Option<String> {
        self.status.is_open().then(|| match self.need_id {
            Some(need) => format!("n{need}:a{}", self.achievement_id),
            None => format!("o{}:a{}", self.enterprise_org_id, self.achievement_id),
        })
    }
}

/// A move someone asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// A broker takes the request, or an operator assigns one.
    Accept,
    /// A side agrees to talk.
    Agree(PairingRole),
    /// Talks start.
    Negotiate,
    /// A contract is recorded.
    Sign,
    /// Declined.
    Decline,
    /// Withdrawn by the requester.
    Withdraw,
    /// The deadline passed.
    Expire,
}

/// Why a move is not allowed now, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct IllegalMove(pub String);

/// The status after `m`, or why `m` is not allowed from `p`'s status.
pub fn next_status(p: &Pairing, m: Move) -> Result<PairingStatus, IllegalMove> {
    use PairingStatus::*;
    let refuse = |verb: &str| {
        Err(IllegalMove(format!(
            "对接当前为“{}”，不能{verb}",
            p.status.label_zh()
        )))
    };
    match m {
        Move::Accept => match p.status {
            Requested => Ok(Accepted),
            _ => refuse("受理"),
        },
        Move::Agree(side) => {
            if p.status != Accepted {
                return refuse("同意洽谈");
            }
            let (mine, theirs) = match side {
                PairingRole::Enterprise => (p.enterprise_agreed, p.university_agreed),
                PairingRole::University => (p.university_agreed, p.enterprise_agreed),
                _ => return Err(IllegalMove("只有企业方或成果方可以同意洽谈".into())),
            };
            if mine {
                return Err(IllegalMove("你方已同意洽谈，正在等待对方答复".into()));
            }
            Ok(if theirs { Introduced } else { Accepted })
        }
        Move::Negotiate => match p.status {
            Introduced => Ok(Negotiating),
            _ => refuse("开始洽谈"),
        },
        Move::Sign => match p.status {
            Negotiating => Ok(Signed),
            _ => refuse("登记签约"),
        },
        Move::Decline => {
            if p.status.is_open() {
                Ok(Declined)
            } else {
                refuse("拒绝")
            }
        }
        Move::Withdraw => {
            if p.status.is_open() {
                Ok(Withdrawn)
            } else {
                refuse("撤回")
            }
        }
        Move::Expire => {
            if p.status.is_open() {
                Ok(Expired)
            } else {
                refuse("超时关闭")
            }
        }
    }
}

/// Whose answer a pairing in `status` waits for.
pub fn awaiting(p: &Pairing, status: PairingStatus) -> Option<Awaiting> {
    use PairingStatus::*;
    match status {
        Requested => Some(Awaiting::Broker),
        Accepted => Some(match (p.enterprise_agreed, p.university_agreed) {
            (true, false) => Awaiting::University,
            (false, true) => Awaiting::Enterprise,
            _ => Awaiting::BothSides,
        }),
        Introduced | Negotiating => Some(Awaiting::Progress),
        Signed | Declined | Withdrawn | Expired => None,
    }
}

/// Why a pairing expired, in Chinese, for both sides to read.
pub fn expiry_reason(awaiting: Option<Awaiting>, days: i64) -> String {
    match awaiting {
        Some(Awaiting::Broker) => format!("提交后 {days} 天内没有技术经纪人受理，对接已自动关闭"),
        Some(Awaiting::Enterprise) => format!("企业方 {days} 天内未答复，对接已自动关闭"),
        Some(Awaiting::University) => format!("成果方 {days} 天内未答复，对接已自动关闭"),
        Some(Awaiting::BothSides) => format!("双方 {days} 天内均未答复，对接已自动关闭"),
        Some(Awaiting::Progress) | None => {
            format!("{days} 天内对接没有任何进展，已自动关闭")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairing(status: PairingStatus) -> Pairing {
        let t = DateTime::<Utc>::UNIX_EPOCH;
        Pairing {
            id: 1,
            need_id: Some(2),
            achievement_id: 3,
            enterprise_org_id: 4,
            university_org_id: 5,
            origin: PairingOrigin::FirmRequest,
            requested_by: Some(6),
            message: "希望对接".into(),
            status,
            broker_id: None,
            enterprise_agreed: true,
            university_agreed: false,
            track_code: None,
            industry_code: None,
            region_code: "370211".into(),
            created_at: t,
            updated_at: t,
            accepted_at: None,
            introduced_at: None,
            negotiating_at: None,
            signed_at: None,
            closed_at: None,
            due_at: None,
            awaiting: None,
            decline_reason: None,
            contract: None,
        }
    }

    #[test]
    fn the_happy_path_moves_forward_one_step_at_a_time() {
        use PairingStatus::*;
        let mut p = pairing(Requested);
        assert_eq!(next_status(&p, Move::Accept), Ok(Accepted));
        p.status = Accepted;
        // The firm asked, so it agreed already; the university's consent introduces them.
        assert_eq!(
            next_status(&p, Move::Agree(PairingRole::University)),
            Ok(Introduced)
        );
        assert!(next_status(&p, Move::Agree(PairingRole::Enterprise)).is_err());
        p.status = Introduced;
        assert_eq!(next_status(&p, Move::Negotiate), Ok(Negotiating));
        p.status = Negotiating;
        assert_eq!(next_status(&p, Move::Sign), Ok(Signed));
    }

    #[test]
    fn illegal_moves_say_why_in_chinese() {
        use PairingStatus::*;
        let p = pairing(Requested);
        let err = next_status(&p, Move::Sign).unwrap_err();
        assert_eq!(err.0, "对接当前为“待受理”，不能登记签约");
        for closed in [Signed, Declined, Withdrawn, Expired] {
            let p = pairing(closed);
            for m in [
                Move::Accept,
                Move::Decline,
                Move::Withdraw,
                Move::Expire,
                Move::Negotiate,
            ] {
                assert!(next_status(&p, m).is_err(), "{closed} allowed {m:?}");
            }
        }
        assert!(next_status(&pairing(Accepted), Move::Agree(PairingRole::Broker)).is_err());
    }

    #[test]
    fn the_open_key_exists_only_while_open_and_names_the_pair() {
        let mut p = pairing(PairingStatus::Negotiating);
        assert_eq!(p.open_key().as_deref(), Some("n2:a3"));
        p.need_id = None;
        assert_eq!(p.open_key().as_deref(), Some("o4:a3"));
        p.status = PairingStatus::Declined;
        assert_eq!(p.open_key(), None);
    }

    #[test]
    fn awaiting_follows_consent() {
        let mut p = pairing(PairingStatus::Accepted);
        assert_eq!(
            awaiting(&p, PairingStatus::Accepted),
            Some(Awaiting::University)
        );
        p.enterprise_agreed = false;
        assert_eq!(
            awaiting(&p, PairingStatus::Accepted),
            Some(Awaiting::BothSides)
        );
        assert_eq!(awaiting(&p, PairingStatus::Signed), None);
        assert!(expiry_reason(Some(Awaiting::Broker), 7).contains("7 天内没有技术经纪人受理"));
    }
}
