//! National code tables shipped with the binary: GB/T 4754-2017 industries, GB/T 13745-2009
//! disciplines and GB/T 2260 divisions.
//!
//! The tables are tab-separated files next to this module, compiled in with `include_str!` and
//! parsed once on first use. Each row is `code \t name \t parent`.

use std::collections::HashMap;
use std::sync::OnceLock;

/// One entry of a code table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeEntry {
    /// The code as displayed (industries carry their 门类 letter, e.g. `C384`).
    pub code: String,
    /// The Chinese name from the standard.
    pub name: String,
    /// The parent code, if any.
    pub parent: Option<String>,
}

/// A parsed code table with lookup by code.
#[derive(Debug)]
pub struct CodeTable {
    entries: Vec<CodeEntry>,
    by_code: HashMap<String, usize>,
}

impl CodeTable {
    fn parse(text: &str) -> Self {
        let entries: Vec<CodeEntry> = text
            .lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .map(|line| {
                let mut cols = line.split('\t');
                let code = cols.next().unwrap_or_default().to_owned();
                let name = cols.next().unwrap_or_default().to_owned();
                let parent = cols.next().filter(|p| !p.is_empty()).map(str::to_owned);
                CodeEntry { code, name, parent }
            })
            .collect();
        let by_code = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.code.clone(), i))
            .collect();
        Self { entries, by_code }
    }

    /// The entry for `code`, if the standard has it.
    pub fn get(&self, code: &str) -> Option<&CodeEntry> {
        self.by_code.get(code).map(|&i| &self.entries[i])
    }

    /// Whether the standard has `code`.
    pub fn contains(&self, code: &str) -> bool {
        self.by_code.contains_key(code)
    }

    /// All entries in the standard's order.
    pub fn entries(&self) -> &[CodeEntry] {
        &self.entries
    }

    /// The entry and its ancestors, nearest first.
    pub fn lineage(&self, code: &str) -> Vec<&CodeEntry> {
        let mut out = Vec::new();
        let mut next = self.get(code);
        while let Some(entry) = next {
            out.push(entry);
            next = entry.parent.as_deref().and_then(|p| self.get(p));
        }
        out
    }

    /// The code's lineage as a facet path under `root`, root first (`/discipline/430/43020`),
    /// as listings are indexed; `None` for a code the table lacks.
    pub fn facet_path(&self, root: &str, code: &str) -> Option<String> {
        let mut chain: Vec<&str> = self.lineage(code).iter().map(|e| e.code.as_str()).collect();
        chain.reverse();
        (!chain.is_empty()).then(|| format!("/{root}/{}", chain.join("/")))
    }
}

/// GB/T 4754-2017 国民经济行业分类, all four levels, display codes (`C`, `C38`, `C384`, `C3841`).
pub fn industries() -> &'static CodeTable {
    static TABLE: OnceLock<CodeTable> = OnceLock::new();
    TABLE.get_or_init(|| CodeTable::parse(include_str!("industries.tsv")))
}

/// GB/T 13745-2009 学科分类与代码, first level (3 digits) and second level (5 digits).
pub fn disciplines() -> &'static CodeTable {
    static TABLE: OnceLock<CodeTable> = OnceLock::new();
    TABLE.get_or_init(|| CodeTable::parse(include_str!("disciplines.tsv")))
}

/// GB/T 2260 county-level-and-above divisions in use at 2024-12-31.
pub fn regions() -> &'static CodeTable {
    static TABLE: OnceLock<CodeTable> = OnceLock::new();
    TABLE.get_or_init(|| CodeTable::parse(include_str!("regions.tsv")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn industry_table_has_all_four_levels_with_letters() {
        let t = industries();
        assert_eq!(t.entries().len(), 1971);
        assert_eq!(
            t.get("C38").map(|e| e.name.as_str()),
            Some("电气机械和器材制造业")
        );
        let lineage: Vec<_> = t.lineage("C3841").iter().map(|e| e.code.as_str()).collect();
        assert_eq!(lineage, ["C3841", "C384", "C38", "C"]);
    }

    #[test]
    fn discipline_and_region_tables_load() {
        assert_eq!(
            disciplines().get("430").map(|e| e.name.as_str()),
            Some("材料科学")
        );
        assert_eq!(disciplines().entries().len(), 799);
        assert_eq!(
            regions().get("370212").map(|e| e.name.as_str()),
            Some("崂山区")
        );
        assert_eq!(
            regions().get("370212").and_then(|e| e.parent.as_deref()),
            Some("370200")
        );
    }
}
