//! `matchesForNeed`, `matchesForAchievement` and `dismissMatch`: two-way matching with reasons.

use crate::db::outbox::ListingKind;
use crate::domain::TransferMode;
use crate::graphql::errors::{ResultExt, UserError, split};
use crate::graphql::ids::{self, NodeType};
use crate::graphql::types::connection::{Parts, connection, edge, forward};
use crate::graphql::types::{Achievement, Need};
use crate::search::reasons::{FieldFit, MatchReasons, ModeFit, RegionFit, TrlFit};
use crate::service::matching::MatchView;
use crate::service::search::Found;
use crate::service::{Actor, Services, Window};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};

/// A result matched to a need, or a need matched to a result.
#[derive(SimpleObject)]
pub struct Match {
    /// Score in 0..1, comparable across listings: 0.55 text, 0.20 industry/discipline, 0.15
    /// TRL, 0.05 region, 0.05 mode.
    pub score: f64,
    /// Whether the match is strong: its score reaches the evidence floor (0.45) and it rests on
    /// shared words (text score at least 0.15). A field, TRL, city and mode in common without
    /// shared words make a candidate worth a look, not a strong match.
    pub strong: bool,
    /// The need.
    pub need_id: ids::GlobalId,
    /// The result.
    pub achievement_id: ids::GlobalId,
    /// The matched result (for `matchesForNeed`).
    pub achievement: Option<Achievement>,
    /// The matched need (for `matchesForAchievement`).
    pub need: Option<Need>,
    /// Why it matches.
    pub reasons: MatchReasonsView,
}

/// A word both listings use.
#[derive(SimpleObject)]
pub struct SharedTermView {
    /// The word.
    pub term: String,
    /// Its share (0..1) of the weight of the key terms of the listing matched from.
    pub weight: f64,
}

/// How the industry or discipline of the two sides relate.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum FieldRelation {
    /// Same GB/T 13745 discipline.
    SameDiscipline,
    /// Same GB/T 4754 division.
    SameIndustry,
    /// Related through the industry ↔ discipline crosswalk.
    Crosswalk,
    /// The result's discipline is one inferred from the need's text (the need names none);
    /// `fieldScore` is the inference's confidence.
    InferredDiscipline,
    /// Same industry section (门类) only.
    SameSection,
    /// Unrelated.
    Unrelated,
}

/// How mature the result is compared with what the need wants.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum TrlRelation {
    /// Reaches the wanted minimum.
    Meets,
    /// Below it (ranked lower).
    Below,
    /// The need states no minimum.
    Unspecified,
}

/// Where the two owners are.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum RegionRelation {
    /// Same city.
    SameCity,
    /// Same province.
    SameProvince,
    /// Different provinces.
    Elsewhere,
    /// Not known (an anonymous need).
    Unknown,
}

/// Whether the modes fit.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ModeRelation {
    /// A mode both name.
    Shared,
    /// Workable (licence for licence; joint development or service for commissioned work).
    Compatible,
    /// One side names none.
    Unspecified,
    /// Nothing in common.
    Different,
}

/// Every reason, factor by factor, plus sentences to show.
#[derive(SimpleObject)]
pub struct MatchReasonsView {
    /// One sentence per factor, in Chinese.
    pub explanation: Vec<String>,
    /// Words both use, heaviest first.
    pub shared_terms: Vec<SharedTermView>,
    /// Text similarity (0..1).
    pub text_score: f64,
    /// Industry / discipline relation.
    pub field: FieldRelation,
    /// The codes the relation rests on (division, discipline), when there are any.
    pub field_codes: Vec<String>,
    /// Field score (0..1).
    pub field_score: f64,
    /// TRL relation.
    pub trl: TrlRelation,
    /// The result's TRL.
    pub trl_have: Option<i32>,
    /// The need's minimum.
    pub trl_want: Option<i32>,
    /// TRL score (0..1).
    pub trl_score: f64,
    /// Region relation.
    pub region: RegionRelation,
    /// Region score (0..1).
    pub region_score: f64,
    /// Mode relation.
    pub mode: ModeRelation,
    /// The modes it rests on.
    pub modes: Vec<TransferMode>,
    /// Mode score (0..1).
    pub mode_score: f64,
    /// GB/T 13745 disciplines inferred from the need's text when it names none, most likely
    /// first: guesses with their confidence, never shown as the firm's choice.
    pub inferred_disciplines: Vec<InferredDisciplineView>,
}

/// A discipline inferred from a need's text.
#[derive(SimpleObject)]
pub struct InferredDisciplineView {
    /// First-level GB/T 13745 code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// The model's confidence (0..1).
    pub confidence: f64,
}

impl From<MatchReasons> for MatchReasonsView {
    fn from(r: MatchReasons) -> Self {
        let explanation = r.explain();
        let (field, field_codes) = match &r.field {
            FieldFit::SameDiscipline { discipline } => {
                (FieldRelation::SameDiscipline, vec![discipline.clone()])
            }
            FieldFit::SameIndustry { division } => {
                (FieldRelation::SameIndustry, vec![division.clone()])
            }
            FieldFit::Crosswalk {
                division,
                discipline,
            } => (
                FieldRelation::Crosswalk,
                vec![division.clone(), discipline.clone()],
            ),
            FieldFit::InferredDiscipline { discipline, .. } => {
                (FieldRelation::InferredDiscipline, vec![discipline.clone()])
            }
            FieldFit::SameSection { section } => {
                (FieldRelation::SameSection, vec![section.clone()])
            }
            FieldFit::Unrelated => (FieldRelation::Unrelated, vec![]),
        };
        let (trl, trl_have, trl_want) = match r.trl {
            TrlFit::Meets { have, want } => (TrlRelation::Meets, Some(have), Some(want)),
            TrlFit::Below { have, want } => (TrlRelation::Below, Some(have), Some(want)),
            TrlFit::Unspecified => (TrlRelation::Unspecified, None, None),
        };
        let (mode, modes) = match &r.mode {
            ModeFit::Shared { modes } => (ModeRelation::Shared, modes.clone()),
            ModeFit::Compatible { modes } => (ModeRelation::Compatible, modes.clone()),
            ModeFit::Unspecified => (ModeRelation::Unspecified, vec![]),
            ModeFit::Different => (ModeRelation::Different, vec![]),
        };
        Self {
            explanation,
            shared_terms: r
                .shared_terms
                .iter()
                .map(|t| SharedTermView {
                    term: t.term.clone(),
                    weight: f64::from(t.weight),
                })
                .collect(),
            text_score: f64::from(r.text),
            field,
            field_codes,
            field_score: f64::from(r.field_score()),
            trl,
            trl_have: trl_have.map(i32::from),
            trl_want: trl_want.map(i32::from),
            trl_score: f64::from(r.trl.score()),
            region: match r.region {
                RegionFit::SameCity { .. } => RegionRelation::SameCity,
                RegionFit::SameProvince { .. } => RegionRelation::SameProvince,
                RegionFit::Elsewhere => RegionRelation::Elsewhere,
                RegionFit::Unknown => RegionRelation::Unknown,
            },
            region_score: f64::from(r.region.score()),
            mode,
            modes,
            mode_score: f64::from(r.mode.score()),
            inferred_disciplines: r
                .inferred
                .iter()
                .map(|i| InferredDisciplineView {
                    name: crate::codes::disciplines()
                        .get(&i.discipline)
                        .map(|e| e.name.clone())
                        .unwrap_or_default(),
                    code: i.discipline.clone(),
                    confidence: f64::from(i.confidence),
                })
                .collect(),
        }
    }
}

fn view(m: MatchView) -> Match {
    let (achievement, need) = match m.counterpart {
        Found::Achievement(a) => (Some(Achievement(a)), None),
        Found::Need(n) => (None, Some(Need(n))),
    };
    Match {
        score: f64::from(m.score),
        strong: m.reasons.strong(m.score),
        need_id: ids::encode(NodeType::Need, m.need_id),
        achievement_id: ids::encode(NodeType::Achievement, m.achievement_id),
        achievement,
        need,
        reasons: m.reasons.into(),
    }
}

edge!(MatchEdge, Match, "match");
connection!(MatchConnection, MatchEdge, "matches, best first");

async fn matches(
    ctx: &Context<'_>,
    id: &ID,
    kind: ListingKind,
    window: Window,
    min_score: Option<f64>,
) -> Result<MatchConnection> {
    let services = ctx.data::<Services>()?;
    let actor = ctx.data::<Actor>()?;
    let id = ids::IdCodec::of(ctx)
        .decode(id, NodeType::of_listing(kind))
        .gql()?;
    let page = services
        .matching
        .matches_for(actor, kind, id, window, min_score.map(|m| m as f32))
        .await
        .gql()?;
    Ok(MatchConnection::new(Parts::of_nodes(page, view)))
}

/// Matching queries.
#[derive(Default)]
pub struct MatchQuery;

/// The two match queries, one a side: the same arguments and the same call.
macro_rules! match_queries {
    ($($(#[$doc:meta])* $field:ident: $source:expr;)*) => {
        #[Object]
        impl MatchQuery {
            $(
                $(#[$doc])*
                #[graphql(complexity = "crate::graphql::limits::MATCH_COST + crate::graphql::limits::list_cost(first, None, 10, 50, child_complexity)")]
                async fn $field(
                    &self,
                    ctx: &Context<'_>,
                    id: ID,
                    #[graphql(default = 10)] first: Option<i32>,
                    after: Option<String>,
                    #[graphql(
                        desc = "Leave out matches scoring below this (0..1); `EVIDENCE_FLOOR` in \
                                      docs/matching.md is where a match stops resting on too little"
                    )]
                    min_score: Option<f64>,
                ) -> Result<MatchConnection> {
                    matches(ctx, &id, $source, forward(first, after)?, min_score).await
                }
            )*
        }
    };
}

match_queries! {
    /// Research results that could solve a need, best first, with reasons. Results the need's
    /// owner dismissed are left out. The ranking holds at most 50 matches.
    matches_for_need: ListingKind::Need;
    /// Needs a research result could serve, best first, with reasons. Needs the result's
    /// owner dismissed are left out; confidential needs only for those who may see them.
    /// The ranking holds at most 50 matches.
    matches_for_achievement: ListingKind::Achievement;
}

/// Input of `dismissMatch`.
#[derive(InputObject)]
pub struct DismissMatchInput {
    /// The need.
    pub need_id: ID,
    /// The result.
    pub achievement_id: ID,
}

/// Result of `dismissMatch`.
#[derive(SimpleObject)]
pub struct DismissMatchPayload {
    /// Whether the match is now dismissed for your side.
    pub dismissed: bool,
    /// What was wrong with the input.
    pub user_errors: Vec<UserError>,
}

/// Matching mutations.
#[derive(Default)]
pub struct MatchMutation;

#[Object]
impl MatchMutation {
    /// Hides a match from your listing's matches for good (for your side only).
    async fn dismiss_match(
        &self,
        ctx: &Context<'_>,
        input: DismissMatchInput,
    ) -> Result<DismissMatchPayload> {
        let services = ctx.data::<Services>()?;
        let actor = ctx.data::<Actor>()?;
        let r = async {
            let need = ids::IdCodec::of(ctx).decode(&input.need_id, NodeType::Need)?;
            let achievement =
                ids::IdCodec::of(ctx).decode(&input.achievement_id, NodeType::Achievement)?;
            services.matching.dismiss(actor, need, achievement).await
        }
        .await;
        let (done, user_errors) = split(r)?;
        Ok(DismissMatchPayload {
            dismissed: done.is_some(),
            user_errors,
        })
    }
}
