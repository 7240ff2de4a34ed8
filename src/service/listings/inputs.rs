//! Raw inputs for creating and changing listings and organisations, and their validation into
//! records. GraphQL inputs and seed files both arrive here, so both get the same checks.
//!
//! Validation collects every field error at once, so a form can show them all. These plain
//! input structs double as GraphQL input objects (one definition, one set of checks); stored
//! rows and records never do.

use crate::domain::listing::draft_listing;
use crate::domain::region::RegionCode;
use crate::domain::{
    Achievement, CreditCode, DisciplineCode, IndustryCode, IpKind, IpRecord, IpStatus, Keywords,
    MaturityStage, Need, NeedVisibility, OrganizationKind, PriceRange, RegistrationNumber, Text,
    TransferMode, Trl,
};
use crate::error::{ErrorCode, FieldError};
use chrono::NaiveDate;
use serde::Deserialize;

/// A price or budget: both bounds absent means 面议.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq, async_graphql::InputObject)]
#[graphql(name = "PriceRangeInput")]
pub struct PriceInput {
    /// Lower bound in yuan.
    pub min: Option<i64>,
    /// Upper bound in yuan.
    pub max: Option<i64>,
}

/// An IP record as entered.
#[derive(Debug, Clone, Deserialize, async_graphql::InputObject)]
#[graphql(name = "IpRecordInput")]
pub struct IpInput {
    /// Kind.
    pub kind: IpKind,
    /// Number.
    pub number: Option<String>,
    /// Status.
    pub status: IpStatus,
}

impl IpInput {
    /// A stored IP record as entered.
    fn of(r: &IpRecord) -> Self {
        Self {
            kind: r.kind,
            number: r.number.clone(),
            status: r.status,
        }
    }

    /// A Chinese patent by its number: the kind follows the number's type digit, and a number
    /// written with `ZL` is granted, otherwise filed.
    pub fn patent(raw: &str, field: &str) -> Result<Self, FieldError> {
        let number = crate::domain::PatentNumber::parse(raw, field)?;
        let kind = match number.type_digit() {
            '2' | '9' => IpKind::UtilityModel,
            '3' => IpKind::Design,
            _ => IpKind::InventionPatent,
        };
        let granted = raw.trim().to_ascii_uppercase().starts_with("ZL");
        Ok(Self {
            kind,
            number: Some(raw.trim().to_owned()),
            status: if granted {
                IpStatus::Granted
            } else {
                IpStatus::Filed
            },
        })
    }
}

/// Whether a priority-track code names a track that exists.
pub type TracksKnown<'a> = &'a dyn Fn(&str) -> bool;

/// What validation yields: the checked value, or every field error at once.
pub type Checked<T> = Result<T, Vec<FieldError>>;

/// A listing kind's input as entered and its patch; [`listing_input`] implements it for the
/// kind's record.
pub trait Entered: Sized {
    /// Every field as entered (GraphQL input, seed file, market record).
    type Input: Clone + Send + Sync + 'static;
    /// Changes as entered: absent fields stay as they are.
    type Patch: Send;

    /// Validates `input` into a draft (content only, lifecycle not yet stamped);
    /// `tracks_known` says whether a priority track exists and `today` is the earliest deadline
    /// a need may give.
    fn validate(input: &Self::Input, tracks_known: TracksKnown, today: NaiveDate) -> Checked<Self>;

    /// The full input that results from applying `patch` to `self`.
    fn patched(&self, patch: Self::Patch) -> Self::Input;
}

/// Declares a listing kind's input (every field as entered: a GraphQL input object and a seed
/// or import record), its patch (each field optional, absent fields unchanged) and how a patch
/// applies to a stored record, from one list of fields. A field marked `[required]` must be
/// given in the input and is optional in the patch; `[defaulted]` is the same but may be left
/// out of the input (an empty value); `[optional]` is an `Option` already, and an absent value
/// in the patch keeps the record's too. `= expr` is the field's current value in the record.
macro_rules! listing_input {
    (
        $(#[$input_doc:meta])*
        $input:ident as $graphql_name:literal,
        $(#[$patch_attr:meta])*
        $patch:ident applies to $record:ty as $current:ident {
            $(
                $(#[$field_attr:meta])*
                $field:ident: $type:ty [$mode:ident] = $value:expr,
            )*
        }
    ) => {
        listing_input!(@input $(#[$input_doc])* $input $graphql_name []
            $($(#[$field_attr])* $field: $type [$mode],)*);

        $(#[$patch_attr])*
        #[derive(Debug, Clone, Default, Deserialize, async_graphql::InputObject)]
        #[allow(missing_docs)]
        pub struct $patch {
            $(pub $field: listing_input!(@patch $mode $type),)*
        }

        impl $patch {
            /// The full input that results from applying this patch to the stored record.
            pub(crate) fn apply(self, $current: &$record) -> $input {
                $input {
                    $($field: listing_input!(@apply $mode self.$field, $value),)*
                }
            }
        }

        impl Entered for $record {
            type Input = $input;
            type Patch = $patch;

            fn validate(input: &$input, tracks_known: TracksKnown, today: NaiveDate) -> Checked<Self> {
                input.validate(tracks_known, today)
            }

            fn patched(&self, patch: $patch) -> $input {
                patch.apply(self)
            }
        }
    };
    // The input struct, once every field has the attributes its mode gives it.
    (@input $(#[$doc:meta])* $input:ident $name:literal [$($done:tt)*]) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Deserialize, async_graphql::InputObject)]
        #[graphql(name = $name)]
        pub struct $input { $($done)* }
    };
    (@input $(#[$doc:meta])* $input:ident $name:literal [$($done:tt)*]
        $(#[$attr:meta])* $field:ident: $type:ty [required], $($rest:tt)*) => {
        listing_input!(@input $(#[$doc])* $input $name [$($done)*
            $(#[$attr])* pub $field: $type,] $($rest)*);
    };
    (@input $(#[$doc:meta])* $input:ident $name:literal [$($done:tt)*]
        $(#[$attr:meta])* $field:ident: $type:ty [defaulted], $($rest:tt)*) => {
        listing_input!(@input $(#[$doc])* $input $name [$($done)*
            $(#[$attr])* #[serde(default)] #[graphql(default)] pub $field: $type,] $($rest)*);
    };
    (@input $(#[$doc:meta])* $input:ident $name:literal [$($done:tt)*]
        $(#[$attr:meta])* $field:ident: $type:ty [optional], $($rest:tt)*) => {
        listing_input!(@input $(#[$doc])* $input $name [$($done)*
            $(#[$attr])* #[serde(default)] pub $field: $type,] $($rest)*);
    };
    (@patch optional $type:ty) => { $type };
    (@patch $mode:ident $type:ty) => { Option<$type> };
    (@apply optional $patched:expr, $value:expr) => { $patched.or_else(|| $value) };
    (@apply $mode:ident $patched:expr, $value:expr) => { $patched.unwrap_or_else(|| $value) };
}

listing_input! {
    /// Every field of a research result as entered.
    AchievementInput as "AchievementFields",
    /// Changes to a research result: absent fields stay as they are. For optional texts an empty
    /// string clears the value; a price with neither bound means 面议.
    AchievementPatch applies to Achievement as a {
        /// Title, 4–100 characters.
        title: String [required] = a.title.clone(),
        /// Public summary.
        summary: String [required] = a.summary.clone(),
        /// Confidential detail.
        confidential_detail: Option<String> [optional] = a.confidential_detail.clone(),
        /// Keywords.
        keywords: Vec<String> [defaulted] = a.keywords.clone(),
        /// 应用领域.
        application_fields: String [defaulted] = a.application_fields.clone(),
        /// 技术优势.
        advantages: String [defaulted] = a.advantages.clone(),
        /// Requirements on the receiving firm.
        requirements: String [defaulted] = a.requirements.clone(),
        /// GB/T 13745 code.
        discipline: String [required] = a.discipline_code.clone(),
        /// GB/T 4754 codes.
        industries: Vec<String> [required] = a.industry_codes.clone(),
        /// TRL.
        trl: i32 [required] = i32::from(a.trl),
        /// Maturity stage.
        maturity: MaturityStage [required] = a.maturity,
        /// Offered modes.
        transfer_modes: Vec<TransferMode> [required] = a.transfer_modes.clone(),
        /// Price; absent means 面议.
        price: Option<PriceInput> [optional] = price_input(a.price),
        /// Lead researcher.
        team_lead: String [defaulted] = a.team_lead.clone(),
        /// Inventors.
        inventors: Vec<String> [defaulted] = a.inventors.clone(),
        /// 科技成果登记号.
        registration_number: Option<String> [optional] = a.registration_number.clone(),
        /// Priority-track codes.
        tracks: Vec<String> [defaulted] = a.priority_tracks.clone(),
        /// IP records.
        ip: Vec<IpInput> [defaulted] = a.ip_records.iter().map(IpInput::of).collect(),
    }
}

listing_input! {
    /// Every field of a need as entered.
    NeedInput as "NeedFields",
    /// Changes to a need: absent fields stay as they are.
    NeedPatch applies to Need as n {
        /// Title.
        title: String [required] = n.title.clone(),
        /// Problem statement.
        problem: String [required] = n.problem.clone(),
        /// Technical requirements / target indicators.
        requirements: String [defaulted] = n.requirements.clone(),
        /// Confidential detail.
        confidential_detail: Option<String> [optional] = n.confidential_detail.clone(),
        /// Keywords.
        keywords: Vec<String> [defaulted] = n.keywords.clone(),
        /// GB/T 4754 codes, up to 5; none is fine: a spreadsheet row or a market record often has
        /// none, and matching then infers likely disciplines from the text.
        industries: Vec<String> [defaulted] = n.industry_codes.clone(),
        /// GB/T 13745 code.
        discipline: Option<String> [optional] = n.discipline_code.clone(),
        /// Lowest acceptable TRL.
        min_trl: Option<i32> [optional] = n.min_trl.map(i32::from),
        /// Wanted modes.
        cooperation_modes: Vec<TransferMode> [required] = n.cooperation_modes.clone(),
        /// Budget; absent means 面议.
        budget: Option<PriceInput> [optional] = price_input(n.budget),
        /// Wanted by.
        deadline: Option<NaiveDate> [optional] = n.deadline,
        /// Visibility.
        visibility: NeedVisibility [required] = n.visibility,
        /// Priority-track codes.
        tracks: Vec<String> [defaulted] = n.priority_tracks.clone(),
    }
}

/// An organisation as entered.
#[derive(Debug, Clone, Deserialize, async_graphql::InputObject)]
#[graphql(name = "OrganizationFields")]
pub struct OrganizationInput {
    /// Kind.
    pub kind: OrganizationKind,
    /// Name.
    pub name: String,
    /// 统一社会信用代码.
    pub credit_code: String,
    /// GB/T 2260 code.
    pub region: String,
    /// Introduction.
    #[serde(default)]
    #[graphql(default)]
    pub description: String,
    /// Contact person.
    #[serde(default)]
    pub contact_name: Option<String>,
    /// Contact phone.
    #[serde(default)]
    pub contact_phone: Option<String>,
    /// Contact email.
    #[serde(default)]
    pub contact_email: Option<String>,
}

/// The validated content of an organisation.
#[derive(Debug, Clone, PartialEq)]
pub struct OrganizationContent {
    pub(crate) kind: OrganizationKind,
    pub(crate) name: String,
    pub(crate) credit_code: String,
    pub(crate) region_code: String,
    pub(crate) description: String,
    pub(crate) contact_name: Option<String>,
    pub(crate) contact_phone: Option<String>,
    pub(crate) contact_email: Option<String>,
}

/// Collects the field errors of a sequence of checks.
#[derive(Default)]
pub(crate) struct Errors(pub Vec<FieldError>);

impl Errors {
    /// `value` when no check failed, else every error.
    pub fn or<T>(self, value: T) -> Result<T, Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self.0)
        }
    }

    /// Keeps the value or records the error.
    pub fn take<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        r.map_err(|e| self.0.push(e)).ok()
    }
}

fn text(errs: &mut Errors, v: &str, min: usize, max: usize, field: &str, label: &str) -> String {
    errs.take(Text::parse(v, min, max, field, label))
        .map(Text::into_string)
        .unwrap_or_default()
}

/// A listing's confidential detail: optional, up to 20,000 characters.
fn confidential_detail(errs: &mut Errors, v: Option<&str>) -> Option<String> {
    opt_text(errs, v, 20000, "confidentialDetail", "保密内容")
}

/// A listing's keywords (≤ 10).
fn keywords(errs: &mut Errors, v: &[String]) -> Vec<String> {
    errs.take(Keywords::parse(v, "keywords"))
        .map(Keywords::into_vec)
        .unwrap_or_default()
}

fn opt_text(
    errs: &mut Errors,
    v: Option<&str>,
    max: usize,
    field: &str,
    label: &str,
) -> Option<String> {
    errs.take(Text::optional(v, max, field, label))
        .flatten()
        .map(Text::into_string)
}

fn industries(errs: &mut Errors, codes: &[String], field: &str) -> Vec<String> {
    if codes.is_empty() {
        errs.0.push(FieldError::new(
            field,
            ErrorCode::InvalidIndustryCode,
            "至少填写一个行业代码（GB/T 4754-2017）",
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, c) in codes.iter().enumerate() {
        if let Some(code) = errs.take(IndustryCode::parse(c, &format!("{field}.{i}")))
            && !out.iter().any(|o| o == code.as_str())
        {
            out.push(code.as_str().to_owned());
        }
    }
    if out.len() > 5 {
        errs.0.push(FieldError::new(
            field,
            ErrorCode::InvalidIndustryCode,
            "行业代码最多 5 个",
        ));
    }
    out
}

fn modes(
    errs: &mut Errors,
    modes: &[TransferMode],
    field: &str,
    for_achievement: bool,
) -> Vec<TransferMode> {
    let mut out: Vec<TransferMode> = Vec::new();
    for m in modes {
        if !out.contains(m) {
            out.push(*m);
        }
    }
    if out.is_empty() {
        errs.0.push(FieldError::new(
            field,
            ErrorCode::InvalidArgument,
            "至少选择一种转化或合作方式",
        ));
    }
    if for_achievement && out.iter().any(|m| !m.offered_by_achievements()) {
        errs.0.push(FieldError::new(
            field,
            ErrorCode::InvalidArgument,
            "“委托开发”是企业需求的合作方式，科技成果请选择转让、许可、作价投资、合作开发或技术服务",
        ));
    }
    out
}

fn price(errs: &mut Errors, p: Option<PriceInput>, field: &str) -> PriceRange {
    let p = p.unwrap_or_default();
    errs.take(PriceRange::new(p.min, p.max, field))
        .unwrap_or(PriceRange::Negotiable)
}

fn names(errs: &mut Errors, list: &[String], field: &str, label: &str) -> Vec<String> {
    if list.len() > 30 {
        errs.0.push(FieldError::new(
            field,
            ErrorCode::InvalidText,
            format!("{label}最多 30 人"),
        ));
    }
    list.iter()
        .enumerate()
        .filter(|(_, n)| !n.trim().is_empty())
        .map(|(i, n)| text(errs, n, 1, 50, &format!("{field}.{i}"), label))
        .collect()
}

impl AchievementInput {
    /// Validates every field; `tracks_known` says whether a track code exists (a result has no
    /// deadline, so the day does not matter).
    pub(crate) fn validate(&self, tracks_known: TracksKnown, _: NaiveDate) -> Checked<Achievement> {
        let mut e = Errors::default();
        let content = draft_listing!(Achievement {
            title: text(&mut e, &self.title, 4, 100, "title", "标题"),
            summary: text(&mut e, &self.summary, 10, 5000, "summary", "成果简介"),
            confidential_detail: confidential_detail(&mut e, self.confidential_detail.as_deref()),
            keywords: keywords(&mut e, &self.keywords),
            application_fields: text(
                &mut e,
                &self.application_fields,
                0,
                2000,
                "applicationFields",
                "应用领域",
            ),
            advantages: text(&mut e, &self.advantages, 0, 5000, "advantages", "技术优势"),
            requirements: text(
                &mut e,
                &self.requirements,
                0,
                2000,
                "requirements",
                "对受让方的要求",
            ),
            discipline_code: e
                .take(DisciplineCode::parse(&self.discipline, "discipline"))
                .map(|d| d.as_str().to_owned())
                .unwrap_or_default(),
            industry_codes: industries(&mut e, &self.industries, "industries"),
            trl: e.take(Trl::new(self.trl, "trl")).map_or(1, Trl::level),
            maturity: self.maturity,
            ip_records: self
                .ip
                .iter()
                .enumerate()
                .filter_map(|(i, ip)| {
                    e.take(IpRecord::parse(
                        ip.kind,
                        ip.number.as_deref(),
                        ip.status,
                        &format!("ip.{i}"),
                    ))
                })
                .collect(),
            transfer_modes: modes(&mut e, &self.transfer_modes, "transferModes", true),
            price: price(&mut e, self.price, "price"),
            team_lead: text(&mut e, &self.team_lead, 0, 50, "teamLead", "负责人"),
            inventors: names(&mut e, &self.inventors, "inventors", "发明人"),
            registration_number: self
                .registration_number
                .as_deref()
                .filter(|r| !r.trim().is_empty())
                .and_then(|r| e.take(RegistrationNumber::parse(r, "registrationNumber")))
                .map(|r| r.as_str().to_owned()),
            priority_tracks: tracks(&mut e, &self.tracks, tracks_known),
        });
        if self.ip.len() > 50 {
            e.0.push(FieldError::new(
                "ip",
                ErrorCode::InvalidIpRecord,
                "知识产权记录最多 50 条",
            ));
        }
        e.or(content)
    }
}

fn tracks(errs: &mut Errors, codes: &[String], known: &dyn Fn(&str) -> bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        let code = code.trim();
        if !known(code) {
            errs.0.push(FieldError::new(
                &format!("tracks.{i}"),
                ErrorCode::UnknownPriorityTrack,
                format!("重点产业赛道“{code}”不存在，请从 priorityTracks 列表中选择"),
            ));
        } else if !out.iter().any(|o| o == code) {
            out.push(code.to_owned());
        }
    }
    out
}

impl NeedInput {
    /// Validates every field; `today` rejects deadlines in the past.
    pub(crate) fn validate(&self, tracks_known: TracksKnown, today: NaiveDate) -> Checked<Need> {
        let mut e = Errors::default();
        let content = draft_listing!(Need {
            title: text(&mut e, &self.title, 4, 100, "title", "标题"),
            problem: text(&mut e, &self.problem, 10, 5000, "problem", "需求描述"),
            requirements: text(
                &mut e,
                &self.requirements,
                0,
                5000,
                "requirements",
                "技术指标",
            ),
            confidential_detail: confidential_detail(&mut e, self.confidential_detail.as_deref()),
            keywords: keywords(&mut e, &self.keywords),
            industry_codes: if self.industries.is_empty() {
                Vec::new()
            } else {
                industries(&mut e, &self.industries, "industries")
            },
            discipline_code: self
                .discipline
                .as_deref()
                .filter(|d| !d.trim().is_empty())
                .and_then(|d| e.take(DisciplineCode::parse(d, "discipline")))
                .map(|d| d.as_str().to_owned()),
            min_trl: self
                .min_trl
                .and_then(|t| e.take(Trl::new(t, "minTrl")))
                .map(Trl::level),
            cooperation_modes: modes(&mut e, &self.cooperation_modes, "cooperationModes", false),
            budget: price(&mut e, self.budget, "budget"),
            deadline: self.deadline,
            visibility: self.visibility,
            priority_tracks: tracks(&mut e, &self.tracks, tracks_known),
        });
        if let Some(deadline) = self.deadline.filter(|d| *d < today) {
            e.0.push(FieldError::new(
                "deadline",
                ErrorCode::InvalidDate,
                format!("截止日期 {deadline} 已过，请填写今天或以后的日期"),
            ));
        }
        e.or(content)
    }
}

impl OrganizationInput {
    /// Validates every field.
    pub(crate) fn validate(&self) -> Result<OrganizationContent, Vec<FieldError>> {
        let mut e = Errors::default();
        let content = OrganizationContent {
            kind: self.kind,
            name: text(&mut e, &self.name, 2, 100, "name", "机构名称"),
            credit_code: e
                .take(CreditCode::parse(&self.credit_code, "creditCode"))
                .map(|c| c.as_str().to_owned())
                .unwrap_or_default(),
            region_code: e
                .take(RegionCode::parse(&self.region, "region"))
                .map(|r| r.as_str().to_owned())
                .unwrap_or_default(),
            description: text(
                &mut e,
                &self.description,
                0,
                2000,
                "description",
                "机构简介",
            ),
            contact_name: opt_text(
                &mut e,
                self.contact_name.as_deref(),
                50,
                "contactName",
                "联系人",
            ),
            contact_phone: self
                .contact_phone
                .as_deref()
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .and_then(|p| {
                    let ok = p.len() <= 20
                        && p.chars()
                            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | ' '));
                    if ok {
                        Some(p.to_owned())
                    } else {
                        e.0.push(FieldError::new(
                            "contactPhone",
                            ErrorCode::InvalidContact,
                            "联系电话只能包含数字、空格、+ 和 -，最多 20 位",
                        ));
                        None
                    }
                }),
            contact_email: self
                .contact_email
                .as_deref()
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .and_then(|m| {
                    let ok = m.len() <= 200
                        && m.split_once('@').is_some_and(|(u, d)| {
                            !u.is_empty() && d.contains('.') && !m.contains(char::is_whitespace)
                        });
                    if ok {
                        Some(m.to_owned())
                    } else {
                        e.0.push(FieldError::new(
                            "contactEmail",
                            ErrorCode::InvalidContact,
                            "电子邮箱格式不正确",
                        ));
                        None
                    }
                }),
        };
        e.or(content)
    }
}

/// Changes to an organisation's profile.
#[derive(Debug, Clone, Default, Deserialize, async_graphql::InputObject)]
#[allow(missing_docs)]
pub struct OrganizationPatch {
    pub name: Option<String>,
    pub region: Option<String>,
    pub description: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
}

fn price_input(p: PriceRange) -> Option<PriceInput> {
    Some(PriceInput {
        min: p.min(),
        max: p.max(),
    })
}

impl OrganizationPatch {
    /// The full input that results from applying this patch to `o`.
    pub(crate) fn apply(self, o: &crate::domain::Organization) -> OrganizationInput {
        OrganizationInput {
            kind: o.kind,
            name: self.name.unwrap_or_else(|| o.name.clone()),
            credit_code: o.credit_code.clone(),
            region: self.region.unwrap_or_else(|| o.region_code.clone()),
            description: self.description.unwrap_or_else(|| o.description.clone()),
            contact_name: self.contact_name.or_else(|| o.contact_name.clone()),
            contact_phone: self.contact_phone.or_else(|| o.contact_phone.clone()),
            contact_email: self.contact_email.or_else(|| o.contact_email.clone()),
        }
    }
}
