//! Each person's inbox and its live stream, and saved searches.
//!
//! Delivery is at-least-once: a notification is stored in the transaction that caused it and
//! pushed to live subscribers only after that transaction commits. A subscriber that was away
//! reads what it missed from the inbox (`after` its last id) and then follows the live stream,
//! which it joined before reading, so nothing falls between the two. With several replicas
//! on PostgreSQL, the storing transaction also announces the ids (`NOTIFY`, delivered at
//! commit) and every replica's cluster feed (`follow_cluster`) pushes them to its own
//! subscribers, wherever the change was made.

use crate::db::notifications::{self as repo, NewNotification, NotificationRow, SavedSearchRow};
use crate::db::outbox::ListingKind;
use crate::domain::NotificationKind;
use crate::error::{ErrorCode, FieldError, ServiceError, ServiceResult};
use crate::service::{Actor, Context, Page, Window, policy};
use chrono::{DateTime, Utc};
use futures::Stream;
use sea_orm::ConnectionTrait;
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::broadcast;

/// How many notifications a live subscriber may fall behind before it re-reads its inbox.
const HUB_CAPACITY: usize = 4096;
/// Inbox rows read per replay step.
const REPLAY_BATCH: u64 = 500;
/// Most saved searches one person keeps.
pub const MAX_SAVED_SEARCHES: usize = 20;

/// One notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Row id; increases over time.
    pub id: i32,
    /// Recipient.
    pub user_id: i32,
    /// What it is about.
    pub kind: NotificationKind,
    /// Short title.
    pub title: String,
    /// Text.
    pub body: String,
    /// The pairing, if about one.
    pub pairing_id: Option<i32>,
    /// The listing, if about one.
    pub listing: Option<(ListingKind, i32)>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Read.
    pub read_at: Option<DateTime<Utc>>,
}

impl From<NotificationRow> for Notification {
    fn from(r: NotificationRow) -> Self {
        let listing = match (r.listing_kind.as_deref(), r.listing_id) {
            (Some("need"), Some(id)) => Some((ListingKind::Need, id)),
            (Some(_), Some(id)) => Some((ListingKind::Achievement, id)),
            _ => None,
        };
        Self {
            id: r.id,
            user_id: r.user_id,
            kind: NotificationKind::parse(&r.kind).unwrap_or(NotificationKind::Pairing),
            title: r.title,
            body: r.body,
            pairing_id: r.pairing_id,
            listing,
            created_at: r.created_at,
            read_at: r.read_at,
        }
    }
}

/// Fans committed notifications out to live subscribers in this process.
#[derive(Debug, Clone)]
pub struct NotificationHub {
    tx: broadcast::Sender<HubEvent>,
    /// Set while the cluster feed (PostgreSQL `LISTEN`) delivers every committed notification
    /// to this replica, its own included; the services' own `publish` then stands aside.
    fed_by_cluster: Arc<AtomicBool>,
}

impl Default for NotificationHub {
    fn default() -> Self {
        Self {
            tx: broadcast::channel(HUB_CAPACITY).0,
            fed_by_cluster: Arc::new(AtomicBool::new(false)),
        }
    }
}

impl NotificationHub {
    /// Pushes notifications that are already committed (unless the cluster feed delivers
    /// them, on PostgreSQL).
    pub fn publish(&self, sent: Vec<Notification>) {
        if self.fed_by_cluster.load(Ordering::Acquire) {
            return;
        }
        self.deliver(sent);
    }

    /// Pushes committed notifications to this replica's subscribers.
    pub(crate) fn deliver(&self, sent: Vec<Notification>) {
        for n in sent {
            // No subscriber is not an error: the inbox holds the notification.
            let _ = self.tx.send(HubEvent::Added(Arc::new(n)));
        }
    }

    /// Tells every subscriber that live delivery may have had a gap (the cluster feed was
    /// down): each re-reads its inbox after the last notification it delivered.
    pub(crate) fn resync(&self) {
        let _ = self.tx.send(HubEvent::Resync);
    }

    /// Whether the cluster feed delivers (true while it listens).
    pub(crate) fn set_fed_by_cluster(&self, on: bool) {
        self.fed_by_cluster.store(on, Ordering::Release);
    }

    fn subscribe(&self) -> broadcast::Receiver<HubEvent> {
        self.tx.subscribe()
    }
}

/// What the hub broadcasts.
#[derive(Debug, Clone)]
enum HubEvent {
    /// A committed notification.
    Added(Arc<Notification>),
    /// Live delivery may have missed some: re-read the inbox.
    Resync,
}

/// A notification about to be stored for some users.
pub(crate) struct Outgoing {
    pub kind: NotificationKind,
    pub title: String,
    pub body: String,
    pub pairing_id: Option<i32>,
    pub listing: Option<(ListingKind, i32)>,
    /// The event told of, for notifications a job may send again (see `event_key`).
    pub event_key: Option<String>,
}

/// Stores `n` for each of `users` (duplicates removed) inside the caller's transaction and
/// returns what to publish once it commits.
pub(crate) async fn stage<C: ConnectionTrait>(
    db: &C,
    users: &[i32],
    n: Outgoing,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<Notification>> {
    let mut seen = HashSet::new();
    let users: Vec<i32> = users.iter().copied().filter(|u| seen.insert(*u)).collect();
    let rows = repo::insert_for(
        db,
        &users,
        &NewNotification {
            kind: n.kind.as_str(),
            title: n.title,
            body: n.body,
            pairing_id: n.pairing_id,
            listing: n.listing.map(|(k, id)| (k.as_str(), id)),
            event_key: n.event_key,
        },
        now,
    )
    .await?;
    repo::announce(db, &rows.iter().map(|r| r.id).collect::<Vec<_>>()).await?;
    Ok(rows.into_iter().map(Notification::from).collect())
}

/// A search someone asked to be told about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedSearch {
    /// Row id.
    pub id: i32,
    /// Name the user gave it.
    pub name: String,
    /// The search words.
    pub query: String,
    /// Results, needs, or both.
    pub kind: Option<ListingKind>,
    /// Saved.
    pub created_at: DateTime<Utc>,
}

fn saved_from_row(r: SavedSearchRow) -> SavedSearch {
    SavedSearch {
        id: r.id,
        name: r.name,
        query: r.query,
        kind: match r.kind.as_deref() {
            Some("need") => Some(ListingKind::Need),
            Some(_) => Some(ListingKind::Achievement),
            None => None,
        },
        created_at: r.created_at,
    }
}

/// Inbox, live stream and saved-search use cases.
#[derive(Debug, Clone)]
pub struct NotificationService {
    ctx: Arc<Context>,
}

impl NotificationService {
    pub(crate) fn new(ctx: Arc<Context>) -> Self {
        Self { ctx }
    }

    /// A page of the caller's inbox, newest first, and how many are unread.
    pub async fn inbox(
        &self,
        actor: &Actor,
        unread_only: bool,
        window: Window,
    ) -> ServiceResult<(Page<Notification>, u64)> {
        let user = policy::require_user(actor)?;
        let db = &self.ctx.db.conn;
        let total = repo::count(db, user, unread_only).await?;
        let unread = if unread_only {
            total
        } else {
            repo::count(db, user, true).await?
        };
        let page = self
            .ctx
            .paged(window, total, |offset, limit| {
                repo::page(db, user, unread_only, offset, limit)
            })
            .await?;
        let items = page.items.iter().cloned().map(Notification::from).collect();
        Ok((page.with_items(items), unread))
    }

    /// Marks the caller's notifications read (the given ones, or all); returns how many changed.
    pub async fn mark_read(&self, actor: &Actor, ids: Option<Vec<i32>>) -> ServiceResult<u64> {
        let user = policy::require_user(actor)?;
        let txn = self.ctx.db.begin_write().await?;
        let changed = repo::mark_read(&txn, user, ids.as_deref(), self.ctx.clock.now()).await?;
        txn.commit().await?;
        Ok(changed)
    }

    /// The caller's notifications as they are committed. With `after` (the id of the last one
    /// the caller saw), the stored ones after it come first. Ends when the service stops.
    pub async fn follow(
        &self,
        actor: &Actor,
        after: Option<i32>,
    ) -> ServiceResult<impl Stream<Item = Notification> + Send + use<>> {
        let user = policy::require_user(actor)?;
        // Join the live stream before reading the inbox, so nothing committed in between is lost.
        let rx = self.ctx.hub.subscribe();
        let follower = Follower {
            rx,
            db: self.ctx.db.conn.clone(),
            user,
            cursor: after.unwrap_or(0),
            backlog: VecDeque::new(),
            replayed: HashSet::new(),
            replaying: after.is_some(),
        };
        Ok(futures::stream::unfold(follower, |mut f| async move {
            f.next().await.map(|n| (n, f))
        }))
    }

    /// Saves a search; new listings that match it are reported in the inbox.
    pub async fn save_search(
        &self,
        actor: &Actor,
        name: &str,
        query: &str,
        kind: Option<ListingKind>,
    ) -> ServiceResult<SavedSearch> {
        let user = policy::require_user(actor)?;
        let name = name.trim();
        let query = query.trim();
        let mut errors = Vec::new();
        if name.is_empty() || name.chars().count() > 50 {
            errors.push(FieldError::new(
                "name",
                ErrorCode::InvalidText,
                "订阅名称不能为空，且不超过 50 个字",
            ));
        }
        if let Err(err) = crate::service::search::check_query(query) {
            errors.push(FieldError::new(
                "query",
                ErrorCode::InvalidQuery,
                err.to_string(),
            ));
        } else if query.is_empty() || query.chars().count() > 200 {
            errors.push(FieldError::new(
                "query",
                ErrorCode::InvalidQuery,
                "订阅的检索词不能为空，且不超过 200 个字",
            ));
        }
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        let txn = self.ctx.db.begin_write().await?;
        // The user's row, locked: two saves at once count one after the other.
        crate::db::users::find_for_update(&txn, user).await?;
        if repo::saved_searches_of(&txn, user).await?.len() >= MAX_SAVED_SEARCHES {
            return Err(ServiceError::coded(
                ErrorCode::InvalidArgument,
                format!("每人最多保存 {MAX_SAVED_SEARCHES} 个订阅，请先删除不再需要的订阅"),
            ));
        }
        let row = repo::insert_saved_search(
            &txn,
            user,
            name,
            query,
            kind.map(ListingKind::as_str),
            self.ctx.clock.now(),
        )
        .await?;
        txn.commit().await?;
        Ok(saved_from_row(row))
    }

    /// A page of the caller's saved searches, oldest first.
    pub async fn saved_searches(
        &self,
        actor: &Actor,
        window: Window,
    ) -> ServiceResult<Page<SavedSearch>> {
        let user = policy::require_user(actor)?;
        let all: Vec<SavedSearch> = repo::saved_searches_of(&self.ctx.db.conn, user)
            .await?
            .into_iter()
            .map(saved_from_row)
            .collect();
        // Read whole and cut here: nobody has more than MAX_SAVED_SEARCHES.
        let s = &self.ctx.settings;
        window.slice(all, s.default_page_size, s.max_page_size)
    }

    /// Deletes one of the caller's saved searches.
    pub async fn delete_saved_search(&self, actor: &Actor, id: i32) -> ServiceResult<()> {
        let user = policy::require_user(actor)?;
        let txn = self.ctx.db.begin_write().await?;
        if !repo::delete_saved_search(&txn, user, id).await? {
            return Err(ServiceError::not_found("订阅"));
        }
        txn.commit().await?;
        Ok(())
    }
}

/// The state of one live subscriber.
struct Follower {
    rx: broadcast::Receiver<HubEvent>,
    db: sea_orm::DatabaseConnection,
    user: i32,
    /// Highest id delivered (read from the inbox or live). A user's notification ids follow
    /// commit order (their storing transactions lock the user's row in turn), so everything
    /// committed later has a higher id.
    cursor: i32,
    backlog: VecDeque<Notification>,
    /// Ids delivered from the inbox, so the live copy of the same notification is skipped.
    replayed: HashSet<i32>,
    /// Still reading the inbox.
    replaying: bool,
}

impl Follower {
    async fn next(&mut self) -> Option<Notification> {
        loop {
            if let Some(n) = self.backlog.pop_front() {
                return Some(n);
            }
            if self.replaying {
                match repo::after(&self.db, self.user, self.cursor, REPLAY_BATCH).await {
                    Ok(rows) => {
                        self.replaying = rows.len() as u64 == REPLAY_BATCH;
                        for r in rows {
                            self.cursor = self.cursor.max(r.id);
                            self.replayed.insert(r.id);
                            self.backlog.push_back(r.into());
                        }
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, user = self.user, "reading the inbox failed");
                        return None;
                    }
                }
                continue;
            }
            match self.rx.recv().await {
                Ok(HubEvent::Added(n)) if n.user_id == self.user => {
                    if self.replayed.remove(&n.id) {
                        continue;
                    }
                    self.cursor = self.cursor.max(n.id);
                    return Some((*n).clone());
                }
                Ok(HubEvent::Added(_)) => {}
                Ok(HubEvent::Resync) => self.replaying = true,
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(
                        missed,
                        user = self.user,
                        "subscriber fell behind; re-reading its inbox"
                    );
                    self.replaying = true;
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}

impl NotificationService {
    /// Follows the notifications committed by every replica (PostgreSQL `LISTEN` on
    /// [`repo::CHANNEL`]) and pushes them to this replica's subscribers, until `stop`. While
    /// the feed is down (lost connection), this replica pushes its own notifications itself;
    /// a subscriber that missed some finds them in its inbox on resume. Returns at once on
    /// SQLite.
    /// `listening` is called each time the feed starts listening (at once on SQLite).
    pub async fn follow_cluster(
        &self,
        database_url: &str,
        mut stop: tokio::sync::watch::Receiver<bool>,
        mut listening: impl FnMut() + Send,
    ) {
        use sea_orm::sqlx::postgres::PgListener;
        if !database_url.starts_with("postgres") {
            listening();
            return;
        }
        let hub = &self.ctx.hub;
        loop {
            let listener = async {
                let mut listener = PgListener::connect(database_url).await?;
                listener.listen(repo::CHANNEL).await?;
                anyhow::Ok(listener)
            };
            let mut listener = tokio::select! {
                l = listener => l,
                _ = stop.changed() => return,
            };
            match listener.as_mut() {
                Ok(listener) => {
                    hub.set_fed_by_cluster(true);
                    // Whatever committed while the feed was down reaches subscribers now.
                    hub.resync();
                    listening();
                    tracing::info!("following notifications from every replica");
                    loop {
                        let next = tokio::select! {
                            n = listener.try_recv() => n,
                            _ = stop.changed() => {
                                hub.set_fed_by_cluster(false);
                                return;
                            }
                        };
                        match next {
                            Ok(Some(n)) => self.deliver_announced(n.payload()).await,
                            Ok(None) => {
                                tracing::warn!(
                                    "notification feed lost its connection; reconnecting"
                                );
                                break;
                            }
                            Err(err) => {
                                tracing::warn!(error = %err, "notification feed failed; reconnecting");
                                break;
                            }
                        }
                    }
                }
                Err(err) => tracing::warn!(error = %err, "cannot follow notifications; retrying"),
            }
            hub.set_fed_by_cluster(false);
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                _ = stop.changed() => return,
            }
        }
    }

    async fn deliver_announced(&self, payload: &str) {
        let ids: Vec<i32> = payload
            .split(',')
            .filter_map(|id| id.parse().ok())
            .collect();
        match repo::find_many(&self.ctx.db.conn, &ids).await {
            Ok(rows) => self
                .ctx
                .hub
                .deliver(rows.into_iter().map(Notification::from).collect()),
            Err(err) => tracing::warn!(error = %err, "reading announced notifications failed"),
        }
    }
}
