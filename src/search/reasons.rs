//! Why a result fits a need, factor by factor: shared terms, industry and discipline relation,
//! TRL fit, region and transfer mode. Each factor has a score in 0..=1 and a sentence a person
//! can read; the match score is their weighted sum.

use crate::codes;
use crate::domain::TransferMode;
use crate::search::crosswalk::{Crosswalk, division_of};
use crate::search::matching::disciplines::Inferred;
use serde::{Deserialize, Serialize};

/// Weight of each factor in the match score (they sum to 1). Text carries most: the words of
/// the problem and of the result are the strongest evidence; codes refine it.
pub const WEIGHTS: FactorWeights = FactorWeights {
    text: 0.55,
    field: 0.20,
    trl: 0.15,
    region: 0.05,
    mode: 0.05,
};

/// A strong match holds at least this text score: some of the source's own words, not one
/// general word (see [`MatchReasons::strong`]).
pub const MIN_STRONG_TEXT: f32 = 0.15;

/// See [`WEIGHTS`].
#[derive(Debug, Clone, Copy)]
pub struct FactorWeights {
    /// Shared terms.
    pub text: f32,
    /// Industry / discipline.
    pub field: f32,
    /// Maturity.
    pub trl: f32,
    /// Region.
    pub region: f32,
    /// Transfer / cooperation mode.
    pub mode: f32,
}

/// What matching compares besides text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profile {
    /// GB/T 4754 codes (display form, any level, e.g. `C384`).
    pub industries: Vec<String>,
    /// GB/T 13745 code.
    pub discipline: Option<String>,
    /// The owner's GB/T 2260 code.
    pub region: Option<String>,
    /// TRL of a result, or the minimum a need wants.
    pub trl: Option<u8>,
    /// Modes offered (results) or wanted (needs).
    pub modes: Vec<TransferMode>,
}

impl Profile {
    /// Division numbers (`C384` → 38) for the index.
    pub fn division_numbers(&self) -> Vec<u64> {
        let mut out: Vec<u64> = self
            .industries
            .iter()
            .filter_map(|c| division_of(c)?.get(1..)?.parse().ok())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Modes as a bit set for the index.
    pub fn mode_bits(&self) -> u64 {
        self.modes.iter().fold(0, |bits, m| bits | mode_bit(*m))
    }

    /// Rebuilds the profile stored in the index.
    pub fn from_index(
        divisions: impl Iterator<Item = u64>,
        discipline: Option<u64>,
        region: Option<u64>,
        trl: Option<u64>,
        mode_bits: u64,
    ) -> Self {
        Self {
            industries: divisions.filter_map(division_code).collect(),
            discipline: discipline.map(|d| d.to_string()),
            region: region.map(|r| format!("{r:06}")),
            trl: trl.and_then(|t| u8::try_from(t).ok()),
            modes: TransferMode::ALL
                .iter()
                .copied()
                .filter(|m| mode_bits & mode_bit(*m) != 0)
                .collect(),
        }
    }
}

fn mode_bit(mode: TransferMode) -> u64 {
    let position = TransferMode::ALL
        .iter()
        .position(|m| *m == mode)
        .unwrap_or_default();
    1 << position
}

/// `38` → `C38`, through the code table.
fn division_code(number: u64) -> Option<String> {
    let digits = format!("{number:02}");
    codes::industries()
        .entries()
        .iter()
        .find(|e| e.code.len() == 3 && e.code.ends_with(&digits))
        .map(|e| e.code.clone())
}

/// A term both listings use, with its share of the source's term weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedTerm {
    /// The word.
    pub term: String,
    /// Its share (0..=1) of the weight of all key terms of the listing matched from.
    pub weight: f32,
}

/// How the need's industry or discipline relates to the result's discipline or industry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "relation", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FieldFit {
    /// Same GB/T 13745 discipline (or one contains the other).
    SameDiscipline {
        /// The more specific code.
        discipline: String,
    },
    /// Both filed under the same GB/T 4754 division.
    SameIndustry {
        /// Division, e.g. `C38`.
        division: String,
    },
    /// The crosswalk relates the need's industry to the result's discipline (or back).
    Crosswalk {
        /// The industry's division.
        division: String,
        /// The discipline.
        discipline: String,
    },
    /// The result's discipline is one the need's text suggests (the firm named none): the
    /// score is the model's confidence, so a guess never counts as much as a stated code.
    InferredDiscipline {
        /// The inferred first-level discipline.
        discipline: String,
        /// The model's confidence in 0..=1.
        confidence: f32,
    },
    /// Only the industry section (门类) is shared.
    SameSection {
        /// Section letter.
        section: String,
    },
    /// Nothing in common.
    Unrelated,
}

impl FieldFit {
    /// Score in 0..=1.
    pub fn score(&self) -> f32 {
        match self {
            Self::SameDiscipline { .. } => 1.0,
            Self::SameIndustry { .. } => 0.9,
            Self::Crosswalk { .. } => 0.75,
            Self::InferredDiscipline { confidence, .. } => confidence.clamp(0.0, 1.0),
            Self::SameSection { .. } => 0.3,
            Self::Unrelated => 0.0,
        }
    }

    /// Compares a need and a result: the stated codes, or the need's inferred disciplines
    /// when they fit better.
    pub fn of(
        need: &Profile,
        achievement: &Profile,
        walk: &Crosswalk,
        inferred: &[Inferred],
    ) -> Self {
        let stated = Self::stated(need, achievement, walk);
        let guessed = achievement.discipline.as_deref().and_then(|d| {
            inferred
                .iter()
                .find(|i| d.starts_with(i.discipline.as_str()))
                .map(|i| Self::InferredDiscipline {
                    discipline: i.discipline.clone(),
                    confidence: i.confidence,
                })
        });
        match guessed {
            Some(g) if g.score() > stated.score() => g,
            _ => stated,
        }
    }

    fn stated(need: &Profile, achievement: &Profile, walk: &Crosswalk) -> Self {
        if let (Some(a), Some(b)) = (&need.discipline, &achievement.discipline)
            && (a.starts_with(b.as_str()) || b.starts_with(a.as_str()))
        {
            let discipline = if a.len() >= b.len() { a } else { b };
            return Self::SameDiscipline {
                discipline: discipline.clone(),
            };
        }
        let divisions = |p: &Profile| -> Vec<String> {
            p.industries
                .iter()
                .filter_map(|c| division_of(c).map(str::to_owned))
                .collect()
        };
        let (need_divisions, achievement_divisions) = (divisions(need), divisions(achievement));
        if let Some(d) = need_divisions
            .iter()
            .find(|d| achievement_divisions.contains(d))
        {
            return Self::SameIndustry {
                division: d.clone(),
            };
        }
        let crossed = |divisions: &[String], discipline: &Option<String>| {
            let discipline = discipline.as_deref()?;
            divisions.iter().find_map(|d| {
                walk.relate(d, discipline).map(|_| Self::Crosswalk {
                    division: d.clone(),
                    discipline: discipline.to_owned(),
                })
            })
        };
        if let Some(fit) = crossed(&need_divisions, &achievement.discipline)
            .or_else(|| crossed(&achievement_divisions, &need.discipline))
        {
            return fit;
        }
        if let Some(d) = need_divisions.iter().find(|d| {
            achievement_divisions
                .iter()
                .any(|a| a.as_bytes()[0] == d.as_bytes()[0])
        }) {
            return Self::SameSection {
                section: d[..1].to_owned(),
            };
        }
        Self::Unrelated
    }
}

/// Whether the result is as mature as the need wants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "relation", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TrlFit {
    /// The result's TRL reaches the wanted minimum.
    Meets {
        /// The result's TRL.
        have: u8,
        /// The need's minimum.
        want: u8,
    },
    /// The result is less mature than wanted: it ranks lower, by two tenths per level.
    Below {
        /// The result's TRL.
        have: u8,
        /// The need's minimum.
        want: u8,
    },
    /// The need states no minimum.
    Unspecified,
}

impl TrlFit {
    /// Score in 0..=1.
    pub fn score(&self) -> f32 {
        match self {
            Self::Meets { .. } => 1.0,
            Self::Below { have, want } => (1.0 - 0.2 * f32::from(want - have)).max(0.0),
            Self::Unspecified => 0.7,
        }
    }

    /// Compares a need and a result.
    pub fn of(need: &Profile, achievement: &Profile) -> Self {
        match (achievement.trl, need.trl) {
            (Some(have), Some(want)) if have >= want => Self::Meets { have, want },
            (Some(have), Some(want)) => Self::Below { have, want },
            _ => Self::Unspecified,
        }
    }
}

/// Where the two owners are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "relation", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RegionFit {
    /// Same prefecture-level city.
    SameCity {
        /// City code, e.g. `370200`.
        city: String,
    },
    /// Same province.
    SameProvince {
        /// Province code, e.g. `370000`.
        province: String,
    },
    /// Different provinces.
    Elsewhere,
    /// A region is not known (an anonymous need does not say).
    Unknown,
}

impl RegionFit {
    /// Score in 0..=1.
    pub fn score(&self) -> f32 {
        match self {
            Self::SameCity { .. } => 1.0,
            Self::SameProvince { .. } => 0.6,
            Self::Elsewhere => 0.2,
            Self::Unknown => 0.3,
        }
    }

    /// Compares two owners' regions.
    pub fn of(a: &Profile, b: &Profile) -> Self {
        match (&a.region, &b.region) {
            (Some(a), Some(b)) if a.len() == 6 && b.len() == 6 => {
                if a[..4] == b[..4] {
                    Self::SameCity {
                        city: format!("{}00", &a[..4]),
                    }
                } else if a[..2] == b[..2] {
                    Self::SameProvince {
                        province: format!("{}0000", &a[..2]),
                    }
                } else {
                    Self::Elsewhere
                }
            }
            _ => Self::Unknown,
        }
    }
}

/// Whether the result is offered the way the firm wants to cooperate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "relation", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ModeFit {
    /// Modes both name.
    Shared {
        /// Those modes.
        modes: Vec<TransferMode>,
    },
    /// Different but workable: any licence for a licence, joint development or technical
    /// service for commissioned development.
    Compatible {
        /// The need's modes that the result's modes can serve.
        modes: Vec<TransferMode>,
    },
    /// One side names no mode.
    Unspecified,
    /// No mode in common.
    Different,
}

impl ModeFit {
    /// Score in 0..=1.
    pub fn score(&self) -> f32 {
        match self {
            Self::Shared { .. } => 1.0,
            Self::Compatible { .. } => 0.6,
            Self::Unspecified => 0.5,
            Self::Different => 0.0,
        }
    }

    /// Compares a need's wanted modes with a result's offered modes.
    pub fn of(need: &Profile, achievement: &Profile) -> Self {
        use TransferMode as M;
        if need.modes.is_empty() || achievement.modes.is_empty() {
            return Self::Unspecified;
        }
        let shared: Vec<M> = need
            .modes
            .iter()
            .copied()
            .filter(|m| achievement.modes.contains(m))
            .collect();
        if !shared.is_empty() {
            return Self::Shared { modes: shared };
        }
        let licence = |m: &M| {
            matches!(
                m,
                M::LicenseExclusive | M::LicenseSole | M::LicenseNonExclusive
            )
        };
        let serves = |want: &M| match want {
            w if licence(w) => achievement.modes.iter().any(licence),
            M::CommissionedDevelopment => achievement
                .modes
                .iter()
                .any(|m| matches!(m, M::JointDevelopment | M::TechnicalService)),
            _ => false,
        };
        let compatible: Vec<M> = need.modes.iter().copied().filter(serves).collect();
        if compatible.is_empty() {
            Self::Different
        } else {
            Self::Compatible { modes: compatible }
        }
    }
}

/// Every reason for one match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchReasons {
    /// Terms both use, heaviest first.
    pub shared_terms: Vec<SharedTerm>,
    /// Text similarity in 0..=1: the share of the source's key-term weight the candidate
    /// holds, blended with the absolute weight behind it (comparable across sources).
    pub text: f32,
    /// Industry / discipline.
    pub field: FieldFit,
    /// Maturity.
    pub trl: TrlFit,
    /// Region.
    pub region: RegionFit,
    /// Mode.
    pub mode: ModeFit,
    /// Disciplines inferred from the need's text (it names none), most likely first.
    #[serde(default)]
    pub inferred: Vec<InferredField>,
    /// The confidence of the inferred discipline the candidate is in (0: none).
    #[serde(default)]
    pub inferred_fit: f32,
}

/// A discipline inferred from a need's text, as a reason shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InferredField {
    /// First-level GB/T 13745 code.
    pub discipline: String,
    /// The model's confidence in 0..=1.
    pub confidence: f32,
}

impl MatchReasons {
    /// Compares a need with a result; `text` and `shared_terms` come from the index.
    pub fn compare(
        need: &Profile,
        achievement: &Profile,
        walk: &Crosswalk,
        inferred: &[Inferred],
        text: f32,
        shared_terms: Vec<SharedTerm>,
    ) -> Self {
        let inferred_fit = achievement.discipline.as_deref().map_or(0.0, |d| {
            inferred
                .iter()
                .find(|i| d.starts_with(i.discipline.as_str()))
                .map_or(0.0, |i| i.confidence)
        });
        Self {
            shared_terms,
            text,
            inferred_fit,
            field: FieldFit::of(need, achievement, walk, inferred),
            inferred: inferred
                .iter()
                .map(|i| InferredField {
                    discipline: i.discipline.clone(),
                    confidence: i.confidence,
                })
                .collect(),
            trl: TrlFit::of(need, achievement),
            region: RegionFit::of(need, achievement),
            mode: ModeFit::of(need, achievement),
        }
    }

    /// The industry/discipline score: the stated relation and the inferred one count as two
    /// pieces of evidence (`1 − (1 − stated)(1 − inferred)`), so a result both in a crosswalk
    /// discipline and in the discipline the text suggests ranks above one that is only one.
    pub fn field_score(&self) -> f32 {
        match self.field {
            FieldFit::InferredDiscipline { confidence, .. } => confidence.clamp(0.0, 1.0),
            ref stated => 1.0 - (1.0 - stated.score()) * (1.0 - self.inferred_fit.clamp(0.0, 1.0)),
        }
    }

    /// Whether a match with this score is presented as strong: at the evidence floor, and
    /// resting on shared words (a field, TRL, city and mode in common make a candidate worth a
    /// look, not a strong match).
    pub fn strong(&self, score: f32) -> bool {
        score >= crate::search::matching::EVIDENCE_FLOOR && self.text >= MIN_STRONG_TEXT
    }

    /// The match score in 0..=1.
    pub fn score(&self) -> f32 {
        let w = WEIGHTS;
        w.text * self.text
            + w.field * self.field_score()
            + w.trl * self.trl.score()
            + w.region * self.region.score()
            + w.mode * self.mode.score()
    }

    /// Sentences a person can read, in the order of the factors' weight.
    pub fn explain(&self) -> Vec<String> {
        let name = |table: &codes::CodeTable, code: &str| {
            table
                .get(code)
                .map(|e| format!("{code} {}", e.name))
                .unwrap_or_else(|| code.to_owned())
        };
        let mut out = Vec::new();
        if self.shared_terms.is_empty() {
            out.push("文本没有共同的关键词".to_owned());
        } else {
            let terms: Vec<String> = self
                .shared_terms
                .iter()
                .take(6)
                .map(|t| format!("{}（{:.0}%）", t.term, t.weight * 100.0))
                .collect();
            out.push(format!("共同关键词：{}", terms.join("、")));
        }
        out.push(match &self.field {
            FieldFit::SameDiscipline { discipline } => {
                format!("学科相同：{}", name(codes::disciplines(), discipline))
            }
            FieldFit::SameIndustry { division } => {
                format!("同属行业：{}", name(codes::industries(), division))
            }
            FieldFit::Crosswalk {
                division,
                discipline,
            } => format!(
                "行业与学科对口：{} ↔ {}",
                name(codes::industries(), division),
                name(codes::disciplines(), discipline)
            ),
            FieldFit::InferredDiscipline {
                discipline,
                confidence,
            } => format!(
                "学科与需求推断的学科相符：{}（{confidence:.2}）",
                name(codes::disciplines(), discipline)
            ),
            FieldFit::SameSection { section } => {
                format!("同属行业门类：{}", name(codes::industries(), section))
            }
            FieldFit::Unrelated => "行业与学科无直接关联".to_owned(),
        });
        if !self.inferred.is_empty() {
            let guesses: Vec<String> = self
                .inferred
                .iter()
                .map(|i| {
                    let label = codes::disciplines()
                        .get(&i.discipline)
                        .map_or(i.discipline.as_str(), |e| e.name.as_str());
                    format!("{label}（{:.2}）", i.confidence)
                })
                .collect();
            out.push(format!(
                "推断学科：{}（需求未填写学科，由文本推断）",
                guesses.join("、")
            ));
        }
        out.push(match &self.trl {
            TrlFit::Meets { have, want } => {
                format!("成熟度 TRL {have} 达到需求要求的 TRL {want}")
            }
            TrlFit::Below { have, want } => format!(
                "成熟度 TRL {have} 低于需求要求的 TRL {want}，还差 {} 级，排序靠后",
                want - have
            ),
            TrlFit::Unspecified => "需求未提出成熟度要求".to_owned(),
        });
        out.push(match &self.region {
            RegionFit::SameCity { city } => {
                format!("双方同在{}", name_only(codes::regions(), city))
            }
            RegionFit::SameProvince { province } => {
                format!("双方同在{}", name_only(codes::regions(), province))
            }
            RegionFit::Elsewhere => "双方不在同一省份".to_owned(),
            RegionFit::Unknown => "一方地区未公开".to_owned(),
        });
        let labels = |modes: &[TransferMode]| {
            modes
                .iter()
                .map(|m| m.label_zh())
                .collect::<Vec<_>>()
                .join("、")
        };
        out.push(match &self.mode {
            ModeFit::Shared { modes } => format!("合作方式一致：{}", labels(modes)),
            ModeFit::Compatible { modes } => format!("合作方式可协商：{}", labels(modes)),
            ModeFit::Unspecified => "一方未注明合作方式".to_owned(),
            ModeFit::Different => "合作方式不一致".to_owned(),
        });
        if !self.strong(self.score()) {
            out.push("匹配证据较弱：共同的关键词少，仅供参考".to_owned());
        }
        out
    }
}

fn name_only(table: &codes::CodeTable, code: &str) -> String {
    table
        .get(code)
        .map(|e| e.name.clone())
        .unwrap_or_else(|| code.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk() -> Crosswalk {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("index/crosswalk.tsv");
        Crosswalk::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn profile(industries: &[&str], discipline: Option<&str>, trl: Option<u8>) -> Profile {
        Profile {
            industries: industries.iter().map(|s| s.to_string()).collect(),
            discipline: discipline.map(str::to_owned),
            region: Some("370212".into()),
            trl,
            modes: vec![],
        }
    }

    #[test]
    fn a_c38_need_relates_to_electrical_engineering_and_materials_results() {
        let need = profile(&["C384"], None, Some(6));
        for discipline in ["47040", "43070"] {
            let result = profile(&[], Some(discipline), Some(7));
            assert!(matches!(
                FieldFit::of(&need, &result, &walk(), &[]),
                FieldFit::Crosswalk { .. }
            ));
        }
        let fisheries = profile(&[], Some("24020"), Some(7));
        assert_eq!(
            FieldFit::of(&need, &fisheries, &walk(), &[]),
            FieldFit::Unrelated
        );
    }

    #[test]
    fn a_field_trl_and_city_in_common_without_shared_words_is_no_strong_match() {
        let mut need = profile(&["C384"], Some("430"), Some(6));
        let mut result = profile(&["M73"], Some("43070"), Some(7));
        need.modes = vec![TransferMode::JointDevelopment];
        result.modes = vec![TransferMode::JointDevelopment];
        let shared = vec![SharedTerm {
            term: "技术".into(),
            weight: 0.02,
        }];
        let thin = MatchReasons::compare(&need, &result, &walk(), &[], 0.02, shared.clone());
        let score = thin.score();
        assert!(score >= crate::search::matching::EVIDENCE_FLOOR, "{score}");
        assert!(!thin.strong(score));
        let worded = MatchReasons::compare(&need, &result, &walk(), &[], 0.4, shared);
        assert!(worded.strong(worded.score()));
    }

    #[test]
    fn an_immature_result_ranks_lower_and_says_why() {
        let need = profile(&["C38"], Some("47040"), Some(6));
        let mature = profile(&["C38"], Some("47040"), Some(7));
        let early = profile(&["C38"], Some("47040"), Some(3));
        let good = MatchReasons::compare(&need, &mature, &walk(), &[], 0.5, vec![]);
        let weak = MatchReasons::compare(&need, &early, &walk(), &[], 0.5, vec![]);
        assert!(good.score() > weak.score());
        assert_eq!(weak.trl, TrlFit::Below { have: 3, want: 6 });
        assert!(
            weak.explain()
                .iter()
                .any(|s| s.contains("低于需求要求的 TRL 6"))
        );
        assert!(
            good.explain()
                .iter()
                .any(|s| s.contains("学科相同：47040 电气工程"))
        );
    }

    #[test]
    fn modes_regions_and_profiles_round_trip_through_the_index_encoding() {
        use TransferMode as M;
        let mut need = profile(&["C3841", "C39"], Some("47040"), Some(5));
        need.modes = vec![M::LicenseExclusive, M::CommissionedDevelopment];
        let mut result = profile(&[], None, None);
        result.modes = vec![M::JointDevelopment, M::LicenseNonExclusive];
        assert_eq!(
            ModeFit::of(&need, &result),
            ModeFit::Compatible {
                modes: vec![M::LicenseExclusive, M::CommissionedDevelopment]
            }
        );
        result.region = Some("370102".into());
        assert_eq!(
            RegionFit::of(&need, &result),
            RegionFit::SameProvince {
                province: "370000".into()
            }
        );
        let stored = Profile::from_index(
            need.division_numbers().into_iter(),
            Some(47040),
            Some(370212),
            Some(5),
            need.mode_bits(),
        );
        assert_eq!(stored.industries, ["C38", "C39"]);
        assert_eq!(stored.discipline.as_deref(), Some("47040"));
        assert_eq!(stored.region.as_deref(), Some("370212"));
        assert_eq!(stored.modes, need.modes);
    }
}
