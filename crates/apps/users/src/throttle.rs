//! Login throttling, as DRF's `ScopedRateThrottle` on a login view — without handing attackers
//! a lockout. Three fixed windows:
//!
//! - per client address (an IPv6 client per /64): guessing from one place is slowed whatever
//!   the usernames;
//! - per username, for clients **not** known to that user: a guess spread over many addresses
//!   is slowed too;
//! - per device, for a browser holding the user's device cookie ([`crate::device`]): it is
//!   counted on its own, so nobody else's attempts can stop a user on a device they have
//!   logged in from before.
//!
//! Every window is a [`SharedLimit`]: counted in Redis when the deployment has one (every
//! instance counts together), in process otherwise. Bounded in keys, never scanned.

use std::net::IpAddr;
use std::time::Duration;

use strata_api::{ApiError, Ctx, SharedLimit};

/// Login attempts per client address per [`WINDOW`].
pub const PER_ADDRESS: u32 = 10;
/// Login attempts per username per [`WINDOW`] from clients without the user's device cookie.
pub const PER_USERNAME: u32 = 5;
/// Login attempts per device cookie per [`WINDOW`].
pub const PER_DEVICE: u32 = 10;
pub const WINDOW: Duration = Duration::from_secs(60);
/// Clients, usernames or devices remembered at once in process; past it the least recently
/// used are forgotten.
const CAPACITY: u64 = 100_000;

/// Who is attempting a login for an account, as far as the throttle can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claimant<'a> {
    /// No device cookie of this user: counted in the username's window.
    Unknown,
    /// A browser holding this user's device cookie; its nonce.
    KnownDevice(&'a str),
}

/// The login throttle: one per router, so each application (and test) counts on its own in
/// process; through Redis every instance of a deployment counts together.
pub struct LoginThrottle {
    addresses: SharedLimit,
    usernames: SharedLimit,
    devices: SharedLimit,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self::new(PER_ADDRESS, PER_USERNAME, PER_DEVICE)
    }
}

impl LoginThrottle {
    pub fn new(per_address: u32, per_username: u32, per_device: u32) -> Self {
        LoginThrottle {
            addresses: SharedLimit::new("login-address", per_address, WINDOW, CAPACITY),
            usernames: SharedLimit::new("login-username", per_username, WINDOW, CAPACITY),
            devices: SharedLimit::new("login-device", per_device, WINDOW, CAPACITY),
        }
    }

    /// Counts an attempt from `client`; a 429 with the wait (`Retry-After`) once its window is
    /// used up. Checked before anything else, so a throttled client costs no database read.
    pub async fn check_address(&self, ctx: &Ctx, client: IpAddr) -> Result<(), ApiError> {
        self.addresses
            .hit(ctx, network(client).to_string())
            .await
            .map_err(ApiError::Throttled)
    }

    /// Counts an attempt at `username`: in the device's window for a known device, else in the
    /// username's. An address already throttled never gets here, so one noisy client cannot
    /// use up a username's window faster than its own limit allows.
    pub async fn check_account(
        &self,
        ctx: &Ctx,
        username: &str,
        claimant: Claimant<'_>,
    ) -> Result<(), ApiError> {
        let counted = match claimant {
            Claimant::KnownDevice(nonce) => self.devices.hit(ctx, nonce.to_owned()).await,
            Claimant::Unknown => self.usernames.hit(ctx, username.to_owned()).await,
        };
        counted.map_err(ApiError::Throttled)
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
    use strata_api::ApiSettings;

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

    async fn with_ctx(test: impl AsyncFnOnce(&Ctx)) {
        let db = strata_db::testing::sqlite("strata_users_throttle").await;
        let t = strata_api::testing::ctx(&db.db, ApiSettings::default());
        test(&t.ctx).await;
        db.close().await;
    }

    #[tokio::test]
    async fn each_address_has_its_own_window() {
        with_ctx(async |ctx| {
            let throttle = LoginThrottle::new(3, 100, 100);
            for _ in 0..3 {
                throttle
                    .check_address(ctx, ip("198.51.100.1"))
                    .await
                    .unwrap();
            }
            let waited = wait(throttle.check_address(ctx, ip("198.51.100.1")).await);
            assert!(
                waited > Duration::from_secs(55) && waited <= WINDOW,
                "{waited:?}"
            );
            throttle
                .check_address(ctx, ip("198.51.100.2"))
                .await
                .unwrap();
        })
        .await;
    }

    #[tokio::test]
    async fn an_ipv6_client_counts_per_64_block() {
        with_ctx(async |ctx| {
            let throttle = LoginThrottle::new(1, 100, 100);
            throttle
                .check_address(ctx, ip("2001:db8:1:2::1"))
                .await
                .unwrap();
            wait(
                throttle
                    .check_address(ctx, ip("2001:db8:1:2:ffff::9"))
                    .await,
            );
            throttle
                .check_address(ctx, ip("2001:db8:1:3::1"))
                .await
                .unwrap();
        })
        .await;
    }

    #[tokio::test]
    async fn unknown_clients_share_the_username_window_and_known_devices_do_not() {
        with_ctx(async |ctx| {
            let throttle = LoginThrottle::new(100, 2, 2);
            for _ in 0..2 {
                throttle
                    .check_account(ctx, "mina", Claimant::Unknown)
                    .await
                    .unwrap();
            }
            wait(throttle.check_account(ctx, "mina", Claimant::Unknown).await);
            throttle
                .check_account(ctx, "sara", Claimant::Unknown)
                .await
                .unwrap();
            // Mina's own browser is not stopped by the others' attempts…
            let device = Claimant::KnownDevice("a1");
            throttle.check_account(ctx, "mina", device).await.unwrap();
            throttle.check_account(ctx, "mina", device).await.unwrap();
            // …but has a window of its own.
            wait(throttle.check_account(ctx, "mina", device).await);
            let other = Claimant::KnownDevice("b2");
            throttle.check_account(ctx, "mina", other).await.unwrap();
        })
        .await;
    }
}
