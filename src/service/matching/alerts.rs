//! Telling people about new listings: a new stored match above the threshold goes to both
//! listings' owners, and a newly indexed listing that a saved search finds goes to the person
//! who saved it. The saved searches run before the stored-matches job's transaction opens (they
//! only read); the alerts are stored inside it, so each is stored once, together with the
//! job's cursor.

use crate::db::entities::user;
use crate::db::listings;
use crate::db::matches::NewMatch;
use crate::db::notifications::{self as inbox, SavedSearchRow};
use crate::db::outbox::ListingKind;
use crate::domain::{Achievement, Need};
use crate::domain::{NeedVisibility, NotificationKind};
use crate::error::ServiceResult;
use crate::search::index::{DocKind, SearchIndex, Visibility};
use crate::service::accounts::user_actor;
use crate::service::notifications::{Notification, Outgoing, stage};
use crate::service::policy;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use std::collections::{HashMap, HashSet};

/// Announces the pairs in `stored` that were not stored before and score at least
/// `threshold`: to the need's owner, and to the result's owner unless the need is confidential
/// (a confidential need is never announced to an outsider).
pub(crate) async fn announce_new_matches(
    txn: &DatabaseTransaction,
    stored: &[NewMatch],
    before: &HashSet<(i32, i32)>,
    threshold: f64,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<Notification>> {
    let mut sent = Vec::new();
    for m in stored
        .iter()
        .filter(|m| m.score >= threshold && !before.contains(&(m.need_id, m.achievement_id)))
    {
        let (Some(need), Some(achievement)) = (
            listings::find::<Need, _>(txn, m.need_id).await?,
            listings::find::<Achievement, _>(txn, m.achievement_id).await?,
        ) else {
            continue;
        };
        let percent = (m.score * 100.0).round();
        let firm = inbox::members_of(txn, &[need.owner_id]).await?;
        sent.extend(
            stage(
                txn,
                &firm,
                Outgoing {
                    kind: NotificationKind::NewMatch,
                    title: format!("需求“{}”有新的匹配成果", need.title),
                    body: format!("成果“{}”与你的需求匹配度 {percent}%", achievement.title),
                    pairing_id: None,
                    listing: Some((ListingKind::Achievement, achievement.id)),
                    event_key: Some(format!("new-match:{}:{}:need", need.id, achievement.id)),
                },
                now,
            )
            .await?,
        );
        if need.visibility != NeedVisibility::Confidential {
            let owner = inbox::members_of(txn, &[achievement.owner_id]).await?;
            sent.extend(
                stage(
                    txn,
                    &owner,
                    Outgoing {
                        kind: NotificationKind::NewMatch,
                        title: format!("成果“{}”有新的匹配需求", achievement.title),
                        body: format!("需求“{}”与你的成果匹配度 {percent}%", need.title),
                        pairing_id: None,
                        listing: Some((ListingKind::Need, need.id)),
                        event_key: Some(format!(
                            "new-match:{}:{}:achievement",
                            need.id, achievement.id
                        )),
                    },
                    now,
                )
                .await?,
            );
        }
    }
    Ok(sent)
}

/// A live listing the job just indexed.
pub(crate) struct Indexed {
    pub kind: DocKind,
    pub id: i32,
    pub owner_id: i32,
    pub title: String,
}

/// A listing that a saved search found among those just indexed.
pub(crate) struct SavedSearchHit<'a> {
    search: &'a SavedSearchRow,
    kind: DocKind,
    id: i32,
    title: &'a str,
}

/// Runs every saved search over the listings just indexed, with its owner's visibility
/// (never their own organisation's listings). Reads only, so it runs before the job's write
/// transaction opens: the owners in one statement, then one index query per search.
pub(crate) async fn find_saved_search_hits<'a>(
    db: &impl ConnectionTrait,
    index: &SearchIndex,
    searches: &'a [SavedSearchRow],
    indexed: &'a [Indexed],
    now: DateTime<Utc>,
) -> ServiceResult<Vec<SavedSearchHit<'a>>> {
    let mut hits = Vec::new();
    if indexed.is_empty() || searches.is_empty() {
        return Ok(hits);
    }
    let owners: HashMap<i32, user::Model> = user::Entity::find()
        .filter(user::Column::Id.is_in(searches.iter().map(|s| s.user_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    for search in searches {
        let Some(owner) = owners.get(&search.user_id) else {
            continue;
        };
        let actor = user_actor(owner, 0);
        let kind = match search.kind.as_deref() {
            Some("need") => Some(DocKind::Need),
            Some(_) => Some(DocKind::Achievement),
            None => None,
        };
        let candidates: Vec<(DocKind, i32)> = indexed
            .iter()
            .filter(|d| Some(d.owner_id) != owner.organization_id)
            .filter(|d| kind.is_none_or(|k| k == d.kind))
            .map(|d| (d.kind, d.id))
            .collect();
        let visibility = Visibility {
            need_visibilities: policy::listable_need_visibilities(&actor),
            own_org: actor.organization_id(),
        };
        let found = match index.matching_among(
            &search.query,
            kind,
            &visibility,
            now.timestamp(),
            &candidates,
        ) {
            Ok(found) => found,
            Err(err) => {
                tracing::warn!(saved_search = search.id, error = %err, "saved search cannot run");
                continue;
            }
        };
        hits.extend(found.into_iter().map(|(kind, id)| {
            SavedSearchHit {
                search,
                kind,
                id,
                title: indexed
                    .iter()
                    .find(|d| d.kind == kind && d.id == id)
                    .map_or("", |d| d.title.as_str()),
            }
        }));
    }
    Ok(hits)
}

/// Tells each hit's owner about it, once per saved search and listing.
pub(crate) async fn announce_saved_search_hits(
    txn: &DatabaseTransaction,
    hits: &[SavedSearchHit<'_>],
    now: DateTime<Utc>,
) -> ServiceResult<Vec<Notification>> {
    let mut sent = Vec::new();
    for SavedSearchHit {
        search,
        kind,
        id,
        title,
    } in hits
    {
        let (listing_kind, what) = match kind {
            DocKind::Achievement => (ListingKind::Achievement, "科技成果"),
            DocKind::Need => (ListingKind::Need, "技术需求"),
        };
        if !inbox::record_hit(txn, search.id, listing_kind.as_str(), *id).await? {
            continue;
        }
        sent.extend(
            stage(
                txn,
                &[search.user_id],
                Outgoing {
                    kind: NotificationKind::SavedSearch,
                    title: format!("订阅“{}”有新{what}", search.name),
                    body: format!("新{what}“{title}”符合你订阅的检索“{}”", search.query),
                    pairing_id: None,
                    listing: Some((listing_kind, *id)),
                    event_key: Some(format!(
                        "saved-search:{}:{}:{id}",
                        search.id,
                        listing_kind.as_str()
                    )),
                },
                now,
            )
            .await?,
        );
    }
    Ok(sent)
}
