//! The versioned search configuration in `index/`: version, dictionary and synonyms. Its
//! fingerprint is stored with the index; a different fingerprint means rebuild.

use anyhow::Context;
use sha2::{Digest, Sha256};
use std::path::Path;

/// Bumped when the document schema in code changes.
const SCHEMA_VERSION: u32 = 1;

/// The loaded configuration.
#[derive(Debug, Clone)]
pub struct IndexConfig {
    /// Operator-set version from `config.toml`.
    pub version: u32,
    /// Dictionary text (`word [freq] [tag]` lines).
    pub dictionary: String,
    /// Synonym groups.
    pub synonyms: String,
}

#[derive(serde::Deserialize)]
struct ConfigFile {
    version: u32,
    dictionary: String,
    synonyms: String,
}

impl IndexConfig {
    /// Loads `config.toml` and the files it names from `dir`.
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let path = dir.join("config.toml");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let file: ConfigFile =
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        let read = |name: &str| {
            std::fs::read_to_string(dir.join(name))
                .with_context(|| format!("reading {}", dir.join(name).display()))
        };
        Ok(Self {
            version: file.version,
            dictionary: read(&file.dictionary)?,
            synonyms: read(&file.synonyms)?,
        })
    }

    /// Identifies everything that shapes the index; any change means rebuild.
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        h.update(format!("schema={SCHEMA_VERSION};version={};", self.version));
        h.update(self.dictionary.as_bytes());
        h.update([0]);
        h.update(self.synonyms.as_bytes());
        hex::encode(&h.finalize()[..16])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_changes_with_version_dictionary_and_synonyms() {
        let base = IndexConfig {
            version: 1,
            dictionary: "钙钛矿".into(),
            synonyms: "thz, 太赫兹".into(),
        };
        let fp = base.fingerprint();
        assert_eq!(fp, base.clone().fingerprint());
        assert_ne!(
            fp,
            IndexConfig {
                version: 2,
                ..base.clone()
            }
            .fingerprint()
        );
        assert_ne!(
            fp,
            IndexConfig {
                dictionary: "钙钛矿\n固态电池".into(),
                ..base.clone()
            }
            .fingerprint()
        );
        assert_ne!(
            fp,
            IndexConfig {
                synonyms: String::new(),
                ..base
            }
            .fingerprint()
        );
    }

    #[test]
    fn the_shipped_configuration_loads() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("index");
        let cfg = IndexConfig::load(&dir).expect("index/ loads");
        assert!(cfg.dictionary.contains("钙钛矿"));
        assert!(cfg.synonyms.contains("太赫兹"));
    }
}
