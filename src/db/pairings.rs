//! Pairings and their timelines: rows ↔ [`Pairing`] records, the broker queue, deadlines and
//! the statistics, aggregated in the database.

use crate::db::entities::{pairing, pairing_event};
use crate::domain::{
    Awaiting, Contract, ContractKind, Pairing, PairingEventKind, PairingOrigin, PairingRole,
    PairingStatus,
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, Condition, ConnectionTrait, DbBackend,
    DbErr, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Select, Set, Statement,
};

fn parse<T>(value: &str, parse: fn(&str) -> Option<T>) -> Result<T, DbErr> {
    parse(value).ok_or_else(|| DbErr::Custom(format!("unknown stored value {value:?}")))
}

fn from_row(r: pairing::Model) -> Result<Pairing, DbErr> {
    let contract = match (
        r.contract_kind,
        r.contract_amount_yuan,
        r.contract_signed_on,
    ) {
        (Some(kind), Some(amount_yuan), Some(signed_on)) => Some(Contract {
            kind: parse(&kind, ContractKind::parse)?,
            amount_yuan,
            signed_on,
            registration_number: r.contract_registration_no,
        }),
        _ => None,
    };
    Ok(Pairing {
        id: r.id,
        need_id: r.need_id,
        achievement_id: r.achievement_id,
        enterprise_org_id: r.enterprise_org_id,
        university_org_id: r.university_org_id,
        origin: parse(&r.origin, PairingOrigin::parse)?,
        requested_by: r.requested_by,
        message: r.message,
        status: parse(&r.status, PairingStatus::parse)?,
        broker_id: r.broker_id,
        enterprise_agreed: r.enterprise_agreed,
        university_agreed: r.university_agreed,
        track_code: r.track_code,
        industry_code: r.industry_code,
        region_code: r.region_code,
        created_at: r.created_at,
        updated_at: r.updated_at,
        accepted_at: r.accepted_at,
        introduced_at: r.introduced_at,
        negotiating_at: r.negotiating_at,
        signed_at: r.signed_at,
        closed_at: r.closed_at,
        due_at: r.due_at,
        awaiting: r
            .awaiting
            .as_deref()
            .map(|a| parse(a, Awaiting::parse))
            .transpose()?,
        decline_reason: r.decline_reason,
        contract,
    })
}

fn to_active(p: &Pairing) -> pairing::ActiveModel {
    let c = p.contract.as_ref();
    pairing::ActiveModel {
        id: if p.id == 0 { NotSet } else { Set(p.id) },
        need_id: Set(p.need_id),
        achievement_id: Set(p.achievement_id),
        enterprise_org_id: Set(p.enterprise_org_id),
        university_org_id: Set(p.university_org_id),
        origin: Set(p.origin.as_str().to_owned()),
        requested_by: Set(p.requested_by),
        message: Set(p.message.clone()),
        status: Set(p.status.as_str().to_owned()),
        broker_id: Set(p.broker_id),
        enterprise_agreed: Set(p.enterprise_agreed),
        university_agreed: Set(p.university_agreed),
        track_code: Set(p.track_code.clone()),
        industry_code: Set(p.industry_code.clone()),
        region_code: Set(p.region_code.clone()),
        open_key: Set(p.open_key()),
        created_at: Set(p.created_at),
        updated_at: Set(p.updated_at),
        accepted_at: Set(p.accepted_at),
        introduced_at: Set(p.introduced_at),
        negotiating_at: Set(p.negotiating_at),
        signed_at: Set(p.signed_at),
        closed_at: Set(p.closed_at),
        due_at: Set(p.due_at),
        awaiting: Set(p.awaiting.map(|a| a.as_str().to_owned())),
        decline_reason: Set(p.decline_reason.clone()),
        contract_kind: Set(c.map(|c| c.kind.as_str().to_owned())),
        contract_amount_yuan: Set(c.map(|c| c.amount_yuan)),
        contract_signed_on: Set(c.map(|c| c.signed_on)),
        contract_registration_no: Set(c.and_then(|c| c.registration_number.clone())),
    }
}

/// Inserts a new pairing, or updates an existing one; returns it as stored.
pub async fn save<C: ConnectionTrait>(db: &C, p: &Pairing) -> Result<Pairing, DbErr> {
    let row = if p.id == 0 {
        to_active(p).insert(db).await?
    } else {
        to_active(p).update(db).await?
    };
    from_row(row)
}

/// One pairing.
pub async fn find<C: ConnectionTrait>(db: &C, id: i32) -> Result<Option<Pairing>, DbErr> {
    pairing::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(from_row)
        .transpose()
}

/// The same, locked against other writers until the caller's transaction ends (`FOR UPDATE` on
/// PostgreSQL; SQLite's write transaction already excludes them). Every read-modify-write
/// reads through this, so two concurrent changes apply one after the other and neither is lost.
pub async fn find_for_update<C: ConnectionTrait>(
    db: &C,
    id: i32,
) -> Result<Option<Pairing>, DbErr> {
    use sea_orm::QuerySelect;
    pairing::Entity::find_by_id(id)
        .lock_exclusive()
        .one(db)
        .await?
        .map(from_row)
        .transpose()
}

/// The open pairing with this key, if any.
pub async fn find_open<C: ConnectionTrait>(db: &C, key: &str) -> Result<Option<Pairing>, DbErr> {
    pairing::Entity::find()
        .filter(pairing::Column::OpenKey.eq(key))
        .one(db)
        .await?
        .map(from_row)
        .transpose()
}

/// Which pairings a list shows; every given filter must match.
#[derive(Debug, Clone, Default)]
pub struct PairingQuery {
    /// Any of these statuses (empty: all).
    pub statuses: Vec<PairingStatus>,
    /// Priority track.
    pub track: Option<String>,
    /// GB/T 4754 code prefix (section letter or division).
    pub industry: Option<String>,
    /// GB/T 2260 code prefix.
    pub region: Option<String>,
    /// Created at or before (older than an age).
    pub created_before: Option<DateTime<Utc>>,
    /// Carried by this broker.
    pub broker: Option<i32>,
    /// Only pairings without a broker.
    pub unassigned: bool,
    /// Only pairings where this organisation is a side.
    pub organization: Option<i32>,
}

fn select(q: &PairingQuery) -> Select<pairing::Entity> {
    use pairing::Column as C;
    let mut s = pairing::Entity::find();
    if !q.statuses.is_empty() {
        s = s.filter(C::Status.is_in(q.statuses.iter().map(|st| st.as_str())));
    }
    // The industry and region describe the firm (its need, its seat), and so may the track
    // (the need's when the result has none). A side that may not know the firm yet cannot
    // filter by them either: only pairings whose firm it may see take part, so a filter
    // cannot tell a hidden firm's industry, region or track.
    let about_the_firm = |c: sea_orm::sea_query::SimpleExpr| match q.organization {
        Some(org) => Condition::all().add(c).add(firm_visible_to(org)),
        None => Condition::all().add(c),
    };
    if let Some(track) = &q.track {
        s = s.filter(about_the_firm(C::TrackCode.eq(track.as_str())));
    }
    if let Some(industry) = &q.industry {
        s = s.filter(about_the_firm(
            C::IndustryCode.starts_with(industry.as_str()),
        ));
    }
    if let Some(region) = &q.region {
        s = s.filter(about_the_firm(C::RegionCode.starts_with(region.as_str())));
    }
    if let Some(before) = q.created_before {
        s = s.filter(C::CreatedAt.lte(before));
    }
    if let Some(broker) = q.broker {
        s = s.filter(C::BrokerId.eq(broker));
    }
    if q.unassigned {
        s = s.filter(C::BrokerId.is_null());
    }
    if let Some(org) = q.organization {
        s = s.filter(
            Condition::any()
                .add(C::EnterpriseOrgId.eq(org))
                .add(C::UniversityOrgId.eq(org)),
        );
    }
    s
}

/// Pairings whose firm a member of `org` may know: its own, those introduced, those asked
/// openly (no need) and those about a public need.
fn firm_visible_to(org: i32) -> Condition {
    use crate::db::entities::need;
    use pairing::Column as C;
    use sea_orm::sea_query::Query;
    Condition::any()
        .add(C::EnterpriseOrgId.eq(org))
        .add(C::IntroducedAt.is_not_null())
        .add(C::NeedId.is_null())
        .add(
            C::NeedId.in_subquery(
                Query::select()
                    .column(need::Column::Id)
                    .from(need::Entity)
                    .and_where(
                        need::Column::Visibility.eq(crate::domain::NeedVisibility::Public.as_str()),
                    )
                    .to_owned(),
            ),
        )
}

/// How many pairings match.
pub async fn count<C: ConnectionTrait>(db: &C, q: &PairingQuery) -> Result<u64, DbErr> {
    select(q).count(db).await
}

/// A page of matching pairings, oldest first (a queue is worked from its oldest request).
pub async fn page<C: ConnectionTrait>(
    db: &C,
    q: &PairingQuery,
    offset: u64,
    limit: u64,
) -> Result<Vec<Pairing>, DbErr> {
    select(q)
        .order_by_asc(pairing::Column::CreatedAt)
        .order_by_asc(pairing::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(from_row)
        .collect()
}

/// Open pairings whose answer was due at or before `now`, at most `limit`.
pub async fn overdue<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Pairing>, DbErr> {
    pairing::Entity::find()
        .filter(pairing::Column::OpenKey.is_not_null())
        .filter(pairing::Column::DueAt.lte(now))
        .order_by_asc(pairing::Column::DueAt)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(from_row)
        .collect()
}

/// One timeline event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairingEvent {
    /// Row id.
    pub id: i32,
    /// The pairing.
    pub pairing_id: i32,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (none for the system).
    pub actor_id: Option<i32>,
    /// In which role.
    pub actor_role: PairingRole,
    /// What.
    pub kind: PairingEventKind,
    /// Status before.
    pub from_status: Option<PairingStatus>,
    /// Status after.
    pub to_status: Option<PairingStatus>,
    /// A note or reason.
    pub note: Option<String>,
    /// For brokers and operators only.
    pub internal: bool,
}

fn event_from_row(r: pairing_event::Model) -> Result<PairingEvent, DbErr> {
    let status = |s: Option<String>| {
        s.as_deref()
            .map(|s| parse(s, PairingStatus::parse))
            .transpose()
    };
    Ok(PairingEvent {
        id: r.id,
        pairing_id: r.pairing_id,
        at: r.at,
        actor_id: r.actor_id,
        actor_role: parse(&r.actor_role, PairingRole::parse)?,
        kind: parse(&r.kind, PairingEventKind::parse)?,
        from_status: status(r.from_status)?,
        to_status: status(r.to_status)?,
        note: r.note,
        internal: r.internal,
    })
}

/// Appends an event to a pairing's timeline.
pub async fn add_event<C: ConnectionTrait>(
    db: &C,
    e: &PairingEvent,
) -> Result<PairingEvent, DbErr> {
    let row = pairing_event::ActiveModel {
        id: NotSet,
        pairing_id: Set(e.pairing_id),
        at: Set(e.at),
        actor_id: Set(e.actor_id),
        actor_role: Set(e.actor_role.as_str().to_owned()),
        kind: Set(e.kind.as_str().to_owned()),
        from_status: Set(e.from_status.map(|s| s.as_str().to_owned())),
        to_status: Set(e.to_status.map(|s| s.as_str().to_owned())),
        note: Set(e.note.clone()),
        internal: Set(e.internal),
    }
    .insert(db)
    .await?;
    event_from_row(row)
}

/// A pairing's timeline, oldest first; internal notes only when `internal` is true.
pub async fn events<C: ConnectionTrait>(
    db: &C,
    pairing_id: i32,
    internal: bool,
) -> Result<Vec<PairingEvent>, DbErr> {
    let mut s =
        pairing_event::Entity::find().filter(pairing_event::Column::PairingId.eq(pairing_id));
    if !internal {
        s = s.filter(pairing_event::Column::Internal.eq(false));
    }
    s.order_by_asc(pairing_event::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(event_from_row)
        .collect()
}

/// What statistics read of one pairing: group keys already derived in SQL (months in Beijing
/// time, division, city, district, hours to first response), so no timestamp is parsed per
/// row.
#[derive(Debug, Clone, PartialEq, sea_orm::FromQueryResult)]
pub struct StatRow {
    /// Stored status.
    pub status: String,
    /// Priority track.
    pub track: Option<String>,
    /// GB/T 4754 division (first three characters of the code).
    pub division: Option<String>,
    /// First four digits of the firm's region.
    pub city: Option<String>,
    /// The firm's county-level region (区/县/县级市), GB/T 2260.
    pub district: Option<String>,
    /// The firm.
    pub enterprise_org_id: i32,
    /// The result's owner.
    pub university_org_id: i32,
    /// The broker.
    pub broker_id: Option<i32>,
    /// `YYYY-MM` of creation.
    pub created_month: String,
    /// `YYYY-MM` of introduction.
    pub introduced_month: Option<String>,
    /// `YYYY-MM` of the contract.
    pub signed_month: Option<String>,
    /// Contract amount in yuan.
    pub amount_yuan: Option<i64>,
    /// 1 when a broker took it.
    pub accepted: i32,
    /// 1 when talks started.
    pub negotiating: i32,
    /// Hours from request to a broker taking it.
    pub hours_to_accept: Option<f64>,
}

/// The statistics projection of every pairing created in `[from, to)`: one pass over the
/// table. SQLite is told to scan rather than walk the `created_at` index, which for a period
/// holding most rows costs a row lookup per entry (measured 3× slower at 100k pairings);
/// PostgreSQL's planner chooses by itself.
pub async fn stat_rows<C: ConnectionTrait>(
    db: &C,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<StatRow>, DbErr> {
    let backend = db.get_database_backend();
    // Months in Beijing time (UTC+8, no daylight saving): a contract signed at 00:30 on
    // 1 October counts in October, as in the quarter that holds it.
    let month = |column: &str| match backend {
        DbBackend::Postgres => format!("to_char({column} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"),
        _ => format!("substr(datetime({column}, '+8 hours'), 1, 7)"),
    };
    let (signed_month, hours, table, p1, p2) = match backend {
        DbBackend::Postgres => (
            "to_char(contract_signed_on, 'YYYY-MM')",
            "CAST(EXTRACT(EPOCH FROM (accepted_at - created_at)) / 3600.0 AS DOUBLE PRECISION)",
            "pairings",
            "$1",
            "$2",
        ),
        // SQLite stores timestamps and dates as ISO text in UTC; whole seconds keep exact
        // hours exact (julianday() adds floating-point noise).
        _ => (
            "substr(contract_signed_on, 1, 7)",
            "(CAST(strftime('%s', accepted_at) AS INTEGER) - CAST(strftime('%s', created_at) AS INTEGER)) / 3600.0",
            "pairings NOT INDEXED",
            "?",
            "?",
        ),
    };
    let sql = format!(
        "SELECT status, track_code AS track, substr(industry_code, 1, 3) AS division, \
         substr(region_code, 1, 4) AS city, substr(region_code, 1, 6) AS district, enterprise_org_id, university_org_id, broker_id, \
         {} AS created_month, {} AS introduced_month, \
         CASE WHEN status = 'SIGNED' THEN {signed_month} END AS signed_month, \
         CASE WHEN status = 'SIGNED' THEN contract_amount_yuan END AS amount_yuan, \
         CAST(CASE WHEN accepted_at IS NULL THEN 0 ELSE 1 END AS INTEGER) AS accepted, \
         CAST(CASE WHEN negotiating_at IS NULL THEN 0 ELSE 1 END AS INTEGER) AS negotiating, \
         {hours} AS hours_to_accept \
         FROM {table} WHERE created_at >= {p1} AND created_at < {p2}",
        month("created_at"),
        month("introduced_at"),
    );
    StatRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        sql,
        [from.into(), to.into()],
    ))
    .all(db)
    .await
}
