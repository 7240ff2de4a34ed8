//! The inbox, its live stream (a GraphQL subscription over graphql-transport-ws) and saved
//! searches.

use crate::db::outbox::ListingKind;
use crate::domain::NotificationKind;
use crate::graphql::errors::{ResultExt, UserError, split};
use crate::graphql::ids::{self, GlobalId, NodeType};
use crate::graphql::types::connection::{Parts, connection, edge, forward};
use crate::service::notifications::{Notification as Record, SavedSearch as SavedRecord};
use crate::service::{Actor, Services};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};

/// Which listings a saved search watches.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum WatchedKind {
    /// Research results.
    Achievement,
    /// Technology needs.
    Need,
}

/// A message in your inbox.
#[derive(SimpleObject, Clone)]
pub struct Notification {
    /// Global id; the last one you saw, given as `afterId`, resumes the stream.
    pub id: GlobalId,
    /// What it is about.
    pub kind: NotificationKind,
    /// Short title.
    pub title: String,
    /// Text.
    pub body: String,
    /// The pairing, if about one.
    pub pairing_id: Option<GlobalId>,
    /// The research result, if about one.
    pub achievement_id: Option<GlobalId>,
    /// The need, if about one.
    pub need_id: Option<GlobalId>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Read.
    pub read_at: Option<DateTime<Utc>>,
}

impl From<Record> for Notification {
    fn from(n: Record) -> Self {
        let (achievement_id, need_id) = match n.listing {
            Some((ListingKind::Achievement, id)) => {
                (Some(ids::encode(NodeType::Achievement, id)), None)
            }
            Some((ListingKind::Need, id)) => (None, Some(ids::encode(NodeType::Need, id))),
            None => (None, None),
        };
        Self {
            id: ids::encode(NodeType::Notification, n.id),
            kind: n.kind,
            title: n.title,
            body: n.body,
            pairing_id: n.pairing_id.map(|id| ids::encode(NodeType::Pairing, id)),
            achievement_id,
            need_id,
            created_at: n.created_at,
            read_at: n.read_at,
        }
    }
}

edge!(NotificationEdge, Notification, "notification");
connection!(NotificationConnection, NotificationEdge, "your inbox, newest first", {
    /// Unread notifications in total, whatever `unreadOnly` says.
    unread_count: i64,
});

/// A search you are told about when new listings match it.
#[derive(SimpleObject)]
pub struct SavedSearch {
    /// Global id.
    pub id: GlobalId,
    /// Your name for it.
    pub name: String,
    /// The words.
    pub query: String,
    /// Results, needs, or both (null).
    pub kind: Option<WatchedKind>,
    /// Saved.
    pub created_at: DateTime<Utc>,
}

edge!(SavedSearchEdge, SavedSearch, "saved search");
connection!(
    SavedSearchConnection,
    SavedSearchEdge,
    "your saved searches, oldest first"
);

impl From<SavedRecord> for SavedSearch {
    fn from(s: SavedRecord) -> Self {
        Self {
            id: ids::encode(NodeType::SavedSearch, s.id),
            name: s.name,
            query: s.query,
            kind: s.kind.map(|k| match k {
                ListingKind::Achievement => WatchedKind::Achievement,
                ListingKind::Need => WatchedKind::Need,
            }),
            created_at: s.created_at,
        }
    }
}

/// Inbox queries.
#[derive(Default)]
pub struct NotificationQuery;

#[Object]
impl NotificationQuery {
    /// Your inbox, newest first.
    #[graphql(
        complexity = "crate::graphql::limits::list_cost(first, None, 20, 100, child_complexity)"
    )]
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(default)] unread_only: bool,
    ) -> Result<NotificationConnection> {
        let (services, actor) = (ctx.data::<Services>()?, ctx.data::<Actor>()?);
        let (page, unread) = services
            .notifications
            .inbox(actor, unread_only, forward(first, after)?)
            .await
            .gql()?;
        Ok(NotificationConnection::new(
            Parts::of_nodes(page, Notification::from),
            i64::try_from(unread).unwrap_or(i64::MAX),
        ))
    }

    /// Your saved searches, oldest first.
    #[graphql(
        complexity = "crate::graphql::limits::list_cost(first, None, 20, 100, child_complexity)"
    )]
    async fn saved_searches(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<SavedSearchConnection> {
        let (services, actor) = (ctx.data::<Services>()?, ctx.data::<Actor>()?);
        let page = services
            .notifications
            .saved_searches(actor, forward(first, after)?)
            .await
            .gql()?;
        Ok(SavedSearchConnection::new(Parts::of_nodes(
            page,
            SavedSearch::from,
        )))
    }
}

/// Marks notifications read.
#[derive(InputObject)]
pub struct MarkNotificationsReadInput {
    /// These; omit to mark every notification read.
    pub ids: Option<Vec<ID>>,
}

/// Result of `markNotificationsRead`.
#[derive(SimpleObject)]
pub struct MarkNotificationsReadPayload {
    /// How many changed.
    pub updated: i64,
    /// What was wrong.
    pub user_errors: Vec<UserError>,
}

/// Saves a search.
#[derive(InputObject)]
pub struct SaveSearchInput {
    /// Your name for it.
    pub name: String,
    /// The words, as typed into search.
    pub query: String,
    /// Results or needs; omit for both.
    pub kind: Option<WatchedKind>,
}

/// Result of `saveSearch`.
#[derive(SimpleObject)]
pub struct SaveSearchPayload {
    /// The saved search.
    pub saved_search: Option<SavedSearch>,
    /// What was wrong.
    pub user_errors: Vec<UserError>,
}

/// Deletes a saved search.
#[derive(InputObject)]
pub struct DeleteSavedSearchInput {
    /// Which.
    pub id: ID,
}

/// Result of `deleteSavedSearch`.
#[derive(SimpleObject)]
pub struct DeleteSavedSearchPayload {
    /// Whether it was deleted.
    pub deleted: bool,
    /// What was wrong.
    pub user_errors: Vec<UserError>,
}

/// Inbox mutations.
#[derive(Default)]
pub struct NotificationMutation;

#[Object]
impl NotificationMutation {
    /// Marks your notifications read: the given ones, or all. Ids that are not yours are
    /// ignored without an error (saying so would tell whose they are); `updated` counts only
    /// yours that were unread.
    async fn mark_notifications_read(
        &self,
        ctx: &Context<'_>,
        input: MarkNotificationsReadInput,
    ) -> Result<MarkNotificationsReadPayload> {
        let (services, actor) = (ctx.data::<Services>()?, ctx.data::<Actor>()?);
        let r = async {
            let ids = input
                .ids
                .map(|ids| {
                    ids.iter()
                        .map(|id| ids::IdCodec::of(ctx).decode(id, NodeType::Notification))
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()?;
            services.notifications.mark_read(actor, ids).await
        }
        .await;
        let (updated, user_errors) = split(r)?;
        Ok(MarkNotificationsReadPayload {
            updated: updated.unwrap_or(0) as i64,
            user_errors,
        })
    }

    /// Saves a search; new listings that match it arrive in your inbox.
    async fn save_search(
        &self,
        ctx: &Context<'_>,
        input: SaveSearchInput,
    ) -> Result<SaveSearchPayload> {
        let (services, actor) = (ctx.data::<Services>()?, ctx.data::<Actor>()?);
        let kind = input.kind.map(|k| match k {
            WatchedKind::Achievement => ListingKind::Achievement,
            WatchedKind::Need => ListingKind::Need,
        });
        let r = services
            .notifications
            .save_search(actor, &input.name, &input.query, kind)
            .await;
        let (saved, user_errors) = split(r)?;
        Ok(SaveSearchPayload {
            saved_search: saved.map(SavedSearch::from),
            user_errors,
        })
    }

    /// Deletes one of your saved searches.
    async fn delete_saved_search(
        &self,
        ctx: &Context<'_>,
        input: DeleteSavedSearchInput,
    ) -> Result<DeleteSavedSearchPayload> {
        let (services, actor) = (ctx.data::<Services>()?, ctx.data::<Actor>()?);
        let r = async {
            let id = ids::IdCodec::of(ctx).decode(&input.id, NodeType::SavedSearch)?;
            services.notifications.delete_saved_search(actor, id).await
        }
        .await;
        let (done, user_errors) = split(r)?;
        Ok(DeleteSavedSearchPayload {
            deleted: done.is_some(),
            user_errors,
        })
    }
}

/// The subscription root.
#[derive(Default)]
pub struct SubscriptionRoot;

#[Subscription]
impl SubscriptionRoot {
    /// Your notifications as they happen. Pass the id of the last one you saw as `afterId` to
    /// receive what arrived while you were away first, so nothing is lost across reconnects or
    /// restarts; without it the stream starts now.
    async fn notification_added(
        &self,
        ctx: &Context<'_>,
        after_id: Option<ID>,
    ) -> Result<impl Stream<Item = Notification> + use<>> {
        let (services, actor) = (ctx.data::<Services>()?, ctx.data::<Actor>()?);
        let after = after_id
            .map(|id| ids::IdCodec::of(ctx).decode(&id, NodeType::Notification))
            .transpose()
            .gql()?;
        let stream = services.notifications.follow(actor, after).await.gql()?;
        Ok(stream.map(Notification::from))
    }
}
