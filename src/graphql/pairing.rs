//! Pairings (对接) over GraphQL: the broker queue, one pairing with its timeline, the moves of
//! the workflow, and the statistics with CSV export.

use crate::db::pairings::PairingEvent as EventRecord;
use crate::domain::{
    Awaiting, ContractKind, PairingEventKind, PairingOrigin, PairingRole, PairingStatus,
};
use crate::error::ServiceResult;
use crate::graphql::errors::{ResultExt, UserError, split};
use crate::graphql::ids::{self, IdCodec, NodeType};
use crate::graphql::loaders::Loaders;
use crate::graphql::types::connection::{Parts, connection, edge, window};
use crate::graphql::types::{Achievement, Need, Organization};
use crate::service::pairings::stats::{self as pairing_stats, StatTable};
use crate::service::pairings::{OpenPairing, PairingFilter, PairingView, SignInput};
use crate::service::{Actor, Services};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use std::future::Future;

/// A pairing between a firm (and its need) and a research result, carried by a broker.
#[derive(Clone)]
pub struct Pairing(pub PairingView);

/// A signed technical contract.
#[derive(SimpleObject, Clone)]
pub struct Contract {
    /// Kind.
    pub kind: ContractKind,
    /// Amount in CNY yuan.
    pub amount_yuan: i64,
    /// Signing date.
    pub signed_on: NaiveDate,
    /// 技术合同登记号.
    pub registration_number: Option<String>,
}

/// The broker carrying a pairing.
#[derive(SimpleObject, Clone)]
pub struct BrokerRef {
    /// User id.
    pub id: ids::GlobalId,
    /// Name.
    pub display_name: String,
}

/// One entry of a pairing's timeline.
#[derive(SimpleObject, Clone)]
pub struct PairingEvent {
    /// When.
    pub at: DateTime<Utc>,
    /// What happened.
    pub kind: PairingEventKind,
    /// In which role the author acted.
    pub actor_role: PairingRole,
    /// Status before.
    pub from_status: Option<PairingStatus>,
    /// Status after.
    pub to_status: Option<PairingStatus>,
    /// The note, reason or message.
    pub note: Option<String>,
    /// Seen by brokers and operators only.
    pub internal: bool,
}

impl From<EventRecord> for PairingEvent {
    fn from(e: EventRecord) -> Self {
        Self {
            at: e.at,
            kind: e.kind,
            actor_role: e.actor_role,
            from_status: e.from_status,
            to_status: e.to_status,
            note: e.note,
            internal: e.internal,
        }
    }
}

#[Object]
impl Pairing {
    /// Global id.
    async fn id(&self) -> ids::GlobalId {
        ids::encode(NodeType::Pairing, self.0.pairing.id)
    }

    /// Where it stands.
    async fn status(&self) -> PairingStatus {
        self.0.pairing.status
    }

    /// Who started it.
    async fn origin(&self) -> PairingOrigin {
        self.0.pairing.origin
    }

    /// The request's message.
    async fn message(&self) -> &str {
        &self.0.pairing.message
    }

    /// Your roles on it.
    async fn my_roles(&self) -> &[PairingRole] {
        &self.0.roles
    }

    /// The research result, as you may see it.
    async fn achievement(&self, ctx: &Context<'_>) -> Result<Option<Achievement>> {
        let (services, actor) = (ctx.data::<Services>()?, ctx.data::<Actor>()?);
        Ok(services
            .achievements
            .get(actor, self.0.pairing.achievement_id)
            .await
            .gql()?
            .map(Achievement))
    }

    /// The firm's need, as you may see it: a confidential need reaches the result's owner only
    /// once the two sides are introduced.
    async fn need(&self, ctx: &Context<'_>) -> Result<Option<Need>> {
        let Some(id) = self.0.pairing.need_id else {
            return Ok(None);
        };
        let (services, actor) = (ctx.data::<Services>()?, ctx.data::<Actor>()?);
        Ok(services.needs.get(actor, id).await.gql()?.map(Need))
    }

    /// The firm; null for the result's owner until introduced when the firm's need is
    /// anonymous or confidential.
    async fn enterprise(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        if !self.0.enterprise_visible {
            return Ok(None);
        }
        org(ctx, self.0.pairing.enterprise_org_id).await
    }

    /// The result's owner.
    async fn university(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        org(ctx, self.0.pairing.university_org_id).await
    }

    /// The broker carrying it.
    async fn broker(&self, ctx: &Context<'_>) -> Result<Option<BrokerRef>> {
        let Some(id) = self.0.pairing.broker_id else {
            return Ok(None);
        };
        let services = ctx.data::<Services>()?;
        Ok(services
            .accounts
            .display_name(id)
            .await
            .gql()?
            .map(|display_name| BrokerRef {
                id: ids::encode(NodeType::User, id),
                display_name,
            }))
    }

    /// The firm agreed to talk.
    async fn enterprise_agreed(&self) -> bool {
        self.0.pairing.enterprise_agreed
    }

    /// The result's owner agreed to talk.
    async fn university_agreed(&self) -> bool {
        self.0.pairing.university_agreed
    }

    /// Whose answer is due.
    async fn awaiting(&self) -> Option<Awaiting> {
        self.0.pairing.awaiting
    }

    /// When the answer is due; the pairing expires after it.
    async fn due_at(&self) -> Option<DateTime<Utc>> {
        self.0.pairing.due_at
    }

    /// Why it was declined or expired; both sides see it.
    async fn decline_reason(&self) -> Option<&str> {
        self.0.pairing.decline_reason.as_deref()
    }

    /// The contract, once signed.
    async fn contract(&self) -> Option<Contract> {
        self.0.pairing.contract.as_ref().map(|c| Contract {
            kind: c.kind,
            amount_yuan: c.amount_yuan,
            signed_on: c.signed_on,
            registration_number: c.registration_number.clone(),
        })
    }

    /// Priority track (of the result, else of the need); hidden with the firm.
    async fn track_code(&self) -> Option<&str> {
        self.0
            .enterprise_visible
            .then_some(self.0.pairing.track_code.as_deref())
            .flatten()
    }

    /// GB/T 4754 code (of the need, else of the result); hidden with the firm.
    async fn industry_code(&self) -> Option<&str> {
        self.0
            .enterprise_visible
            .then_some(self.0.pairing.industry_code.as_deref())
            .flatten()
    }

    /// The firm's GB/T 2260 region; hidden with the firm.
    async fn region_code(&self) -> Option<&str> {
        self.0
            .enterprise_visible
            .then_some(self.0.pairing.region_code.as_str())
    }

    /// Created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.pairing.created_at
    }

    /// Last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.pairing.updated_at
    }

    /// A broker first took it.
    async fn accepted_at(&self) -> Option<DateTime<Utc>> {
        self.0.pairing.accepted_at
    }

    /// Both sides agreed.
    async fn introduced_at(&self) -> Option<DateTime<Utc>> {
        self.0.pairing.introduced_at
    }

    /// Reached a final state.
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.0.pairing.closed_at
    }

    /// What happened, oldest first; notes internal to brokers only for brokers and operators.
    async fn timeline(&self, ctx: &Context<'_>) -> Result<Vec<PairingEvent>> {
        let services = ctx.data::<Services>()?;
        Ok(services
            .pairings
            .timeline(&self.0)
            .await
            .gql()?
            .into_iter()
            .map(PairingEvent::from)
            .collect())
    }
}

async fn org(ctx: &Context<'_>, id: i32) -> Result<Option<Organization>> {
    let loaders = ctx.data::<Loaders>()?;
    Ok(loaders.organizations.load_one(id).await?.map(Organization))
}

edge!(PairingEdge, Pairing, "pairing");
connection!(PairingConnection, PairingEdge, "pairings, oldest first");

/// Filters of the pairing queue.
#[derive(InputObject, Default)]
pub struct PairingFilterInput {
    /// Any of these statuses (default: the open ones).
    pub statuses: Option<Vec<PairingStatus>>,
    /// Priority track code. This and the next two describe the firm: a side that may not see
    /// the firm yet finds no pairing by them.
    pub track: Option<String>,
    /// GB/T 4754 code or prefix.
    pub industry: Option<String>,
    /// GB/T 2260 code or prefix of the firm's region.
    pub region: Option<String>,
    /// At least this many days old (0 to 36500).
    pub min_age_days: Option<i32>,
    /// Only those carried by me.
    #[graphql(default)]
    pub assigned_to_me: bool,
    /// Only those no broker has taken.
    #[graphql(default)]
    pub unassigned: bool,
}

/// A group in the statistics.
#[derive(SimpleObject)]
pub struct StatGroup {
    /// Code: month `2026-11`, track code, GB/T code or organisation global id.
    pub key: String,
    /// Readable name.
    pub label: String,
    /// Pairings requested.
    pub requests: i64,
    /// Introduced.
    pub introductions: i64,
    /// Contracts signed.
    pub signed: i64,
    /// Contract amounts in yuan.
    pub amount_yuan: i64,
}

impl From<pairing_stats::StatGroup> for StatGroup {
    fn from(g: pairing_stats::StatGroup) -> Self {
        Self {
            key: g.key,
            label: g.label,
            requests: g.requests as i64,
            introductions: g.introductions as i64,
            signed: g.signed as i64,
            amount_yuan: g.amount_yuan,
        }
    }
}

/// How far pairings got.
#[derive(SimpleObject)]
pub struct Funnel {
    /// Requested.
    pub requested: i64,
    /// Taken by a broker.
    pub accepted: i64,
    /// Introduced.
    pub introduced: i64,
    /// Reached negotiation.
    pub negotiating: i64,
    /// Signed.
    pub signed: i64,
    /// Declined.
    pub declined: i64,
    /// Withdrawn.
    pub withdrawn: i64,
    /// Expired.
    pub expired: i64,
}

/// One broker's figures.
#[derive(SimpleObject)]
pub struct BrokerStat {
    /// The broker.
    pub broker: BrokerRef,
    /// Pairings carried.
    pub pairings: i64,
    /// Of those, signed.
    pub signed: i64,
    /// Median hours from request to being taken.
    pub median_hours_to_first_response: Option<f64>,
}

/// Statistics of the pairings created in a period.
pub struct PairingStatistics(pairing_stats::PairingStatistics);

#[Object]
impl PairingStatistics {
    /// Totals.
    async fn total(&self) -> StatGroup {
        self.0.total.clone().into()
    }
    /// By month (requests by creation, introductions when they happened, contracts by signing).
    async fn by_month(&self) -> Vec<StatGroup> {
        self.0.by_month.iter().cloned().map(Into::into).collect()
    }
    /// By priority track.
    async fn by_track(&self) -> Vec<StatGroup> {
        self.0.by_track.iter().cloned().map(Into::into).collect()
    }
    /// By GB/T 4754 division.
    async fn by_industry(&self) -> Vec<StatGroup> {
        self.0.by_industry.iter().cloned().map(Into::into).collect()
    }
    /// By the firm's city.
    async fn by_region(&self) -> Vec<StatGroup> {
        self.0.by_region.iter().cloned().map(Into::into).collect()
    }
    /// By the firm's district (区/市, GB/T 2260 county level; 青岛 has ten).
    async fn by_district(&self) -> Vec<StatGroup> {
        self.0.by_district.iter().cloned().map(Into::into).collect()
    }
    /// By organisation (each side counts), most requests first, then by name.
    async fn by_organization(&self) -> Vec<StatGroup> {
        self.0
            .by_organization
            .iter()
            .cloned()
            .map(Into::into)
            .collect()
    }
    /// The funnel from request to signature.
    async fn funnel(&self) -> Funnel {
        let f = &self.0.funnel;
        Funnel {
            requested: f.requested as i64,
            accepted: f.accepted as i64,
            introduced: f.introduced as i64,
            negotiating: f.negotiating as i64,
            signed: f.signed as i64,
            declined: f.declined as i64,
            withdrawn: f.withdrawn as i64,
            expired: f.expired as i64,
        }
    }
    /// Per broker, most pairings first, then by name.
    async fn brokers(&self) -> Vec<BrokerStat> {
        self.0
            .brokers
            .iter()
            .map(|b| BrokerStat {
                broker: BrokerRef {
                    id: ids::encode(NodeType::User, b.broker_id),
                    display_name: b.name.clone(),
                },
                pairings: b.pairings as i64,
                signed: b.signed as i64,
                median_hours_to_first_response: b.median_hours_to_first_response,
            })
            .collect()
    }
    /// One table as CSV with Chinese headers (UTF-8 with BOM).
    async fn csv(&self, ctx: &Context<'_>, table: StatTable) -> String {
        let ids = IdCodec::of(ctx);
        pairing_stats::to_csv(&self.0, table, &|id| ids.encode(NodeType::User, id))
    }
}

/// Pairing queries.
#[derive(Default)]
pub struct PairingQuery;

#[Object]
impl PairingQuery {
    /// One pairing you are involved in (a side, a broker or an operator).
    async fn pairing(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Pairing>> {
        let (services, actor) = (ctx.data::<Services>()?, ctx.data::<Actor>()?);
        let id = ids::IdCodec::of(ctx).decode(&id, NodeType::Pairing).gql()?;
        Ok(services.pairings.get(actor, id).await.gql()?.map(Pairing))
    }

    /// Pairings, oldest first: the whole queue for brokers and operators, your organisation's
    /// for its members.
    #[graphql(
        complexity = "crate::graphql::limits::list_cost(first, last, 20, 100, child_complexity)"
    )]
    async fn pairings(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<PairingFilterInput>,
    ) -> Result<PairingConnection> {
        let (services, actor) = (ctx.data::<Services>()?, ctx.data::<Actor>()?);
        let f = filter.unwrap_or_default();
        let filter = PairingFilter {
            statuses: f.statuses.unwrap_or_default(),
            track: f.track,
            industry: f.industry,
            region: f.region,
            min_age_days: f.min_age_days.map(i64::from),
            assigned_to_me: f.assigned_to_me,
            unassigned: f.unassigned,
        };
        let page = services
            .pairings
            .list(actor, &filter, window(first, after, last, before)?)
            .await
            .gql()?;
        Ok(PairingConnection::new(Parts::of_nodes(page, Pairing)))
    }

    /// Statistics of the pairings created in a period; brokers and operators. Give `period`
    /// (a quarter `2026Q4`, a month `2026-11` or a year `2026`), or `from` and `to`: dates
    /// (`2026-10-01`; `to` includes its whole day) or times with a zone
    /// (`2026-10-01T08:00:00+08:00`; `to` is excluded). Dates and periods are Beijing time.
    async fn pairing_statistics(
        &self,
        ctx: &Context<'_>,
        period: Option<String>,
        from: Option<String>,
        to: Option<String>,
    ) -> Result<PairingStatistics> {
        let (services, actor) = (ctx.data::<Services>()?, ctx.data::<Actor>()?);
        let mut stats = services
            .pairing_stats
            .compute_period(actor, period.as_deref(), from.as_deref(), to.as_deref())
            .await
            .gql()?;
        // Organisations are named by their global ids, as everywhere else in the API.
        for g in &mut stats.by_organization {
            if let Ok(id) = g.key.parse() {
                g.key = services.context().ids.encode(NodeType::Organization, id);
            }
        }
        Ok(PairingStatistics(stats))
    }
}

/// Opens a pairing.
#[derive(InputObject)]
pub struct OpenPairingInput {
    /// The research result.
    pub achievement_id: ID,
    /// The firm's need (optional for a firm's request).
    pub need_id: Option<ID>,
    /// Why, for the other side and the broker.
    pub message: String,
}

/// Names a pairing.
#[derive(InputObject)]
pub struct PairingIdInput {
    /// The pairing.
    pub id: ID,
}

/// Assigns a broker.
#[derive(InputObject)]
pub struct AssignPairingInput {
    /// The pairing.
    pub id: ID,
    /// The broker's user id.
    pub broker_id: ID,
}

/// The contract to record.
#[derive(InputObject)]
pub struct ContractInput {
    /// Kind.
    pub kind: ContractKind,
    /// Amount in CNY yuan.
    pub amount_yuan: i64,
    /// Signing date.
    pub signed_on: NaiveDate,
    /// 技术合同登记号, if registered.
    pub registration_number: Option<String>,
}

/// Records the signed contract.
#[derive(InputObject)]
pub struct SignPairingInput {
    /// The pairing.
    pub id: ID,
    /// The contract.
    pub contract: ContractInput,
    /// Also mark the result 已转化.
    #[graphql(default)]
    pub mark_transferred: bool,
}

/// Declines with a reason both sides see.
#[derive(InputObject)]
pub struct DeclinePairingInput {
    /// The pairing.
    pub id: ID,
    /// Why (required).
    pub reason: String,
}

/// Withdraws a request.
#[derive(InputObject)]
pub struct WithdrawPairingInput {
    /// The pairing.
    pub id: ID,
    /// Why (optional).
    pub note: Option<String>,
}

/// Adds a note to the timeline.
#[derive(InputObject)]
pub struct AddPairingNoteInput {
    /// The pairing.
    pub id: ID,
    /// The note.
    pub text: String,
    /// For brokers and operators only.
    #[graphql(default)]
    pub internal: bool,
}

/// Result of every pairing mutation.
#[derive(SimpleObject)]
pub struct PairingPayload {
    /// The pairing after the change.
    pub pairing: Option<Pairing>,
    /// What was wrong; nothing was changed.
    pub user_errors: Vec<UserError>,
}

async fn payload<F>(
    ctx: &Context<'_>,
    run: impl FnOnce(Services, Actor) -> F,
) -> Result<PairingPayload>
where
    F: Future<Output = ServiceResult<PairingView>>,
{
    let services = ctx.data::<Services>()?.clone();
    let actor = ctx.data::<Actor>()?.clone();
    let (pairing, user_errors) = split(run(services, actor).await)?;
    Ok(PairingPayload {
        pairing: pairing.map(Pairing),
        user_errors,
    })
}

fn open_input(s: &Services, input: OpenPairingInput) -> ServiceResult<OpenPairing> {
    let ids = &s.context().ids;
    Ok(OpenPairing {
        achievement_id: ids.decode(&input.achievement_id, NodeType::Achievement)?,
        need_id: input
            .need_id
            .as_ref()
            .map(|id| ids.decode(id, NodeType::Need))
            .transpose()?,
        message: input.message,
    })
}

fn pairing_id(s: &Services, id: &ID) -> ServiceResult<i32> {
    s.context().ids.decode(id, NodeType::Pairing)
}

/// Pairing mutations.
#[derive(Default)]
pub struct PairingMutation;

#[Object]
impl PairingMutation {
    /// A firm asks for a pairing on a result (optionally naming its need).
    async fn request_pairing(
        &self,
        ctx: &Context<'_>,
        input: OpenPairingInput,
    ) -> Result<PairingPayload> {
        payload(ctx, |s, a| async move {
            s.pairings.request(&a, open_input(&s, input)?).await
        })
        .await
    }

    /// A result's owner offers it to a need.
    async fn offer_achievement(
        &self,
        ctx: &Context<'_>,
        input: OpenPairingInput,
    ) -> Result<PairingPayload> {
        payload(ctx, |s, a| async move {
            s.pairings.offer(&a, open_input(&s, input)?).await
        })
        .await
    }

    /// A broker proposes one of a need's stored matches; it starts ACCEPTED, carried by them.
    async fn propose_pairing(
        &self,
        ctx: &Context<'_>,
        input: OpenPairingInput,
    ) -> Result<PairingPayload> {
        payload(ctx, |s, a| async move {
            s.pairings.propose(&a, open_input(&s, input)?).await
        })
        .await
    }

    /// A broker takes a waiting request.
    async fn take_pairing(
        &self,
        ctx: &Context<'_>,
        input: PairingIdInput,
    ) -> Result<PairingPayload> {
        payload(ctx, |s, a| async move {
            s.pairings.take(&a, pairing_id(&s, &input.id)?).await
        })
        .await
    }

    /// An operator assigns a broker.
    async fn assign_pairing(
        &self,
        ctx: &Context<'_>,
        input: AssignPairingInput,
    ) -> Result<PairingPayload> {
        payload(ctx, |s, a| async move {
            let broker = s.context().ids.decode(&input.broker_id, NodeType::User)?;
            s.pairings
                .assign(&a, pairing_id(&s, &input.id)?, broker)
                .await
        })
        .await
    }

    /// Your side agrees to talk; when both sides have, detail and contacts are disclosed.
    async fn agree_to_pairing(
        &self,
        ctx: &Context<'_>,
        input: PairingIdInput,
    ) -> Result<PairingPayload> {
        payload(ctx, |s, a| async move {
            s.pairings.agree(&a, pairing_id(&s, &input.id)?).await
        })
        .await
    }

    /// Talks start (a side or the broker).
    async fn start_negotiation(
        &self,
        ctx: &Context<'_>,
        input: PairingIdInput,
    ) -> Result<PairingPayload> {
        payload(ctx, |s, a| async move {
            s.pairings.negotiate(&a, pairing_id(&s, &input.id)?).await
        })
        .await
    }

    /// The broker records the signed contract.
    async fn sign_pairing(
        &self,
        ctx: &Context<'_>,
        input: SignPairingInput,
    ) -> Result<PairingPayload> {
        payload(ctx, |s, a| async move {
            let c = input.contract;
            s.pairings
                .sign(
                    &a,
                    pairing_id(&s, &input.id)?,
                    SignInput {
                        kind: c.kind,
                        amount_yuan: c.amount_yuan,
                        signed_on: c.signed_on,
                        registration_number: c.registration_number,
                        mark_transferred: input.mark_transferred,
                    },
                )
                .await
        })
        .await
    }

    /// A side or the broker declines, with a reason.
    async fn decline_pairing(
        &self,
        ctx: &Context<'_>,
        input: DeclinePairingInput,
    ) -> Result<PairingPayload> {
        payload(ctx, |s, a| async move {
            s.pairings
                .decline(&a, pairing_id(&s, &input.id)?, &input.reason)
                .await
        })
        .await
    }

    /// The requester withdraws.
    async fn withdraw_pairing(
        &self,
        ctx: &Context<'_>,
        input: WithdrawPairingInput,
    ) -> Result<PairingPayload> {
        payload(ctx, |s, a| async move {
            s.pairings
                .withdraw(&a, pairing_id(&s, &input.id)?, input.note.as_deref())
                .await
        })
        .await
    }

    /// Adds a note to the timeline.
    async fn add_pairing_note(
        &self,
        ctx: &Context<'_>,
        input: AddPairingNoteInput,
    ) -> Result<PairingPayload> {
        payload(ctx, |s, a| async move {
            s.pairings
                .note(&a, pairing_id(&s, &input.id)?, &input.text, input.internal)
                .await
        })
        .await
    }
}
