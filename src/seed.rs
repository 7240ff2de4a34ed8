//! Demo data from `seeds/*.toml`, loaded through the same service calls as the API, so it passes
//! the same validation. Idempotent: organisations are recognised by credit code and listings by
//! their seed key, so a second run changes nothing.

use crate::domain::{ContractKind, ListingSource, PairingStatus, PriorityTrack};
use crate::service::accounts::RegisterInput;
use crate::service::actor::OrgRole;
use crate::service::listings::inputs::{AchievementInput, NeedInput, OrganizationInput};
use crate::service::listings::{Kind, ListingService};
use crate::service::pairings::{OpenPairing, PairingFilter, SignInput};
use crate::service::{Actor, Services, Window};
use anyhow::{Context, bail};
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;

#[derive(Deserialize)]
struct TrackFile {
    track: Vec<TrackSeed>,
}

#[derive(Deserialize)]
struct TrackSeed {
    code: String,
    name: String,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize)]
struct OrganizationFile {
    organization: Vec<OrganizationSeed>,
}

#[derive(Deserialize)]
struct OrganizationSeed {
    key: String,
    #[serde(default)]
    verified: bool,
    #[serde(flatten)]
    input: OrganizationInput,
}

#[derive(Deserialize)]
struct AccountFile {
    account: Vec<AccountSeed>,
}

#[derive(Deserialize)]
struct AccountSeed {
    #[serde(flatten)]
    input: RegisterInput,
    #[serde(default)]
    operator: bool,
    #[serde(default)]
    broker: bool,
    #[serde(default)]
    organization: Option<String>,
    #[serde(default)]
    role: Option<String>,
}

#[derive(Deserialize)]
struct AchievementFile {
    achievement: Vec<ListingSeed<AchievementInput>>,
}

#[derive(Deserialize)]
struct NeedFile {
    need: Vec<ListingSeed<NeedInput>>,
}

#[derive(Deserialize)]
struct ListingSeed<T> {
    key: String,
    owner: String,
    #[serde(flatten)]
    input: T,
}

#[derive(Deserialize)]
struct PairingFile {
    #[serde(default)]
    pairing: Vec<PairingSeed>,
}

#[derive(Deserialize)]
struct PairingSeed {
    key: String,
    /// `request` or `offer`.
    kind: String,
    /// Login of the person who opens it.
    by: String,
    achievement: String,
    need: Option<String>,
    message: String,
    #[serde(default)]
    steps: Vec<StepSeed>,
}

#[derive(Deserialize)]
struct StepSeed {
    by: String,
    action: String,
    text: Option<String>,
    contract: Option<ContractSeed>,
}

#[derive(Deserialize)]
struct ContractSeed {
    kind: ContractKind,
    amount_yuan: i64,
    registration_number: Option<String>,
}

/// What a seeding run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SeedReport {
    /// Tracks written.
    pub tracks: usize,
    /// Organisations created / already present.
    pub organizations: (usize, usize),
    /// Results created / already present.
    pub achievements: (usize, usize),
    /// Needs created / already present.
    pub needs: (usize, usize),
    /// Demo accounts created / already present.
    pub accounts: (usize, usize),
    /// Demo pairings carried through the workflow.
    pub pairings: usize,
}

impl fmt::Display for SeedReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "tracks {}; organizations {} created, {} present; achievements {} created, {} present; needs {} created, {} present; pairings {}",
            self.tracks,
            self.organizations.0,
            self.organizations.1,
            self.achievements.0,
            self.achievements.1,
            self.needs.0,
            self.needs.1,
            self.pairings
        )
    }
}

impl SeedReport {
    /// The report for people at the command line.
    pub fn zh(&self) -> String {
        format!(
            "演示数据：重点产业链 {} 条；机构新建 {}、已有 {}；成果新建 {}、已有 {}；需求新建 {}、已有 {}；账号新建 {}、已有 {}；牵手 {} 个",
            self.tracks,
            self.organizations.0,
            self.organizations.1,
            self.achievements.0,
            self.achievements.1,
            self.needs.0,
            self.needs.1,
            self.accounts.0,
            self.accounts.1,
            self.pairings
        )
    }
}

/// Whether no organisation exists yet (a fresh database).
pub async fn database_is_empty(services: &Services) -> anyhow::Result<bool> {
    let page = services
        .organizations
        .list(
            &Actor::System,
            &Default::default(),
            Window {
                first: Some(1),
                ..Default::default()
            },
        )
        .await?;
    Ok(page.total == 0)
}

/// Creates each seeded listing not created before (its key is its external id) and publishes
/// it when its owner is verified; `(created, already present)`.
async fn seed_listings<K: Kind>(
    listings: &ListingService<K>,
    services: &Services,
    actor: &Actor,
    org_ids: &HashMap<String, i32>,
    seeds: Vec<ListingSeed<K::Input>>,
    id_of: fn(&K::View) -> i32,
) -> anyhow::Result<(usize, usize)> {
    let (mut created, mut present) = (0, 0);
    let total = seeds.len();
    for (i, seed) in seeds.into_iter().enumerate() {
        let Some(&owner) = org_ids.get(&seed.owner) else {
            bail!("{} {}: unknown owner {}", K::NODE, seed.key, seed.owner)
        };
        let key = format!("seed:{}", seed.key);
        if listings
            .find_external(actor, ListingSource::Local, &key)
            .await?
            .is_some()
        {
            present += 1;
            continue;
        }
        let view = listings
            .create_from(actor, owner, &seed.input, ListingSource::Local, Some(key))
            .await
            .map_err(|e| anyhow::anyhow!("{} {}: {e:?}", K::NODE, seed.key))?;
        if services
            .organizations
            .get(actor, owner)
            .await?
            .is_some_and(|o| o.verified)
        {
            listings.publish(actor, id_of(&view)).await?;
        }
        created += 1;
        tracing::debug!(kind = K::NODE, done = i + 1, total, "seeding listings");
    }
    Ok((created, present))
}

fn read<T: serde::de::DeserializeOwned>(dir: &Path, name: &str) -> anyhow::Result<T> {
    let path = dir.join(name);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("读不到种子文件 {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("种子文件 {} 格式有误", path.display()))
}

/// Loads every seed file in `dir` as the system actor.
pub async fn load_dir(services: &Services, dir: &Path) -> anyhow::Result<SeedReport> {
    let actor = Actor::System;
    let mut report = SeedReport::default();

    let tracks: TrackFile = read(dir, "tracks.toml")?;
    for (i, t) in tracks.track.into_iter().enumerate() {
        let track = PriorityTrack {
            code: t.code,
            name: t.name,
            description: t.description,
            sort_order: i as i32,
            active: true,
        };
        services
            .tracks
            .upsert(&actor, track)
            .await
            .map_err(|e| anyhow::anyhow!("track: {e:?}"))?;
        report.tracks += 1;
    }

    let orgs: OrganizationFile = read(dir, "organizations.toml")?;
    let mut org_ids = HashMap::new();
    for seed in orgs.organization {
        let existing = services
            .organizations
            .find_by_credit_code(&actor, seed.input.credit_code.trim())
            .await?;
        let org = match existing {
            Some(org) => {
                report.organizations.1 += 1;
                org
            }
            None => {
                let created = services
                    .organizations
                    .create(&actor, &seed.input)
                    .await
                    .map_err(|e| anyhow::anyhow!("organization {}: {e:?}", seed.key))?;
                report.organizations.0 += 1;
                if seed.verified {
                    services
                        .organizations
                        .set_verified(&actor, created.id, true)
                        .await?
                } else {
                    created
                }
            }
        };
        org_ids.insert(seed.key, org.id);
    }

    let accounts: AccountFile = read(dir, "accounts.toml")?;
    for seed in accounts.account {
        let login = seed
            .input
            .email
            .clone()
            .or_else(|| seed.input.phone.clone())
            .unwrap_or_default();
        if services
            .accounts
            .find_by_login(&actor, &login)
            .await?
            .is_some()
        {
            report.accounts.1 += 1;
            continue;
        }
        let user = services
            .accounts
            .register_with_roles(&actor, &seed.input, seed.operator, seed.broker)
            .await
            .map_err(|e| anyhow::anyhow!("account {login}: {e:?}"))?;
        if let Some(org_key) = &seed.organization {
            let Some(&org) = org_ids.get(org_key) else {
                bail!("account {login}: unknown organization {org_key}")
            };
            let role = match seed.role.as_deref() {
                Some("ADMIN") => OrgRole::Admin,
                _ => OrgRole::Member,
            };
            services.members.assign(&actor, user.id, org, role).await?;
        }
        report.accounts.0 += 1;
    }

    let achievements: AchievementFile = read(dir, "achievements.toml")?;
    report.achievements = seed_listings(
        &services.achievements,
        services,
        &actor,
        &org_ids,
        achievements.achievement,
        |a| a.id,
    )
    .await?;
    let needs: NeedFile = read(dir, "needs.toml")?;
    report.needs = seed_listings(
        &services.needs,
        services,
        &actor,
        &org_ids,
        needs.need,
        |n| n.need.id,
    )
    .await?;

    if dir.join("pairings.toml").is_file() {
        report.pairings = load_pairings(services, dir).await?;
    }
    Ok(report)
}

/// Carries the demo pairings through the real workflow as the demo accounts, once: nothing
/// happens when any pairing exists.
async fn load_pairings(services: &Services, dir: &Path) -> anyhow::Result<usize> {
    let system = Actor::System;
    let existing = services
        .pairings
        .list(
            &system,
            &PairingFilter {
                statuses: PairingStatus::ALL.to_vec(),
                ..Default::default()
            },
            Window {
                first: Some(1),
                ..Default::default()
            },
        )
        .await?;
    if existing.total > 0 {
        return Ok(0);
    }
    let file: PairingFile = read(dir, "pairings.toml")?;
    let listing = |key: &str| format!("seed:{key}");
    for seed in &file.pairing {
        let what = |e: crate::error::ServiceError| anyhow::anyhow!("pairing {}: {e:?}", seed.key);
        let achievement = services
            .achievements
            .find_external(&system, ListingSource::Local, &listing(&seed.achievement))
            .await?
            .with_context(|| {
                format!(
                    "pairing {}: unknown achievement {}",
                    seed.key, seed.achievement
                )
            })?;
        let need = match &seed.need {
            Some(key) => Some(
                services
                    .needs
                    .find_external(&system, ListingSource::Local, &listing(key))
                    .await?
                    .with_context(|| format!("pairing {}: unknown need {key}", seed.key))?
                    .need
                    .id,
            ),
            None => None,
        };
        let by = services
            .accounts
            .act_as(&system, &seed.by)
            .await
            .map_err(what)?;
        let input = OpenPairing {
            achievement_id: achievement.id,
            need_id: need,
            message: seed.message.clone(),
        };
        let opened = match seed.kind.as_str() {
            "request" => services.pairings.request(&by, input).await,
            "offer" => services.pairings.offer(&by, input).await,
            other => bail!("pairing {}: unknown kind {other}", seed.key),
        }
        .map_err(what)?;
        let id = opened.pairing.id;
        for step in &seed.steps {
            let by = services
                .accounts
                .act_as(&system, &step.by)
                .await
                .map_err(what)?;
            let text = step.text.as_deref().unwrap_or_default();
            let p = &services.pairings;
            match step.action.as_str() {
                "take" => p.take(&by, id).await,
                "agree" => p.agree(&by, id).await,
                "negotiate" => p.negotiate(&by, id).await,
                "note" => p.note(&by, id, text, false).await,
                "decline" => p.decline(&by, id, text).await,
                "sign" => {
                    let c = step
                        .contract
                        .as_ref()
                        .with_context(|| format!("pairing {}: sign needs a contract", seed.key))?;
                    let today = services.context().clock.now().date_naive();
                    p.sign(
                        &by,
                        id,
                        SignInput {
                            kind: c.kind,
                            amount_yuan: c.amount_yuan,
                            signed_on: today,
                            registration_number: c.registration_number.clone(),
                            mark_transferred: false,
                        },
                    )
                    .await
                }
                other => bail!("pairing {}: unknown step {other}", seed.key),
            }
            .map_err(what)?;
        }
    }
    Ok(file.pairing.len())
}
