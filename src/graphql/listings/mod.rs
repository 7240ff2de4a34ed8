//! The listing part of the API: research results, needs and organisations, their lists,
//! lifecycle mutations and the code tables a listing form needs.
//!
//! Each resolver names its field and delegates to one generic helper here ([`create`],
//! [`update`], [`step`], [`list`]), so what a mutation does with an id, a payload or an error is
//! written once for both kinds; [`ListingObject`] says how a kind is shown.

/// Declares one kind's list query, its mutation types (`Create…Input`, `Update…Input`,
/// `…Payload`) and its [`ListingObject`] implementation. Results and needs differ here only in names and words,
/// so the shape is written once; each kind's file says what its words are.
macro_rules! listing_object {
    (
        record: $record:ty,
        view: $view:ty,
        object: $object:ident,
        service: $service:ident: $service_type:ty,
        field: $field:ident: $input:ty,
        patch: $patch:ty,
        create: $create:ident, $create_doc:literal,
        update: $update:ident, $update_doc:literal, $which_doc:literal,
        payload: $payload:ident, $payload_doc:literal, $after_doc:literal,
        list: $query:ident, $query_doc:literal,
            $list:ident: $filter:ty => $connection:ident, $list_doc:literal $(,)?
    ) => {
        #[doc = $query_doc]
        #[derive(Default)]
        pub struct $query;

        #[async_graphql::Object]
        impl $query {
            #[doc = $list_doc]
            #[allow(clippy::too_many_arguments)]
            #[graphql(
                complexity = "crate::graphql::limits::list_cost(first, last, 20, 100, child_complexity)"
            )]
            async fn $list(
                &self,
                ctx: &async_graphql::Context<'_>,
                first: Option<i32>,
                after: Option<String>,
                last: Option<i32>,
                before: Option<String>,
                filter: Option<$filter>,
                #[graphql(default)] sort: crate::db::listing_query::ListingSort,
            ) -> async_graphql::Result<$connection> {
                use crate::graphql::types::connection::{Parts, window};
                let filter = filter.unwrap_or_default().into_filter(ctx, sort)?;
                let window = window(first, after, last, before)?;
                let page = crate::graphql::listings::list::<$record>(ctx, &filter, window).await?;
                Ok($connection::new(Parts::of_nodes(page, $object)))
            }
        }

        #[doc = $create_doc]
        #[derive(async_graphql::InputObject)]
        pub struct $create {
            /// Owning organisation.
            pub owner_id: async_graphql::ID,
            /// Its fields.
            pub $field: $input,
        }

        #[doc = $update_doc]
        #[derive(async_graphql::InputObject)]
        pub struct $update {
            #[doc = $which_doc]
            pub id: async_graphql::ID,
            /// Fields to change.
            pub patch: $patch,
        }

        #[doc = $payload_doc]
        #[derive(async_graphql::SimpleObject)]
        pub struct $payload {
            #[doc = $after_doc]
            pub $field: Option<$object>,
            /// What was wrong with the input; empty on success.
            pub user_errors: Vec<crate::graphql::errors::UserError>,
        }

        impl crate::graphql::listings::ListingObject for $record {
            type Object = $object;
            type Payload = $payload;
            const NODE_TYPE: crate::graphql::ids::NodeType = crate::graphql::ids::NodeType::$object;

            fn service(services: &crate::service::Services) -> &$service_type {
                &services.$service
            }

            fn object(view: $view) -> $object {
                $object(view)
            }

            fn payload(
                $field: Option<$object>,
                user_errors: Vec<crate::graphql::errors::UserError>,
            ) -> $payload {
                $payload {
                    $field,
                    user_errors,
                }
            }
        }
    };
}

pub mod achievements;
pub mod catalog;
pub mod filters;
pub mod needs;
pub mod organizations;

use crate::error::ServiceResult;
use crate::graphql::errors::{ResultExt, UserError, split};
use crate::graphql::ids::{self, NodeType};
use crate::service::listings::filters::ListingFilter;
use crate::service::listings::{Kind, ListingService};
use crate::service::{Actor, Page, Services, Window};
use async_graphql::{Context, ID, InputObject, Result};
use std::future::Future;

/// Names the listing a lifecycle mutation acts on.
#[derive(InputObject)]
pub struct ListingIdInput {
    /// Global id of the achievement or need.
    pub id: ID,
}

/// A kind of listing as the API shows it.
pub trait ListingObject: Kind {
    /// The GraphQL object of one listing.
    type Object;
    /// The payload of its mutations.
    type Payload;
    /// The node type of its global ids.
    const NODE_TYPE: NodeType;

    /// The kind's service.
    fn service(services: &Services) -> &ListingService<Self>;

    /// The object of one view.
    fn object(view: Self::View) -> Self::Object;

    /// A payload of the listing after the change (if written) and what was wrong with the input.
    fn payload(listing: Option<Self::Object>, user_errors: Vec<UserError>) -> Self::Payload;
}

/// A lifecycle step, as a mutation names it.
pub(crate) enum Step<'a> {
    /// Draft or withdrawn → live.
    Publish,
    /// Another period.
    Renew,
    /// Off the market.
    Withdraw,
    /// Closed for good.
    Close,
    /// Unpublished by an operator, with this reason.
    Moderate(&'a str),
}

/// Decodes a global id of `kind` and runs `call` with the row id; a bad id is a user error.
pub(crate) async fn on<T, F, Fut>(
    ctx: &Context<'_>,
    id: &ID,
    kind: NodeType,
    call: F,
) -> ServiceResult<T>
where
    F: FnOnce(i32) -> Fut,
    Fut: Future<Output = ServiceResult<T>>,
{
    call(ids::IdCodec::of(ctx).decode(id, kind)?).await
}

/// The services and the viewer of a request.
pub(crate) fn services_actor<'a>(ctx: &'a Context<'_>) -> Result<(&'a Services, &'a Actor)> {
    Ok((ctx.data::<Services>()?, ctx.data::<Actor>()?))
}

/// The payload of a listing mutation's result: input problems become user errors.
pub(crate) fn payload<K: ListingObject>(r: ServiceResult<K::View>) -> Result<K::Payload> {
    let (view, user_errors) = split(r)?;
    Ok(K::payload(view.map(K::object), user_errors))
}

/// Creates a draft of kind `K` owned by the organisation `owner_id`.
pub(crate) async fn create<K: ListingObject>(
    ctx: &Context<'_>,
    owner_id: &ID,
    input: &K::Input,
) -> Result<K::Payload> {
    let (s, actor) = services_actor(ctx)?;
    let r = on(ctx, owner_id, NodeType::Organization, |id| {
        K::service(s).create(actor, id, input)
    });
    payload::<K>(r.await)
}

/// Applies `patch` to the listing `id`.
pub(crate) async fn update<K: ListingObject>(
    ctx: &Context<'_>,
    id: &ID,
    patch: K::Patch,
) -> Result<K::Payload> {
    let (s, actor) = services_actor(ctx)?;
    let r = on(ctx, id, K::NODE_TYPE, |id| {
        K::service(s).update(actor, id, patch)
    });
    payload::<K>(r.await)
}

/// Moves the listing `id` one lifecycle step.
pub(crate) async fn step<K: ListingObject>(
    ctx: &Context<'_>,
    id: &ID,
    step: Step<'_>,
) -> Result<K::Payload> {
    let (s, actor) = services_actor(ctx)?;
    let service = K::service(s);
    let r = on(ctx, id, K::NODE_TYPE, |id| async move {
        match step {
            Step::Publish => service.publish(actor, id).await,
            Step::Renew => service.renew(actor, id).await,
            Step::Withdraw => service.withdraw(actor, id).await,
            Step::Close => service.close(actor, id).await,
            Step::Moderate(reason) => service.moderate(actor, id, reason).await,
        }
    });
    payload::<K>(r.await)
}

/// A page of listings of kind `K` that the viewer may list.
pub(crate) async fn list<K: ListingObject>(
    ctx: &Context<'_>,
    filter: &ListingFilter<K::Status>,
    window: Window,
) -> Result<Page<K::View>> {
    let (s, actor) = services_actor(ctx)?;
    K::service(s).list(actor, filter, window).await.gql()
}

/// The owner filter of a list: the organisation's row id, if one was given.
pub(crate) fn owner(ctx: &Context<'_>, id: Option<&ID>) -> Result<Vec<i32>> {
    Ok(id
        .map(|id| ids::IdCodec::of(ctx).decode(id, NodeType::Organization))
        .transpose()
        .gql()?
        .into_iter()
        .collect())
}
