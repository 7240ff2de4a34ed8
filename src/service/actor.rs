//! Who a service call acts for.

/// The caller of a service.
///
/// Accounts and roles arrive with the accounts issue; until then a request over HTTP acts as
/// [`Actor::Anonymous`] and the command line (seeding, maintenance) acts as [`Actor::System`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A visitor without credentials.
    Anonymous,
    /// The service itself: command-line tools, seeding, background jobs.
    System,
}
