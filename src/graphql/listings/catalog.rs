//! The vocabularies a listing form offers: priority tracks and the national code tables
//! (industries, disciplines, regions) and the TRL scale.

use crate::codes;
use crate::graphql::errors::ResultExt;
use crate::graphql::types::common::{CodeRef, PriorityTrack, TrlLevel};
use crate::service::Services;
use async_graphql::{Context, Object, Result};

/// Code-table and priority-track queries.
#[derive(Default)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    /// The city's priority tracks (operator-editable).
    async fn priority_tracks(&self, ctx: &Context<'_>) -> Result<Vec<PriorityTrack>> {
        let services = ctx.data::<Services>()?;
        Ok(services
            .tracks
            .list()
            .await
            .gql()?
            .into_iter()
            .map(PriorityTrack::from)
            .collect())
    }

    /// GB/T 4754-2017 industries under `parent` (门类 letters when absent).
    async fn industry_codes(&self, parent: Option<String>) -> Vec<CodeRef> {
        children(codes::industries(), parent.as_deref())
    }

    /// GB/T 13745-2009 disciplines under `parent` (一级 when absent).
    async fn discipline_codes(&self, parent: Option<String>) -> Vec<CodeRef> {
        children(codes::disciplines(), parent.as_deref())
    }

    /// GB/T 2260 divisions under `parent` (provinces when absent).
    async fn region_codes(&self, parent: Option<String>) -> Vec<CodeRef> {
        children(codes::regions(), parent.as_deref())
    }

    /// The nine technology readiness levels of GB/T 22900.
    async fn trl_levels(&self) -> Vec<TrlLevel> {
        (1..=9).map(TrlLevel::new).collect()
    }
}

fn children(table: &codes::CodeTable, parent: Option<&str>) -> Vec<CodeRef> {
    let parent = parent.map(|p| p.trim().to_ascii_uppercase());
    table
        .entries()
        .iter()
        .filter(|e| e.parent.as_deref() == parent.as_deref())
        .map(|e| CodeRef {
            code: e.code.clone(),
            name: e.name.clone(),
            parent: e.parent.clone(),
        })
        .collect()
}
