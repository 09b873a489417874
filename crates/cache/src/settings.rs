//! The engine's settings, with the policy's defaults. Loaded by the binary from `strata.toml` and
//! `STRATA_CACHE__*` variables; every number an operator may tune lives here, nowhere else.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// The TTL matrix (policy §7, brief §5.8), in seconds: one table, overridable by config.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct TtlPolicy {
    pub public_list: u64,
    pub public_detail: u64,
    pub taxonomy: u64,
    pub admin_list: u64,
}

impl Default for TtlPolicy {
    fn default() -> Self {
        TtlPolicy {
            public_list: 120,
            public_detail: 300,
            taxonomy: 30 * 60,
            admin_list: 30,
        }
    }
}

/// What kind of endpoint a cached value serves; the TTL comes from [`TtlPolicy`]. Admin CRUD has
/// no class on purpose: it is never cached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TtlClass {
    PublicList,
    PublicDetail,
    Taxonomy,
    AdminList,
}

impl TtlPolicy {
    pub fn of(&self, class: TtlClass) -> Duration {
        Duration::from_secs(match class {
            TtlClass::PublicList => self.public_list,
            TtlClass::PublicDetail => self.public_detail,
            TtlClass::Taxonomy => self.taxonomy,
            TtlClass::AdminList => self.admin_list,
        })
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct RedisSettings {
    /// Connections in the pool; django-redis's `max_connections` was 50, and fred multiplexes
    /// commands over each connection, so a handful serves a busy instance.
    pub pool_size: usize,
    pub connect_timeout_ms: u64,
    pub command_timeout_ms: u64,
    /// PEM CA bundle trusted for `rediss://`, on top of the Mozilla roots built in.
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate chain and its private key, for servers that require mutual TLS.
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
}

impl RedisSettings {
    /// Whether any TLS file is configured: then a plain-text URL is a mistake, not a choice.
    pub(crate) fn has_tls_files(&self) -> bool {
        self.ca_file.is_some() || self.cert_file.is_some() || self.key_file.is_some()
    }
}

impl Default for RedisSettings {
    fn default() -> Self {
        RedisSettings {
            pool_size: 8,
            connect_timeout_ms: 5_000,
            command_timeout_ms: 5_000,
            ca_file: None,
            cert_file: None,
            key_file: None,
        }
    }
}

/// The near-cache: each instance's copy of hot public values in front of Redis (see
/// `docs/ARCHITECTURE.md`). Only with Redis: the in-process store is already near.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct NearSettings {
    pub enabled: bool,
    /// Bytes of values it may hold (keys and bookkeeping come on top).
    pub capacity_bytes: u64,
    /// Public namespaces kept out of it (`public:property:list`).
    pub exclude: Vec<String>,
    /// How long a read waits for invalidation notices published before it arrived, before it
    /// empties the near-cache instead.
    pub wait_ms: u64,
}

impl Default for NearSettings {
    fn default() -> Self {
        NearSettings {
            enabled: true,
            capacity_bytes: 64 * 1024 * 1024,
            exclude: Vec::new(),
            wait_ms: 100,
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct CacheSettings {
    /// django-redis's `KEY_PREFIX` is `<ENV>:<project>`.
    pub project: String,
    /// django-redis's `VERSION`.
    pub version: u32,
    pub ttl: TtlPolicy,
    pub redis: RedisSettings,
    /// How long a filler holds a key's lease; a filler slower than this loses it (fencing).
    pub lease_ms: u64,
    /// How long a request waits for another filler before it loads without filling.
    pub fill_wait_ms: u64,
    /// Consecutive store failures that open the circuit breaker.
    pub breaker_threshold: u32,
    /// How often an open breaker probes the store (half-open) and replays invalidations.
    pub probe_interval_ms: u64,
    /// Invalidations kept while the store is unreachable; past this, exact keys collapse into
    /// their namespaces (see `docs/ARCHITECTURE.md`).
    pub replay_capacity: usize,
    /// One ERROR line per command and interval, with a count of the ones suppressed.
    pub error_log_interval_ms: u64,
    /// How often every instance re-reads the namespace flags (must stay under 1 s).
    pub flag_refresh_ms: u64,
    /// Bytes the in-process store may hold.
    pub memory_capacity_bytes: u64,
    pub near: NearSettings,
}

impl Default for CacheSettings {
    fn default() -> Self {
        CacheSettings {
            project: "myproject".into(),
            version: 1,
            ttl: TtlPolicy::default(),
            redis: RedisSettings::default(),
            lease_ms: 10_000,
            fill_wait_ms: 3_000,
            breaker_threshold: 5,
            probe_interval_ms: 1_000,
            replay_capacity: 10_000,
            error_log_interval_ms: 10_000,
            flag_refresh_ms: 500,
            memory_capacity_bytes: 256 * 1024 * 1024,
            near: NearSettings::default(),
        }
    }
}

impl CacheSettings {
    /// Checks what serde cannot: every complaint, one per line, for a clear start-up error.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut errors = Vec::new();
        if self.project.is_empty() || self.project.contains(char::is_whitespace) {
            errors.push("cache.project must be a non-empty word".to_owned());
        }
        if !(1..=50).contains(&self.redis.pool_size) {
            errors.push("cache.redis.pool_size must be between 1 and 50".to_owned());
        }
        if self.redis.cert_file.is_some() != self.redis.key_file.is_some() {
            errors.push(
                "cache.redis.cert_file and cache.redis.key_file go together (mutual TLS): set both or neither"
                    .to_owned(),
            );
        }
        for (name, value) in [
            (
                "cache.redis.connect_timeout_ms",
                self.redis.connect_timeout_ms,
            ),
            (
                "cache.redis.command_timeout_ms",
                self.redis.command_timeout_ms,
            ),
            ("cache.lease_ms", self.lease_ms),
            ("cache.probe_interval_ms", self.probe_interval_ms),
            ("cache.error_log_interval_ms", self.error_log_interval_ms),
        ] {
            if value == 0 {
                errors.push(format!("{name} must be greater than 0"));
            }
        }
        if self.fill_wait_ms > self.lease_ms {
            errors.push("cache.fill_wait_ms must not exceed cache.lease_ms".to_owned());
        }
        if self.flag_refresh_ms == 0 || self.flag_refresh_ms > 1_000 {
            errors.push("cache.flag_refresh_ms must be between 1 and 1000".to_owned());
        }
        if self.breaker_threshold == 0 {
            errors.push("cache.breaker_threshold must be at least 1".to_owned());
        }
        if self.replay_capacity == 0 {
            errors.push("cache.replay_capacity must be at least 1".to_owned());
        }
        for (name, ttl) in [
            ("public_list", self.ttl.public_list),
            ("public_detail", self.ttl.public_detail),
            ("taxonomy", self.ttl.taxonomy),
            ("admin_list", self.ttl.admin_list),
        ] {
            if ttl == 0 {
                errors.push(format!("cache.ttl.{name} must be greater than 0"));
            }
        }
        for ns in &self.near.exclude {
            match crate::Namespace::parse(ns) {
                Ok(parsed) if parsed.scope() == crate::Scope::Public => {}
                _ => errors.push(format!(
                    "cache.near.exclude: `{ns}` is not a public namespace (public:<app>:<resource>)"
                )),
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    pub(crate) fn ms(value: u64) -> Duration {
        Duration::from_millis(value)
    }
}
