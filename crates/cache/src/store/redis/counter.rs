//! Fixed-window counters in Redis, shared by every instance (the rate limits count here, so N
//! instances do not allow N times the attempts).

use std::sync::LazyLock;
use std::time::Duration;

use fred::types::scripts::Script;

use super::RedisStore;
use crate::store::StoreError;

/// KEYS: counter. ARGV: window ms. Counts one hit; the window's first hit starts its expiry (a
/// key that somehow lost its expiry gets one too). Returns {hits in the window, ms left}.
const COUNT: &str = r"
local hits = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return {hits, left}
";

static SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::from_lua(COUNT));

impl RedisStore {
    /// Counts a hit on the counter `name` (already free of braces and spaces) in a window of
    /// `window`: the hits so far in this window, this one included, and the time left in it.
    pub(crate) async fn count(
        &self,
        name: &str,
        window: Duration,
    ) -> Result<(u64, Duration), StoreError> {
        let key = self.prefix.meta(&format!("rate:{name}"));
        let ms = window.as_millis().max(1).to_string();
        let reply: Vec<i64> = SCRIPT
            .evalsha_with_reload(&self.client(), vec![key], vec![ms])
            .await?;
        match reply[..] {
            [hits, left] => Ok((
                u64::try_from(hits).unwrap_or(0),
                Duration::from_millis(u64::try_from(left).unwrap_or(0)),
            )),
            _ => Err(StoreError::Protocol(format!(
                "a counter answered {reply:?}, not {{hits, ms left}}"
            ))),
        }
    }
}
