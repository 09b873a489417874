//! Who is calling, as every rate limit must see it — the socket's peer, or, only when that peer
//! is one of the deployment's own proxies, the client those proxies name in `X-Forwarded-For` —
//! and the bounded fixed-window limit those rate limits count with.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use axum::extract::connect_info::MockConnectInfo;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap};
use ipnet::IpNet;

use crate::context::Ctx;
use crate::error::ApiError;

const FORWARDED_FOR: &str = "x-forwarded-for";
const FORWARDED_PROTO: &str = "x-forwarded-proto";

/// The proxies whose `X-Forwarded-For` is believed (`trusted_proxies`: addresses or CIDR
/// blocks). Empty by default: the header is then ignored, since any client can send it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses `10.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8`; the error names the bad entry.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, String> {
        entries
            .iter()
            .map(|entry| {
                let entry = entry.as_ref().trim();
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("`{entry}` is neither an IP address nor a CIDR block"))
            })
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client behind `peer`: `X-Forwarded-For` is read right to left (each proxy appends
    /// the address it received from), skipping trusted proxies; the first untrusted entry is
    /// the client. Entries left of it were written by the client itself and are never believed.
    /// A malformed entry stops the walk at the last address a trusted proxy vouched for.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = canonical(peer);
        if !self.contains(client) {
            return client;
        }
        // Several headers are one comma-separated list, in order (RFC 9110 §5.3).
        let hops = headers
            .get_all(FORWARDED_FOR)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .collect::<Vec<_>>();
        for hop in hops.into_iter().rev() {
            let Some(ip) = parse_hop(hop) else {
                break;
            };
            client = ip;
            if !self.contains(ip) {
                break;
            }
        }
        client
    }
}

/// An entry as proxies write it: `203.0.113.7`, `2001:db8::1`, or with a port
/// (`203.0.113.7:4711`, `[2001:db8::1]:4711`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|addr| addr.ip()))
        .ok()
        .map(canonical)
}

/// `::ffff:10.0.0.1` (an IPv4 client on a dual-stack socket) is `10.0.0.1`, so one client has
/// one address whichever way it connected.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// The calling client's address, as every rate limit keys it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientAddr(pub IpAddr);

impl ClientAddr {
    /// From a request's extensions (the server's `ConnectInfo<SocketAddr>`) and headers. A
    /// request without the peer address is a wiring mistake, not the client's: a 500, rather
    /// than one shared bucket for every client.
    pub fn of(
        extensions: &Extensions,
        headers: &HeaderMap,
        trusted: &TrustedProxies,
    ) -> Result<Self, ApiError> {
        let peer = peer(extensions)
            .ok_or_else(|| ApiError::internal("no ConnectInfo<SocketAddr>: the peer is unknown"))?;
        Ok(ClientAddr(trusted.client(peer.ip(), headers)))
    }
}

/// The socket's peer, as the server (or axum's stand-in for in-process tests) recorded it.
fn peer(extensions: &Extensions) -> Option<SocketAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| *peer)
        .or_else(|| {
            extensions
                .get::<MockConnectInfo<SocketAddr>>()
                .map(|MockConnectInfo(peer)| *peer)
        })
}

/// Whether a trusted proxy says the client reached it over HTTPS (`X-Forwarded-Proto: https`,
/// the value the nearest proxy appended). From any other peer the header is ignored: anyone can
/// send it.
pub fn forwarded_https(
    extensions: &Extensions,
    headers: &HeaderMap,
    trusted: &TrustedProxies,
) -> bool {
    let from_proxy = peer(extensions).is_some_and(|peer| trusted.contains(peer.ip()));
    from_proxy
        && headers
            .get_all(FORWARDED_PROTO)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .next_back()
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

impl FromRequestParts<Ctx> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, ctx: &Ctx) -> Result<Self, ApiError> {
        Self::of(
            &parts.extensions,
            &parts.headers,
            &ctx.settings.trusted_proxies,
        )
    }
}

/// A fixed-window limit per key (a client address, a username): `per_window` hits per
/// `window`. Each key's window is a cache entry living one window from its first hit, so
/// nothing is ever scanned to forget old ones; the cache bounds how many keys are held, and
/// evicts the least recently used (moka's default policy may refuse to admit a new key, which
/// would leave that key uncounted).
pub struct WindowLimit<K> {
    per_window: u32,
    window: Duration,
    windows: moka::sync::Cache<K, Arc<Window>>,
}

struct Window {
    start: Instant,
    used: AtomicU32,
}

impl<K> WindowLimit<K>
where
    K: std::hash::Hash + Eq + Send + Sync + 'static,
{
    pub fn new(per_window: u32, window: Duration, max_keys: u64) -> Self {
        WindowLimit {
            per_window,
            window,
            windows: moka::sync::Cache::builder()
                .max_capacity(max_keys)
                .eviction_policy(moka::policy::EvictionPolicy::lru())
                .time_to_live(window)
                .build(),
        }
    }

    /// Counts a hit; `Err(wait)` until the key's window ends once it is used up.
    pub fn hit(&self, key: K) -> Result<(), Duration> {
        let window = self.windows.get_with(key, || {
            Arc::new(Window {
                start: Instant::now(),
                used: AtomicU32::new(0),
            })
        });
        if window.used.fetch_add(1, Ordering::Relaxed) < self.per_window {
            Ok(())
        } else {
            Err(self.window.saturating_sub(window.start.elapsed()))
        }
    }
}

/// A fixed-window limit that every instance counts together: through the cache's store when it
/// is Redis (one counter per key there, so N instances do not allow N times the hits), in this
/// process on the embedded default — and also while Redis cannot be asked, so a limit still
/// holds per instance during an outage.
pub struct SharedLimit {
    /// The counters' family in the store (`login-address`…): limits never share counters.
    scope: &'static str,
    per_window: u32,
    window: Duration,
    local: WindowLimit<String>,
}

impl SharedLimit {
    pub fn new(scope: &'static str, per_window: u32, window: Duration, max_keys: u64) -> Self {
        SharedLimit {
            scope,
            per_window,
            window,
            local: WindowLimit::new(per_window, window, max_keys),
        }
    }

    /// Counts a hit on `key`; `Err(wait)` until its window ends once it is used up.
    pub async fn hit(&self, ctx: &Ctx, key: String) -> Result<(), Duration> {
        match ctx
            .cache
            .count_in_window(self.scope, &key, self.window)
            .await
        {
            Some(count) if count.hits <= u64::from(self.per_window) => Ok(()),
            Some(count) => Err(count.resets_in),
            None => self.local.hit(key),
        }
    }
}

/// The opt-in limit on uncached requests (`web.uncached_per_minute`): once an address has made
/// that many requests no cache answered in a window (counted together by every instance, as a
/// [`SharedLimit`]), this instance refuses its public reads until the window ends. A request is
/// only known to be uncached once answered, so the one that passes the limit is served and the
/// refusals start with the next.
pub struct MissLimit {
    misses: SharedLimit,
    /// Addresses refused here, each until its window ends; bounded like the windows.
    refused: moka::sync::Cache<IpAddr, Instant>,
}

impl MissLimit {
    pub const WINDOW: Duration = Duration::from_secs(60);

    pub fn new(per_minute: u32) -> Self {
        const CAPACITY: u64 = 100_000;
        MissLimit {
            misses: SharedLimit::new("uncached", per_minute, Self::WINDOW, CAPACITY),
            refused: moka::sync::Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(Self::WINDOW)
                .build(),
        }
    }

    /// How long `client` is still refused, if it is.
    pub fn refused(&self, client: IpAddr) -> Option<Duration> {
        let until = self.refused.get(&client)?;
        let wait = until.saturating_duration_since(Instant::now());
        (!wait.is_zero()).then_some(wait)
    }

    /// Counts an uncached request of `client`; past the limit it is refused from now on.
    pub async fn missed(&self, ctx: &Ctx, client: IpAddr) {
        if let Err(wait) = self.misses.hit(ctx, client.to_string()).await {
            self.refused.insert(client, Instant::now() + wait);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(FORWARDED_FOR, HeaderValue::from_str(v).unwrap());
        }
        headers
    }

    #[test]
    fn parses_addresses_and_blocks_and_names_a_bad_entry() {
        let trusted = TrustedProxies::parse(&["10.0.0.0/8", " 192.168.1.1 ", "::1"]).unwrap();
        assert!(trusted.contains(ip("10.1.2.3")));
        assert!(trusted.contains(ip("192.168.1.1")));
        assert!(!trusted.contains(ip("192.168.1.2")));
        assert!(trusted.contains(ip("::1")));
        assert!(trusted.contains(ip("::ffff:10.0.0.9")), "IPv4-mapped");
        let err = TrustedProxies::parse(&["10.0.0.0/33"]).unwrap_err();
        assert!(err.contains("10.0.0.0/33"), "{err}");
        assert!(TrustedProxies::parse(&["proxy.internal"]).is_err());
    }

    #[test]
    fn the_header_is_ignored_unless_the_peer_is_trusted() {
        let none = TrustedProxies::default();
        let headers = xff(&["1.2.3.4"]);
        assert_eq!(none.client(ip("203.0.113.9"), &headers), ip("203.0.113.9"));
        let trusted = TrustedProxies::parse(&["10.0.0.1"]).unwrap();
        assert_eq!(
            trusted.client(ip("203.0.113.9"), &headers),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn the_right_most_untrusted_entry_is_the_client() {
        let trusted = TrustedProxies::parse(&["10.0.0.0/8"]).unwrap();
        // The client forged the first entry; the two proxies appended the rest.
        let headers = xff(&["6.6.6.6, 198.51.100.7", "10.0.0.2"]);
        assert_eq!(trusted.client(ip("10.0.0.1"), &headers), ip("198.51.100.7"));
        assert_eq!(
            trusted.client(ip("10.0.0.1"), &xff(&["[2001:db8::5]:443"])),
            ip("2001:db8::5")
        );
        assert_eq!(
            trusted.client(ip("10.0.0.1"), &xff(&["198.51.100.7:8080"])),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn without_an_untrusted_entry_the_last_vouched_address_is_used() {
        let trusted = TrustedProxies::parse(&["10.0.0.0/8"]).unwrap();
        assert_eq!(
            trusted.client(ip("10.0.0.1"), &HeaderMap::new()),
            ip("10.0.0.1")
        );
        assert_eq!(
            trusted.client(ip("10.0.0.1"), &xff(&["10.0.0.3"])),
            ip("10.0.0.3")
        );
        // Garbage stops the walk: the forger cannot pick an address by breaking the list.
        assert_eq!(
            trusted.client(ip("10.0.0.1"), &xff(&["7.7.7.7, nonsense, 10.0.0.4"])),
            ip("10.0.0.4")
        );
    }

    #[test]
    fn a_key_is_limited_to_its_window() {
        let limit = WindowLimit::new(2, Duration::from_secs(60), 100);
        limit.hit("a").unwrap();
        limit.hit("a").unwrap();
        let wait = limit.hit("a").unwrap_err();
        assert!(wait > Duration::from_secs(59) && wait <= Duration::from_secs(60));
        limit.hit("b").unwrap();
    }

    #[test]
    fn the_keys_held_stay_bounded_and_a_new_key_is_always_counted() {
        let limit = WindowLimit::new(1, Duration::from_secs(60), 1_000);
        for n in 0..5_000u32 {
            let _ = limit.hit(n);
        }
        // moka evicts in batches: let it catch up.
        for _ in 0..100 {
            limit.windows.run_pending_tasks();
        }
        assert!(limit.windows.entry_count() <= 1_000);
        assert!(limit.hit(4_999).is_err(), "the newest key kept its count");
    }

    #[test]
    fn a_request_without_a_peer_is_a_server_error() {
        let err = ClientAddr::of(
            &Extensions::new(),
            &HeaderMap::new(),
            &TrustedProxies::default(),
        )
        .unwrap_err();
        assert_eq!(err.status(), axum::http::StatusCode::INTERNAL_SERVER_ERROR);
    }
}
