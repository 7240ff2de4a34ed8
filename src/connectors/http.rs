//! What every market call goes through: a timeout, the market's request rate, retries with
//! exponential backoff and full jitter for requests that are safe to repeat, `429` with
//! `Retry-After` honoured, and a circuit breaker that stops calling a market that keeps
//! failing.

use super::ConnectorError;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use serde::{Deserialize, Serialize};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Resilience settings of one market (`[connectors.<market>]` in the configuration).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Resilience {
    /// Per-request timeout, milliseconds.
    pub timeout_ms: u64,
    /// Attempts per request (first try included).
    pub attempts: u32,
    /// First backoff, milliseconds; doubles per attempt, with full jitter.
    pub base_delay_ms: u64,
    /// Longest backoff or `Retry-After` wait, milliseconds.
    pub max_delay_ms: u64,
    /// Requests per second we allow ourselves.
    pub per_second: u32,
    /// Consecutive failed attempts that open the breaker.
    pub breaker_threshold: u32,
    /// How long an open breaker refuses calls, milliseconds.
    pub breaker_cooldown_ms: u64,
}

impl Default for Resilience {
    fn default() -> Self {
        Self {
            timeout_ms: 10_000,
            attempts: 5,
            base_delay_ms: 200,
            max_delay_ms: 30_000,
            per_second: 5,
            breaker_threshold: 8,
            breaker_cooldown_ms: 60_000,
        }
    }
}

/// Whether a request may be sent again after a failure the market may have half-processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// GET, PUT, DELETE and keyed POSTs: repeat on 5xx and timeouts.
    Idempotent,
    /// Only a `429` (not processed) is repeated.
    OnlyWhenRefused,
}

/// Consecutive-failure circuit breaker; time is passed in so it is tested without waiting.
#[derive(Debug, Default)]
pub struct Breaker {
    failures: u32,
    open_until: Option<Instant>,
}

impl Breaker {
    /// Whether a call may go out at `now` (an expired open breaker lets one probe through).
    pub fn allows(&self, now: Instant) -> bool {
        self.open_until.is_none_or(|until| now >= until)
    }

    /// Records a success: closes the breaker.
    pub fn succeeded(&mut self) {
        self.failures = 0;
        self.open_until = None;
    }

    /// Records a failure; returns true when this opened the breaker.
    pub fn failed(&mut self, now: Instant, threshold: u32, cooldown: Duration) -> bool {
        self.failures += 1;
        if self.failures >= threshold {
            self.open_until = Some(now + cooldown);
            self.failures = 0;
            return true;
        }
        false
    }
}

/// Full-jitter exponential backoff before attempt `attempt` (1-based retries).
pub fn backoff(attempt: u32, base: Duration, max: Duration, random: u64) -> Duration {
    let ceiling = base
        .saturating_mul(1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX))
        .min(max);
    let ms = ceiling.as_millis() as u64;
    Duration::from_millis(if ms == 0 { 0 } else { random % (ms + 1) })
}

fn random() -> u64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut x = STATE.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed) ^ seed;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}

/// Makes rustls use the ring provider (already built for the database driver) for every HTTP
/// client in the process; call before building one. Idempotent.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// An HTTP client for one market.
#[derive(Debug)]
pub struct MarketClient {
    name: &'static str,
    http: reqwest::Client,
    limiter: DefaultDirectRateLimiter,
    breaker: Mutex<Breaker>,
    settings: Resilience,
}

impl MarketClient {
    /// A client for market `name` with these settings.
    pub fn new(name: &'static str, settings: Resilience) -> anyhow::Result<Self> {
        install_crypto();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(settings.timeout_ms.max(1)))
            .user_agent(concat!("qianxian/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let quota = Quota::per_second(NonZeroU32::new(settings.per_second.max(1)).expect("≥ 1"));
        Ok(Self {
            name,
            http,
            limiter: RateLimiter::direct(quota),
            breaker: Mutex::new(Breaker::default()),
            settings,
        })
    }

    /// The underlying client, to build requests.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Sends the request `build` makes (called again for each attempt) and returns the first
    /// answer that is not a `429` or, for repeatable requests, a `5xx`. `4xx` answers are
    /// returned for the caller to read.
    pub async fn send(
        &self,
        build: impl Fn() -> reqwest::RequestBuilder,
        retry: Retry,
    ) -> Result<reqwest::Response, ConnectorError> {
        let s = &self.settings;
        let max_delay = Duration::from_millis(s.max_delay_ms);
        let mut last = String::new();
        for attempt in 0..s.attempts.max(1) {
            if attempt > 0 {
                let wait = backoff(
                    attempt,
                    Duration::from_millis(s.base_delay_ms),
                    max_delay,
                    random(),
                );
                tokio::time::sleep(wait).await;
            }
            if !self.lock().allows(Instant::now()) {
                return Err(ConnectorError::CircuitOpen(self.name.to_owned()));
            }
            self.limiter.until_ready().await;
            match build().send().await {
                Ok(resp) if resp.status().as_u16() == 429 => {
                    let wait = retry_after(&resp)
                        .unwrap_or(Duration::from_millis(s.base_delay_ms))
                        .min(max_delay);
                    tracing::info!(
                        market = self.name,
                        wait_ms = wait.as_millis() as u64,
                        "market asked us to slow down"
                    );
                    last = "429 Too Many Requests".into();
                    tokio::time::sleep(wait).await;
                }
                Ok(resp) if resp.status().is_server_error() => {
                    last = format!("HTTP {}", resp.status().as_u16());
                    self.failure();
                    if retry == Retry::OnlyWhenRefused {
                        break;
                    }
                }
                Ok(resp) => {
                    self.lock().succeeded();
                    return Ok(resp);
                }
                Err(err) => {
                    last = if err.is_timeout() {
                        "请求超时".to_owned()
                    } else {
                        format!("连接失败：{err}")
                    };
                    self.failure();
                    if retry == Retry::OnlyWhenRefused && !err.is_connect() {
                        break;
                    }
                }
            }
            tracing::debug!(market = self.name, attempt, error = %last, "market call failed; retrying");
        }
        Err(ConnectorError::Unavailable(format!(
            "{}：{last}",
            self.name
        )))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Breaker> {
        self.breaker.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn failure(&self) {
        let s = &self.settings;
        if self.lock().failed(
            Instant::now(),
            s.breaker_threshold.max(1),
            Duration::from_millis(s.breaker_cooldown_ms),
        ) {
            tracing::warn!(
                market = self.name,
                cooldown_ms = s.breaker_cooldown_ms,
                "circuit breaker opened"
            );
        }
    }
}

fn retry_after(resp: &reqwest::Response) -> Option<Duration> {
    resp.headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_its_ceiling_with_jitter_below_it() {
        let base = Duration::from_millis(100);
        let max = Duration::from_millis(1_000);
        assert_eq!(
            backoff(1, base, max, u64::MAX),
            Duration::from_millis(u64::MAX % 201)
        );
        for attempt in 1..10 {
            for r in [0, 7, 12_345, u64::MAX] {
                let ceiling = (100u64 << attempt).min(1_000);
                assert!(backoff(attempt, base, max, r) <= Duration::from_millis(ceiling));
            }
        }
        assert_eq!(backoff(3, base, max, 0), Duration::ZERO);
    }

    #[test]
    fn the_breaker_opens_after_consecutive_failures_and_lets_a_probe_through_later() {
        let t0 = Instant::now();
        let cooldown = Duration::from_secs(60);
        let mut b = Breaker::default();
        assert!(!b.failed(t0, 3, cooldown));
        b.succeeded();
        assert!(!b.failed(t0, 3, cooldown));
        assert!(!b.failed(t0, 3, cooldown));
        assert!(
            b.failed(t0, 3, cooldown),
            "third consecutive failure opens it"
        );
        assert!(!b.allows(t0 + Duration::from_secs(59)));
        assert!(
            b.allows(t0 + Duration::from_secs(60)),
            "half-open after the cooldown"
        );
        b.succeeded();
        assert!(b.allows(t0));
    }
}
