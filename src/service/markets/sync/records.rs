//! A market record as listing input: prices, patents, and the fields of a result or a need.

use crate::connectors::RemoteListing;
use crate::domain::{MaturityStage, NeedVisibility};
use crate::service::listings::inputs::{AchievementInput, IpInput, NeedInput, PriceInput};

fn price(r: &RemoteListing) -> Option<PriceInput> {
    r.price_yuan.map(|p| PriceInput {
        min: Some(p),
        max: Some(p),
    })
}

/// Patent numbers that are valid Chinese patent numbers; others are dropped (they are in the
/// stored record and reported as unmapped by the connector's caller).
pub(super) fn patents(r: &RemoteListing) -> Vec<IpInput> {
    r.patents
        .iter()
        .filter_map(|raw| IpInput::patent(raw, "ip").ok())
        .collect()
}

pub(super) fn achievement_input(r: &RemoteListing) -> Result<AchievementInput, String> {
    let trl = r
        .trl
        .ok_or_else(|| "缺少可识别的技术成熟度（TRL），无法导入成果".to_owned())?;
    Ok(AchievementInput {
        title: r.title.clone(),
        summary: r.text.clone(),
        confidential_detail: None,
        keywords: r.keywords.iter().take(10).cloned().collect(),
        application_fields: String::new(),
        advantages: String::new(),
        requirements: String::new(),
        discipline: r.discipline.clone().unwrap_or_default(),
        industries: r.industries.clone(),
        trl,
        maturity: MaturityStage::typical_at(trl),
        transfer_modes: r
            .modes
            .iter()
            .copied()
            .filter(|m| m.offered_by_achievements())
            .collect(),
        price: price(r),
        team_lead: String::new(),
        inventors: Vec::new(),
        registration_number: None,
        tracks: Vec::new(),
        ip: patents(r),
    })
}

pub(super) fn need_input(r: &RemoteListing) -> NeedInput {
    NeedInput {
        title: r.title.clone(),
        problem: r.text.clone(),
        requirements: String::new(),
        confidential_detail: None,
        keywords: r.keywords.iter().take(10).cloned().collect(),
        industries: r.industries.clone(),
        discipline: r.discipline.clone(),
        min_trl: r.trl,
        cooperation_modes: r.modes.clone(),
        budget: price(r),
        deadline: None,
        visibility: NeedVisibility::Public,
        tracks: Vec::new(),
    }
}
