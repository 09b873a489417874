//! Shared fixed-window counters: what rate limits count with when instances share a store.

use std::time::Duration;

use sha2::{Digest, Sha256};

use super::Cache;
use crate::store::Store;

/// One hit counted by [`Cache::count_in_window`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowCount {
    /// Hits in the current window, this one included.
    pub hits: u64,
    /// Until the window ends.
    pub resets_in: Duration,
}

impl Cache {
    /// Counts a hit on `key` of the counter family `scope` (`login-address`, say) in a fixed
    /// window of `window`, in the store every instance shares. The key is hashed: a username or
    /// an address never appears in Redis as itself, and any text makes a valid key.
    ///
    /// `None` when there is nothing to share — the in-process store — or the store cannot be
    /// asked (breaker open, an error, logged and counted like every store command): the caller
    /// then counts in its own process, so a limit still holds per instance during an outage.
    pub async fn count_in_window(
        &self,
        scope: &str,
        key: &str,
        window: Duration,
    ) -> Option<WindowCount> {
        let Store::Redis(redis) = &self.inner.store else {
            return None;
        };
        if self.inner.breaker.is_open() {
            return None;
        }
        let digest = Sha256::digest(key.as_bytes());
        let hashed: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        let name = format!("{scope}:{hashed}");
        let (hits, resets_in) = self
            .call("count", None, redis.count(&name, window))
            .await
            .ok()?;
        Some(WindowCount { hits, resets_in })
    }
}
