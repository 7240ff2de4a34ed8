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

    #[test]
    fn unknown_codes_are_errors_not_guesses() {
        assert!(Crosswalk::parse("C38\t99999").is_err());
        assert!(Crosswalk::parse("Z99\t430").is_err());
        assert!(Crosswalk::parse("C38 430").is_err());
    }
}
