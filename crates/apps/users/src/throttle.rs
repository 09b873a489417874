//! Login throttling, as DRF's `ScopedRateThrottle` on a login view: a fixed window per client
//! address and per username. Guessing passwords from one address is slowed by the first, a
//! spread-out guess at one account by the second.
//!
//! Each map is a [`WindowLimit`]: bounded in keys, forgetting a window when it ends, never
//! scanned.

use std::net::IpAddr;
use std::time::Duration;

use strata_api::{ApiError, WindowLimit};

/// Login attempts per client address per [`WINDOW`].
pub const PER_ADDRESS: u32 = 10;
/// Login attempts per username per [`WINDOW`], whatever the address.
pub const PER_USERNAME: u32 = 5;
pub const WINDOW: Duration = Duration::from_secs(60);
/// Clients or usernames remembered at once; past it the least recently used are forgotten.
const CAPACITY: u64 = 100_000;

/// The login throttle: one per router, so each application (and test) counts on its own.
pub struct LoginThrottle {
    addresses: WindowLimit<IpAddr>,
    usernames: WindowLimit<String>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self::new(PER_ADDRESS, PER_USERNAME)
    }
}

impl LoginThrottle {
    pub fn new(per_address: u32, per_username: u32) -> Self {
        LoginThrottle {
            addresses: WindowLimit::new(per_address, WINDOW, CAPACITY),
            usernames: WindowLimit::new(per_username, WINDOW, CAPACITY),
        }
    }

    /// Counts a login attempt; a 429 with the wait (`Retry-After`) once either window is used
    /// up. An address over its limit does not use up the username's window, so one noisy
    /// client cannot lock an account out by itself faster than the username limit allows.
    pub fn check(&self, client: IpAddr, username: &str) -> Result<(), ApiError> {
        self.addresses
            .hit(network(client))
            .and_then(|()| self.usernames.hit(username.to_owned()))
            .map_err(ApiError::Throttled)
    }
}

/// An IPv6 client usually holds a whole /64: counting per address would give it 2^64 budgets.
fn network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
        v4 => v4,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn wait(result: Result<(), ApiError>) -> Duration {
        match result {
            Err(ApiError::Throttled(wait)) => wait,
            other => panic!("expected a 429, got {other:?}"),
        }
    }

    #[test]
    fn each_address_has_its_own_window() {
        let throttle = LoginThrottle::new(3, 100);
        for n in 0..3 {
            throttle
                .check(ip("198.51.100.1"), &format!("u{n}"))
                .unwrap();
        }
        let waited = wait(throttle.check(ip("198.51.100.1"), "u9"));
        assert!(
            waited > Duration::from_secs(55) && waited <= WINDOW,
            "{waited:?}"
        );
        throttle.check(ip("198.51.100.2"), "u9").unwrap();
    }

    #[test]
    fn each_username_has_its_own_window_across_addresses() {
        let throttle = LoginThrottle::new(100, 2);
        throttle.check(ip("198.51.100.1"), "mina").unwrap();
        throttle.check(ip("198.51.100.2"), "mina").unwrap();
        wait(throttle.check(ip("198.51.100.3"), "mina"));
        throttle.check(ip("198.51.100.3"), "sara").unwrap();
    }

    #[test]
    fn an_ipv6_client_counts_per_64_block() {
        let throttle = LoginThrottle::new(1, 100);
        throttle.check(ip("2001:db8:1:2::1"), "a").unwrap();
        wait(throttle.check(ip("2001:db8:1:2:ffff::9"), "b"));
        throttle.check(ip("2001:db8:1:3::1"), "c").unwrap();
    }

    #[test]
    fn a_throttled_address_does_not_use_up_the_username() {
        let throttle = LoginThrottle::new(1, 2);
        throttle.check(ip("198.51.100.1"), "mina").unwrap();
        for _ in 0..5 {
            wait(throttle.check(ip("198.51.100.1"), "mina"));
        }
        throttle.check(ip("198.51.100.2"), "mina").unwrap();
    }
}
