//! GraphQL output types, each mapped from a domain record (never from a table row).

pub mod account;
pub mod achievement;
pub mod common;
pub mod connection;
pub mod need;
pub mod node;
pub mod organization;

pub use achievement::Achievement;
pub use need::Need;
pub use node::Node;
pub use organization::Organization;
