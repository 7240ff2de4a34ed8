//! Request rate limits per client address and per token (token buckets refilled per minute).

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

/// The limiters of one running service.
pub struct RateLimits {
    by_address: DefaultKeyedRateLimiter<IpAddr>,
    by_token: DefaultKeyedRateLimiter<i64>,
}

impl RateLimits {
    /// Limits of `per_address` and `per_token` requests per minute (0 means 1).
    pub fn new(per_address: u32, per_token: u32) -> Self {
        let quota =
            |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN));
        Self {
            by_address: RateLimiter::keyed(quota(per_address)),
            by_token: RateLimiter::keyed(quota(per_token)),
        }
    }

    /// `Err(wait)` when the address is over its limit.
    pub fn check_address(&self, addr: IpAddr) -> Result<(), Duration> {
        self.by_address
            .check_key(&addr)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// `Err(wait)` when the token is over its limit.
    pub fn check_token(&self, token_id: i64) -> Result<(), Duration> {
        self.by_token
            .check_key(&token_id)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Forgets clients whose buckets are full again, so memory stays bounded.
    pub fn forget_idle(&self) {
        self.by_address.retain_recent();
        self.by_token.retain_recent();
    }
}
