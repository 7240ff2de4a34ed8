//! The crosswalk between GB/T 4754 industry divisions (大类) and GB/T 13745 disciplines, read
//! from `index/crosswalk.tsv`. Matching uses it to relate a firm's industry to a university's
//! discipline: a need in `C38` finds results in 电气工程 and 材料科学.

use crate::codes;
use std::collections::HashMap;

/// Division (`C38`) → related discipline codes, closest first.
#[derive(Debug, Clone, Default)]
pub struct Crosswalk {
    by_division: HashMap<String, Vec<String>>,
}

impl Crosswalk {
    /// Parses the file. Every code must exist in the national tables: an unknown code is an
    /// error naming its line, never skipped.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let mut by_division: HashMap<String, Vec<String>> = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (division, disciplines) = line
                .split_once('\t')
                .ok_or_else(|| anyhow::anyhow!("crosswalk line {}: expected a tab", n + 1))?;
            let division = division.trim();
            if division.len() != 3 || !codes::industries().contains(division) {
                anyhow::bail!(
                    "crosswalk line {}: {division} is not a GB/T 4754 division",
                    n + 1
                );
            }
            let list = by_division.entry(division.to_owned()).or_default();
            for code in disciplines.split_whitespace() {
                if !codes::disciplines().contains(code) {
                    anyhow::bail!(
                        "crosswalk line {}: {code} is not a GB/T 13745 discipline",
                        n + 1
                    );
                }
                list.push(code.to_owned());
            }
        }
        Ok(Self { by_division })
    }

    /// The first crosswalk entry of `industry`'s division that `discipline` falls under (or that
    /// falls under `discipline`), if any.
    pub fn relate(&self, industry: &str, discipline: &str) -> Option<&str> {
        let division = division_of(industry)?;
        let related = self.by_division.get(division)?;
        related
            .iter()
            .find(|code| discipline.starts_with(code.as_str()) || code.starts_with(discipline))
            .map(String::as_str)
    }

    /// The disciplines related to `industry`'s division, closest first (empty when the
    /// division is not listed).
    pub fn disciplines(&self, industry: &str) -> &[String] {
        division_of(industry)
            .and_then(|d| self.by_division.get(d))
            .map_or(&[], Vec::as_slice)
    }

    /// The divisions related to `discipline` (the reverse map), in code order.
    pub fn divisions_for(&self, discipline: &str) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .by_division
            .iter()
            .filter(|(_, related)| {
                related.iter().any(|code| {
                    discipline.starts_with(code.as_str()) || code.starts_with(discipline)
                })
            })
            .map(|(division, _)| division.as_str())
            .collect();
        out.sort_unstable();
        out
    }

    /// Divisions listed.
    pub fn len(&self) -> usize {
        self.by_division.len()
    }

    /// Whether nothing is listed.
    pub fn is_empty(&self) -> bool {
        self.by_division.is_empty()
    }
}

/// The division (`C38`) of an industry code at division level or below (`C384`, `C3841`).
pub fn division_of(industry: &str) -> Option<&str> {
    (industry.len() >= 3 && industry.is_char_boundary(3)).then(|| &industry[..3])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_crosswalk_uses_only_national_codes_and_relates_c38_to_electrical_and_materials()
    {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("index/crosswalk.tsv");
        let walk = Crosswalk::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert!(walk.len() > 40);
        assert_eq!(walk.relate("C384", "47040"), Some("47040"), "电气工程");
        assert_eq!(
            walk.relate("C38", "43070"),
            Some("430"),
            "纳米材料 under 材料科学"
        );
        assert_eq!(walk.relate("C3841", "430"), Some("430"), "材料科学");
        assert_eq!(walk.relate("C38", "240"), None, "水产学 is unrelated");
    }

    fn shipped() -> Crosswalk {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("index/crosswalk.tsv");
        Crosswalk::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn every_manufacturing_division_relates_to_its_natural_disciplines() {
        let walk = shipped();
        // Every division C13–C43 in GB/T 4754 has at least two related disciplines.
        let manufacturing: Vec<&str> = codes::industries()
            .entries()
            .iter()
            .map(|e| e.code.as_str())
            .filter(|c| c.len() == 3 && c.starts_with('C'))
            .collect();
        assert_eq!(manufacturing.len(), 31, "C13–C43");
        for division in manufacturing {
            let related = walk.disciplines(division);
            let distinct: std::collections::HashSet<&String> = related.iter().collect();
            assert!(distinct.len() >= 2, "{division}: {related:?}");
        }
        // Pairs any reader of the two standards expects (issue #20 found some missing).
        for (division, discipline) in [
            ("C27", "350"),   // 医药 ↔ 药学
            ("C27", "360"),   // 医药 ↔ 中医学与中药学
            ("C27", "18037"), // 生物药品 ↔ 分子生物学
            ("C33", "460"),   // 金属制品 ↔ 机械工程
            ("C34", "460"),   // 通用设备 ↔ 机械工程
            ("C34", "13015"), // 通用设备 ↔ 固体力学
            ("C34", "41310"), // 通用设备 ↔ 控制科学与技术
            ("C35", "460"),   // 专用设备 ↔ 机械工程
            ("C35", "130"),   // 专用设备 ↔ 力学
            ("C35", "41310"), // 专用设备 ↔ 控制科学与技术
            ("C35", "41660"), // 医疗设备 ↔ 生物医学工程
            ("C36", "580"),   // 汽车 ↔ 交通运输工程
            ("C37", "580"),   // 运输设备 ↔ 交通运输工程
            ("C37", "58050"), // 船舶 ↔ 船舶、舰船工程
            ("C37", "590"),   // 航空航天器 ↔ 航空、航天科学技术
            ("C37", "41630"), // 海洋工程装备 ↔ 海洋工程与技术
            ("C38", "470"),   // 电气机械 ↔ 动力与电气工程
            ("C38", "47040"), // 电气机械 ↔ 电气工程
            ("C38", "510"),   // 电气机械 ↔ 电子与通信技术
            ("C39", "510"),   // 电子设备 ↔ 电子与通信技术
            ("C39", "520"),   // 计算机 ↔ 计算机科学技术
            ("C39", "41620"), // 光电子器件 ↔ 光学工程
            ("C40", "53510"), // 仪器仪表 ↔ 仪器仪表技术
            ("C40", "14030"), // 光学仪器 ↔ 光学
            ("C40", "41310"), // 自动控制装置 ↔ 控制科学与技术
            ("C41", "490"),   // 核辐射加工 ↔ 核科学技术
            ("C42", "61030"), // 废弃资源利用 ↔ 环境工程
            ("C43", "460"),   // 设备修理 ↔ 机械工程
        ] {
            assert!(
                walk.relate(division, discipline).is_some(),
                "{division} ↔ {discipline}"
            );
        }
        // Relations the review removed as wrong.
        for (division, discipline) in [
            ("A01", "23010"), // 种植业 is not animal science
            ("B07", "53051"), // extraction is not refining (C25)
            ("B06", "53047"), // mining is not coal chemistry (C25/C26)
            ("C42", "43020"), // recycling is not corrosion and failure
            ("C38", "24020"), // 电气 is not aquaculture
        ] {
            assert_eq!(
                walk.relate(division, discipline),
                None,
                "{division} ↔ {discipline}"
            );
        }
        // The reverse map serves matching from a result's discipline.
        let mechanical = walk.divisions_for("46025");
        for division in ["C33", "C34", "C35", "C36", "C37", "C43"] {
            assert!(mechanical.contains(&division), "{mechanical:?}");
        }
    }

    #[test]
    fn unknown_codes_are_errors_not_guesses() {
        assert!(Crosswalk::parse("C38\t99999").is_err());
        assert!(Crosswalk::parse("Z99\t430").is_err());
        assert!(Crosswalk::parse("C38 430").is_err());
    }
}
