//! The Redis store: django-redis's key and value layout, plus Strata's lease protocol in Lua.
//!
//! Values sit at exactly the keys Django would use (`<ENV>:<project>:<version>:<key>`, raw JSON),
//! so both stacks share them. Next to them Strata keeps bookkeeping keys, all under the same
//! versioned prefix so a Django `delete_pattern("*public:property:*")` removes them with the data:
//! - `<prefix>:{<data key>}:_lease`: the fencing token of the one filler allowed to store the
//!   key. The hash tag puts it in the data key's Redis Cluster slot, so the scripts that read a
//!   value and take its lease, or store a value under its lease, touch one slot.
//! - `<prefix>:<namespace>:_index`: a sorted set of the namespace's keys scored by expiry, which
//!   makes a namespace invalidation cost the size of the namespace, never of the keyspace (no
//!   `KEYS`, no `SCAN`). It has its own slot, so registering a key in it and invalidating through
//!   it are separate steps, ordered (docs/ARCHITECTURE.md, "Redis Cluster"):
//!   1. a filler's key is registered in the index *after* it takes the lease and *before* it
//!      reads the database, and again (with the value's TTL) before the value is stored;
//!   2. an invalidation atomically renames the index to a snapshot
//!      (`<prefix>:{<index>}:_inv:<token>`, listed in `<prefix>:{<index>}:_invs`), then deletes
//!      each snapshotted key with its lease, and only then removes it from the snapshot.
//!
//!   A filler that read the database before a write was registered before the write's
//!   invalidation took its snapshot, so its lease is deleted and its fill refused; a snapshot
//!   left by an invalidation that failed half-way is finished by the next one (and the failed one
//!   is replayed). The same steps run on one Redis and on a cluster.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use fred::clients::{Client, Pool};
use fred::interfaces::{ClientLike, ClusterInterface, HashesInterface, KeysInterface};
use fred::types::config::{Config, ReconnectPolicy, Server, ServerConfig, TlsConfig};
use fred::types::scripts::Script;
use fred::types::{Builder, ClusterHash, CustomCommand, Value};
use futures_util::future::try_join_all;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsConnector;

mod counter;

use super::{Lookup, StoreError, new_token};
use crate::audit::{AuditReport, KeyFacts};
use crate::key::{CacheKey, KeyPrefix, Namespace};
use crate::settings::RedisSettings;

const LEASE_SUFFIX: &str = ":_lease";

/// How long an index entry outlives the value it stands for. The entry's expiry is computed on
/// the index's node just before the value is stored (on another node, one round trip later), and
/// an entry must never be trimmed while its value still lives.
const INDEX_SLACK_MS: u128 = 5_000;

/// Keys deleted per step of a namespace invalidation (each with its lease).
const DRAIN_CHUNK: usize = 500;

/// KEYS: data, lease. ARGV: token, lease ms.
/// Returns {1, value} on a hit, {2} when the caller now holds the lease, {3} when another does.
const LOOKUP: &str = r"
local value = redis.call('GET', KEYS[1])
if value then return {1, value} end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {2} end
return {3}
";

/// KEYS: index. ARGV: data key, ms it must stay listed.
/// Lists the key until at least now + ms (never shortening an entry), drops expired entries,
/// and keeps the index itself alive as long as its longest entry.
const REGISTER: &str = r"
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local ms = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], 'GT', now + ms, ARGV[1])
if redis.call('PTTL', KEYS[1]) < ms then redis.call('PEXPIRE', KEYS[1], ms) end
return 1
";

/// KEYS: data, lease. ARGV: token, value, ttl ms.
/// Stores the value only while the caller's token is still the lease. Returns 1 if stored.
const FILL: &str = r"
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('DEL', KEYS[2])
return 1
";

/// KEYS: lease. ARGV: token. Gives a lease back if the caller still holds it.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
";

/// KEYS: index, snapshots, new snapshot. Moves the index to the new snapshot (in one step, so
/// every key registered before it is in exactly one snapshot), lists it among the namespace's
/// unfinished snapshots, and returns them all: this invalidation finishes every one of them.
const SNAPSHOT: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('RENAME', KEYS[1], KEYS[3])
  redis.call('SADD', KEYS[2], KEYS[3])
  local ttl = redis.call('PTTL', KEYS[3])
  if ttl > 0 and redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
end
return redis.call('SMEMBERS', KEYS[2])
";

/// KEYS: snapshot, snapshots. ARGV: chunk size, then the keys already deleted with their leases.
/// Forgets those keys and returns the next chunk; an empty snapshot is struck from the list.
const DRAIN: &str = r"
if #ARGV > 1 then redis.call('ZREM', KEYS[1], unpack(ARGV, 2)) end
local members = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #members == 0 then redis.call('SREM', KEYS[2], KEYS[1]) end
return members
";

/// KEYS: keys of one slot. Returns, per key, its PTTL and its length (-1 when not a string).
const KEY_FACTS: &str = r"
local facts = {}
for i = 1, #KEYS do
  facts[#facts + 1] = redis.call('PTTL', KEYS[i])
  if redis.call('TYPE', KEYS[i]).ok == 'string' then
    facts[#facts + 1] = redis.call('STRLEN', KEYS[i])
  else
    facts[#facts + 1] = -1
  end
end
return facts
";

/// KEYS: bus epoch. ARGV: channel, payload. Numbers the notice and publishes it as
/// `<epoch>\n<payload>`, atomically, so subscribers can tell when they missed one. On a cluster
/// `PUBLISH` reaches the subscribers of every node.
const BROADCAST: &str = r"
local epoch = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', ARGV[1], epoch .. '\n' .. ARGV[2])
return epoch
";

pub(crate) struct RedisStore {
    /// Replaced whole by [`renew`](Self::renew) when its clients stop answering.
    pool: RwLock<Pool>,
    /// To open the bus's subscriber connection with the pool's settings.
    builder: Builder,
    /// The bus's counter key and channel, read on every page request.
    bus_epoch_key: String,
    bus_channel: String,
    /// Set for `rediss://`: how to check at start that the server's certificate verifies.
    tls: Option<TlsCheck>,
    prefix: KeyPrefix,
    /// A Redis Cluster: multi-key commands are split by hash slot, `SCAN` visits every primary.
    clustered: bool,
    lookup: Script,
    register: Script,
    fill: Script,
    release: Script,
    snapshot: Script,
    drain: Script,
    key_facts: Script,
    broadcast: Script,
}

/// Why a Redis URL cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RedisConfigError {
    #[error("REDIS_URL is not a usable Redis URL: {0}")]
    Url(String),
    #[error(
        "the key prefix `{0}` contains `{{` or `}}`: Redis Cluster would read them as a hash tag and \
         separate Strata's bookkeeping keys from the data keys they guard; choose an ENV and \
         cache.project without braces"
    )]
    BracesInPrefix(String),
    #[error("Redis TLS: {0}")]
    Tls(String),
    #[error(
        "cache.redis.ca_file, cert_file or key_file is set but REDIS_URL is plain text: use \
         rediss:// (or rediss-sentinel://) so that Strata connects with TLS"
    )]
    PlainTextWithTlsFiles,
    #[error(
        "TLS with Redis at {server} failed: {reason}. Check cache.redis.ca_file (the CA that \
         signed the server's certificate), that REDIS_URL's host is a name in that certificate, \
         and cache.redis.cert_file/key_file if the server requires client certificates"
    )]
    TlsHandshake { server: String, reason: String },
}

impl RedisConfigError {
    /// Checks a URL's scheme before anything connects: what Strata can use, and why not.
    pub fn check_url(url: &str) -> Result<(), RedisConfigError> {
        match url.split_once("://").map(|(scheme, _)| scheme) {
            Some(
                "redis" | "valkey" | "redis-sentinel" | "valkey-sentinel" | "redis-cluster"
                | "valkey-cluster" | "rediss" | "valkeys" | "rediss-sentinel" | "valkeys-sentinel"
                | "rediss-cluster" | "valkeys-cluster",
            ) => Ok(()),
            _ => Err(RedisConfigError::Url(format!(
                "expected redis://, rediss://, redis-sentinel://, rediss-sentinel://, \
                 redis-cluster:// or rediss-cluster://, got `{}`",
                url.split_once("://").map_or(url, |(scheme, _)| scheme)
            ))),
        }
    }
}

/// Reconnect forever: 1 ms, 10 ms, 100 ms, 1 s, then every 2 s, each with up to 20 ms of
/// jitter. fred sleeps one delay before the *first* connection too, so a first delay of 100 ms
/// (and fred's default 100 ms of jitter) made every `strata cache …` command wait ~150 ms.
fn reconnect_policy() -> ReconnectPolicy {
    let mut policy = ReconnectPolicy::new_exponential(0, 1, 2_000, 10);
    policy.set_jitter(20);
    policy
}

impl RedisStore {
    pub(crate) fn new(
        url: &str,
        settings: &RedisSettings,
        prefix: KeyPrefix,
    ) -> Result<Self, RedisConfigError> {
        RedisConfigError::check_url(url)?;
        let stored_prefix = prefix.stored("");
        if stored_prefix.contains(['{', '}']) {
            return Err(RedisConfigError::BracesInPrefix(stored_prefix));
        }
        let (mut config, tls) = configure(url, settings)?;
        // Keep trying when the first connection fails: a Redis that is down at start-up is an
        // outage to ride out (fail-open), not a reason to give up on the cache for good.
        config.fail_fast = false;
        let clustered = matches!(config.server, ServerConfig::Clustered { .. });
        let connect_timeout = Duration::from_millis(settings.connect_timeout_ms);
        let command_timeout = Duration::from_millis(settings.command_timeout_ms);
        let mut builder = Builder::from_config(config);
        builder
            .with_connection_config(|c| {
                c.connection_timeout = connect_timeout;
                c.internal_command_timeout = command_timeout;
                // A command in flight when its connection drops is failed, not retried: the
                // engine treats it as a miss, and retries would stretch a request past the timeout.
                // On a cluster this also makes an `ASK` (a slot being migrated) fail the command
                // and end the client's connection task, which `keep_connected` starts again:
                // following it with attempts to spare sends `ASKING` from the routing task
                // itself, which can leave that task waiting for a reply for good.
                c.max_command_attempts = 1;
                // A connection that stops answering (a hung Redis or a dead link) is torn down
                // and redialed rather than left to time out every command sent over it.
                c.unresponsive.max_timeout = Some(command_timeout * 2);
                c.unresponsive.interval = command_timeout.min(Duration::from_secs(1));
            })
            .with_performance_config(|p| p.default_command_timeout = command_timeout)
            .set_policy(reconnect_policy());
        let pool = connected_pool(&builder, settings.pool_size)
            .map_err(|e| RedisConfigError::Url(e.to_string()))?;
        Ok(RedisStore {
            pool: RwLock::new(pool),
            clustered,
            lookup: Script::from_lua(LOOKUP),
            register: Script::from_lua(REGISTER),
            fill: Script::from_lua(FILL),
            release: Script::from_lua(RELEASE),
            snapshot: Script::from_lua(SNAPSHOT),
            drain: Script::from_lua(DRAIN),
            key_facts: Script::from_lua(KEY_FACTS),
            broadcast: Script::from_lua(BROADCAST),
            builder,
            bus_epoch_key: prefix.meta("bus:epoch"),
            bus_channel: prefix.meta("bus"),
            tls,
            prefix,
        })
    }

    /// Waits up to `within` for the pool to connect (false if it has not). Over TLS the server
    /// is first dialed directly: a certificate that does not verify, either way, is an error for
    /// the operator at start, not a connection fred would retry in the background forever.
    pub(crate) async fn connect(&self, within: Duration) -> Result<bool, RedisConfigError> {
        let started = Instant::now();
        if let Some(tls) = &self.tls {
            tls.check(within).await?;
        }
        Ok(self
            .wait_for_connect(within.saturating_sub(started.elapsed()))
            .await)
    }

    pub(crate) async fn wait_for_connect(&self, within: Duration) -> bool {
        matches!(
            tokio::time::timeout(within, self.pool().wait_for_connect()).await,
            Ok(Ok(()))
        )
    }

    /// The pool's next connected client (round robin): after an outage the connections come
    /// back one by one, and a command sent to one still backing off would wait out its
    /// timeout and fail a read that a connected one answers.
    fn client(&self) -> Client {
        self.pool
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .next_connected()
            .clone()
    }

    fn pool(&self) -> Pool {
        self.pool.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Replaces every connection with a new one. For clients that stopped answering although
    /// the server answers: fred's routing task can wait for good on a reply during a cluster
    /// resharding, and nothing but a new client gets past it. The old pool is closed in the
    /// background (a wedged client never acknowledges, so its close is not awaited for long).
    pub(crate) fn renew(&self) {
        let fresh = match connected_pool(&self.builder, self.pool().size()) {
            Ok(pool) => pool,
            Err(error) => {
                tracing::error!(target: "strata_cache::store", %error, "cannot renew the Redis connections");
                return;
            }
        };
        let old = std::mem::replace(
            &mut *self.pool.write().unwrap_or_else(|p| p.into_inner()),
            fresh,
        );
        tracing::warn!(target: "strata_cache::store", "Redis connections renewed: the old ones stopped answering");
        tokio::spawn(async move {
            let _ = tokio::time::timeout(Duration::from_secs(5), old.quit()).await;
        });
    }

    fn data_key(&self, key: &CacheKey) -> String {
        self.prefix.stored(key.as_str())
    }

    fn index_key(&self, ns: &Namespace) -> String {
        self.prefix.stored(&format!("{ns}:_index"))
    }

    /// `<prefix>:{<key>}<suffix>`: a bookkeeping key in `key`'s hash slot. Exact because no
    /// stored key contains a brace (the prefix is checked at start, slugs are percent-encoded).
    fn beside(&self, key: &str, suffix: &str) -> String {
        format!("{}{{{key}}}{suffix}", self.prefix.stored(""))
    }

    fn lease_key(&self, data: &str) -> String {
        self.beside(data, LEASE_SUFFIX)
    }

    /// Splits keys into groups a multi-key command accepts: one per hash slot on a cluster, one
    /// in all otherwise.
    fn by_slot(&self, keys: Vec<String>) -> Vec<Vec<String>> {
        if !self.clustered {
            return if keys.is_empty() {
                Vec::new()
            } else {
                vec![keys]
            };
        }
        let mut groups: HashMap<u16, Vec<String>> = HashMap::new();
        for key in keys {
            groups
                .entry(fred::util::redis_keyslot(key.as_bytes()))
                .or_default()
                .push(key);
        }
        groups.into_values().collect()
    }

    /// Lists `data` in its namespace's index for at least `ms` (plus slack).
    async fn register(&self, key: &CacheKey, data: &str, ms: u128) -> Result<(), StoreError> {
        let _: i64 = self
            .register
            .evalsha_with_reload(
                &self.client(),
                vec![self.index_key(key.namespace())],
                vec![data.to_owned(), (ms + INDEX_SLACK_MS).to_string()],
            )
            .await?;
        Ok(())
    }

    pub(crate) async fn lookup(
        &self,
        key: &CacheKey,
        lease: Duration,
    ) -> Result<Lookup, StoreError> {
        let token = new_token();
        let data = self.data_key(key);
        let lease_key = self.lease_key(&data);
        let reply: Value = self
            .lookup
            .evalsha_with_reload(
                &self.client(),
                vec![data.as_str(), lease_key.as_str()],
                vec![token.to_string(), lease.as_millis().to_string()],
            )
            .await?;
        let mut parts = reply.into_array().into_iter();
        match parts.next().and_then(|v| v.as_i64()) {
            Some(1) => match parts.next() {
                Some(value) => Ok(Lookup::Hit(value.into_bytes().unwrap_or_default())),
                None => Err(StoreError::Protocol("hit without a value".into())),
            },
            Some(2) => {
                // Registered before the caller reads the database: from here on, an invalidation
                // of the namespace finds the key and takes the lease away.
                if let Err(error) = self.register(key, &data, lease.as_millis()).await {
                    // Best effort: the lease's own expiry is the fallback.
                    let _ = self.release(key, token).await;
                    return Err(error);
                }
                Ok(Lookup::Leased(token))
            }
            Some(3) => Ok(Lookup::Busy),
            other => Err(StoreError::Protocol(format!("lookup replied {other:?}"))),
        }
    }

    pub(crate) async fn fill(
        &self,
        key: &CacheKey,
        token: u64,
        value: Bytes,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let data = self.data_key(key);
        let lease_key = self.lease_key(&data);
        // Listed for the value's lifetime before the value can land, so no stored value is ever
        // missing from its index.
        if let Err(error) = self.register(key, &data, ttl.as_millis()).await {
            let _ = self.release(key, token).await;
            return Err(error);
        }
        let stored: i64 = self
            .fill
            .evalsha_with_reload(
                &self.client(),
                vec![data, lease_key],
                vec![
                    Value::from(token.to_string()),
                    Value::Bytes(value),
                    Value::from(ttl.as_millis().to_string()),
                ],
            )
            .await?;
        Ok(stored == 1)
    }

    pub(crate) async fn release(&self, key: &CacheKey, token: u64) -> Result<(), StoreError> {
        let lease = self.lease_key(&self.data_key(key));
        let _: i64 = self
            .release
            .evalsha_with_reload(&self.client(), vec![lease], vec![token.to_string()])
            .await?;
        Ok(())
    }

    pub(crate) async fn get(&self, key: &CacheKey) -> Result<Option<Bytes>, StoreError> {
        Ok(self.client().get(self.data_key(key)).await?)
    }

    pub(crate) async fn invalidate_key(&self, key: &CacheKey) -> Result<(), StoreError> {
        let data = self.data_key(key);
        let lease = self.lease_key(&data);
        let _: i64 = self.client().del(vec![data, lease]).await?;
        Ok(())
    }

    /// Snapshots the namespace's index, then deletes every key of every unfinished snapshot
    /// with its lease, a chunk at a time. Returns the number of keys deleted.
    pub(crate) async fn invalidate_namespace(&self, ns: &Namespace) -> Result<u64, StoreError> {
        let index = self.index_key(ns);
        let snapshots_key = self.beside(&index, ":_invs");
        let snapshot = self.beside(&index, &format!(":_inv:{:016x}", new_token()));
        let snapshots: Vec<String> = self
            .snapshot
            .evalsha_with_reload(
                &self.client(),
                vec![index.as_str(), snapshots_key.as_str(), snapshot.as_str()],
                Vec::<String>::new(),
            )
            .await?;
        let mut deleted = 0;
        for snapshot in snapshots {
            let mut done: Vec<String> = Vec::new();
            loop {
                let mut args = Vec::with_capacity(done.len() + 1);
                args.push(DRAIN_CHUNK.to_string());
                args.append(&mut done);
                let members: Vec<String> = self
                    .drain
                    .evalsha_with_reload(
                        &self.client(),
                        vec![snapshot.as_str(), snapshots_key.as_str()],
                        args,
                    )
                    .await?;
                if members.is_empty() {
                    break;
                }
                self.delete_with_leases(&members).await?;
                deleted += members.len() as u64;
                done = members;
            }
        }
        Ok(deleted)
    }

    async fn delete_with_leases(&self, data_keys: &[String]) -> Result<(), StoreError> {
        let keys = data_keys
            .iter()
            .flat_map(|data| [data.clone(), self.lease_key(data)])
            .collect();
        let client = self.client();
        try_join_all(
            self.by_slot(keys)
                .into_iter()
                .map(|group| client.del::<i64, _>(group)),
        )
        .await?;
        Ok(())
    }

    pub(crate) fn bus_channel(&self) -> &str {
        &self.bus_channel
    }

    pub(crate) async fn broadcast(&self, payload: &str) -> Result<u64, StoreError> {
        Ok(self
            .broadcast
            .evalsha_with_reload(
                &self.client(),
                vec![self.bus_epoch_key.as_str()],
                vec![self.bus_channel.as_str(), payload],
            )
            .await?)
    }

    /// The number of the last notice published (0 before the first).
    pub(crate) async fn bus_epoch(&self) -> Result<u64, StoreError> {
        let epoch: Option<u64> = self.client().get(self.bus_epoch_key.as_str()).await?;
        Ok(epoch.unwrap_or(0))
    }

    /// A new client for the bus's subscription (a subscribed connection can send nothing else,
    /// so it cannot come from the pool), connecting in the background and kept connected.
    pub(crate) fn subscriber(&self) -> Result<Client, StoreError> {
        let client = self.builder.build()?;
        keep_connected(client.clone());
        Ok(client)
    }

    pub(crate) async fn disabled_namespaces(&self) -> Result<BTreeSet<String>, StoreError> {
        let flags: HashMap<String, String> =
            self.client().hgetall(self.prefix.meta("flags")).await?;
        Ok(flags
            .into_iter()
            .filter(|(_, v)| v == "off")
            .map(|(k, _)| k)
            .collect())
    }

    pub(crate) async fn set_enabled(
        &self,
        ns: &Namespace,
        enabled: bool,
    ) -> Result<(), StoreError> {
        let flags = self.prefix.meta("flags");
        if enabled {
            let _: i64 = self.client().hdel(flags, ns.to_string()).await?;
        } else {
            let _: i64 = self.client().hset(flags, (ns.to_string(), "off")).await?;
        }
        Ok(())
    }

    /// Walks this prefix's keys with `SCAN` on every primary (an operator command, never on a
    /// request path).
    pub(crate) async fn audit(
        &self,
        oversized_bytes: u64,
        max_keys: u64,
    ) -> Result<AuditReport, StoreError> {
        let mut report = AuditReport {
            backend: "redis",
            ..AuditReport::default()
        };
        let client = self.client();
        let primaries = if self.clustered {
            client
                .cached_cluster_state()
                .map(|state| state.unique_primary_nodes())
                .unwrap_or_default()
                .into_iter()
                .map(Some)
                .collect()
        } else {
            vec![None]
        };
        for primary in primaries {
            if self
                .audit_node(&client, primary, &mut report, oversized_bytes, max_keys)
                .await?
            {
                break;
            }
        }
        Ok(report)
    }

    /// Scans one node (`None`: the only one) into `report`. True when the key limit was hit.
    async fn audit_node(
        &self,
        client: &Client,
        node: Option<Server>,
        report: &mut AuditReport,
        oversized_bytes: u64,
        max_keys: u64,
    ) -> Result<bool, StoreError> {
        let scan = CustomCommand::new_static("SCAN", ClusterHash::Random, false);
        let pattern = self.prefix.scan_pattern();
        let mut cursor = "0".to_owned();
        loop {
            let args = vec![cursor.as_str(), "MATCH", &pattern, "COUNT", "1000"];
            let (next, keys): (String, Vec<String>) = match &node {
                Some(node) => {
                    client
                        .with_cluster_node(node.clone())
                        .custom(scan.clone(), args)
                        .await?
                }
                None => client.custom(scan.clone(), args).await?,
            };
            let groups = self.by_slot(keys);
            let facts = try_join_all(groups.iter().map(|group| {
                self.key_facts.evalsha_with_reload::<Vec<i64>, _, _>(
                    client,
                    group.clone(),
                    Vec::<String>::new(),
                )
            }))
            .await?;
            for (group, facts) in groups.iter().zip(facts) {
                for (key, pair) in group.iter().zip(facts.chunks(2)) {
                    let logical = self.logical(key);
                    let [pttl_ms, size] = [pair[0], pair.get(1).copied().unwrap_or(-1)];
                    report.record(
                        KeyFacts {
                            logical: &logical,
                            pttl_ms,
                            size: u64::try_from(size).ok(),
                        },
                        oversized_bytes,
                    );
                }
            }
            if next == "0" {
                return Ok(false);
            }
            if report.scanned >= max_keys {
                report.truncated = true;
                return Ok(true);
            }
            cursor = next;
        }
    }

    /// A stored key as the audit names it: the prefix removed, and a bookkeeping key's hash
    /// tag unwrapped (`<prefix>:{<prefix>:<key>}:_lease` → `<key>:_lease`).
    fn logical(&self, stored: &str) -> String {
        let logical = stored.get(self.prefix.stored_len()..).unwrap_or(stored);
        let unwrapped = logical
            .strip_prefix('{')
            .and_then(|rest| rest.split_once('}'))
            .and_then(|(tagged, suffix)| {
                let inner = tagged.get(self.prefix.stored_len()..)?;
                Some(format!("{inner}{suffix}"))
            });
        unwrapped.unwrap_or_else(|| logical.to_owned())
    }

    pub(crate) async fn ping(&self) -> Result<(), StoreError> {
        let _: String = self.client().ping(None).await?;
        Ok(())
    }

    /// `PING`s every primary through every client of the pool (the one server on a single
    /// Redis). Unlike [`ping`](Self::ping), which asks one node through one client, this fails
    /// when any client cannot reach any node: what a client stuck on one node's connection, or
    /// one still retrying a node that died, costs the commands sent through it.
    pub(crate) async fn ping_every_connection(&self) -> Result<(), StoreError> {
        let pool = self.pool();
        try_join_all(pool.clients().iter().map(|client| self.ping_nodes(client))).await?;
        Ok(())
    }

    async fn ping_nodes(&self, client: &Client) -> Result<(), StoreError> {
        if !self.clustered {
            let _: String = client.ping(None).await?;
            return Ok(());
        }
        let primaries = client
            .cached_cluster_state()
            .map(|state| state.unique_primary_nodes())
            .unwrap_or_default();
        if primaries.is_empty() {
            return Err(StoreError::Protocol(
                "a client has no cluster slot map yet".into(),
            ));
        }
        try_join_all(primaries.into_iter().map(|node| async move {
            let _: String = client.with_cluster_node(node).ping(None).await?;
            Ok::<_, StoreError>(())
        }))
        .await?;
        Ok(())
    }
}

/// The plain-text form of a TLS URL (`rediss://…` → `redis://…`), or `None` for a plain one.
fn without_tls_scheme(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let plain = match scheme {
        "rediss" => "redis",
        "valkeys" => "valkey",
        "rediss-sentinel" => "redis-sentinel",
        "valkeys-sentinel" => "valkey-sentinel",
        "rediss-cluster" => "redis-cluster",
        "valkeys-cluster" => "valkey-cluster",
        _ => return None,
    };
    Some(format!("{plain}://{rest}"))
}

/// A pool of `size` clients, each connecting in the background (a Redis that is down at start
/// must not stop the site) and kept connected.
fn connected_pool(builder: &Builder, size: usize) -> Result<Pool, fred::error::Error> {
    let pool = builder.build_pool(size)?;
    for client in pool.clients() {
        keep_connected(client.clone());
    }
    Ok(pool)
}

/// Runs `client`'s connection task, and runs it again whenever it ends with an error. fred ends
/// a client's task for good on some routing errors (on a cluster, an `ASK` met with no attempt
/// left, which a resharding can cause), and the client then times out every command; a
/// restarted task reconnects and resyncs the cluster's slots. Ends when the client is closed.
fn keep_connected(client: Client) {
    tokio::spawn(async move {
        loop {
            match client.connect().await {
                Ok(Err(error)) if !error.is_canceled() => {
                    tracing::warn!(
                        target: "strata_cache::store",
                        %error,
                        "a Redis connection task ended; starting it again"
                    );
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                _ => return,
            }
        }
    });
}

/// fred's configuration for a Redis URL in the forms Strata accepts, with Strata's TLS settings:
/// what the engine connects with, for tools and tests that talk to the same Redis. The engine
/// alone keeps retrying a first connection that fails (with its reconnect policy).
pub fn redis_config(url: &str, settings: &RedisSettings) -> Result<Config, RedisConfigError> {
    RedisConfigError::check_url(url)?;
    configure(url, settings).map(|(config, _)| config)
}

fn configure(
    url: &str,
    settings: &RedisSettings,
) -> Result<(Config, Option<TlsCheck>), RedisConfigError> {
    let url = with_fred_cluster_seeds(url);
    let plain_text_form = without_tls_scheme(&url);
    if plain_text_form.is_none() && settings.has_tls_files() {
        return Err(RedisConfigError::PlainTextWithTlsFiles);
    }
    // Parsed in its plain-text form so that fred does not load the system's trust roots,
    // which Strata does not use; TLS is configured below.
    let mut config = Config::from_url(plain_text_form.as_deref().unwrap_or(&url))
        .map_err(|e| RedisConfigError::Url(e.to_string()))?;
    let tls = match plain_text_form {
        Some(_) => {
            let check = TlsCheck::new(settings, &config.server)?;
            config.tls = Some(TlsConfig::from(check.connector.clone()));
            Some(check)
        }
        None => None,
    };
    Ok((config, tls))
}

/// Strata's cluster URL names its seed nodes as a list (`redis-cluster://a:7000,b:7001`); fred
/// takes the first as the host and the others as `node=` query parameters.
fn with_fred_cluster_seeds(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    if !scheme.ends_with("-cluster") {
        return url.to_owned();
    }
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (credentials, hosts) = match authority.rsplit_once('@') {
        Some((credentials, hosts)) => (format!("{credentials}@"), hosts),
        None => (String::new(), authority),
    };
    let mut seeds = hosts.split(',').filter(|seed| !seed.is_empty());
    let Some(first) = seeds.next() else {
        return url.to_owned();
    };
    let (path, query) = tail.split_once('?').unwrap_or((tail, ""));
    let mut params: Vec<String> = seeds.map(|seed| format!("node={seed}")).collect();
    if !query.is_empty() {
        params.push(query.to_owned());
    }
    let query = if params.is_empty() {
        String::new()
    } else {
        format!("?{}", params.join("&"))
    };
    format!("{scheme}://{credentials}{first}{path}{query}")
}

/// The TLS settings of a `rediss://` URL, and the servers it names, to check at start.
struct TlsCheck {
    connector: TlsConnector,
    /// The server, or Sentinel's sentinels; the name each must present (SNI) is the URL's host.
    servers: Vec<(ServerName<'static>, Server)>,
}

impl TlsCheck {
    fn new(settings: &RedisSettings, server: &ServerConfig) -> Result<Self, RedisConfigError> {
        let servers = match server {
            ServerConfig::Centralized { server } => vec![server.clone()],
            ServerConfig::Sentinel { hosts, .. } | ServerConfig::Clustered { hosts, .. } => {
                hosts.clone()
            }
        };
        let servers = servers
            .into_iter()
            .map(|server| {
                ServerName::try_from(server.host.to_string())
                    .map(|name| (name, server))
                    .map_err(|e| RedisConfigError::Tls(format!("REDIS_URL's host: {e}")))
            })
            .collect::<Result<_, _>>()?;
        Ok(TlsCheck {
            connector: TlsConnector::from(Arc::new(client_config(settings)?)),
            servers,
        })
    }

    /// The first server that accepts a connection decides: its certificate verified (Ok) or
    /// did not (the reason). Servers that cannot be reached at all decide nothing.
    async fn check(&self, within: Duration) -> Result<(), RedisConfigError> {
        for (name, server) in &self.servers {
            let connect = tokio::net::TcpStream::connect((&*server.host, server.port));
            let Ok(Ok(tcp)) = tokio::time::timeout(within, connect).await else {
                continue;
            };
            let failed = |reason: String| RedisConfigError::TlsHandshake {
                server: format!("{}:{}", server.host, server.port),
                reason,
            };
            match tokio::time::timeout(within, self.handshake(name, tcp)).await {
                Ok(Ok(())) => return Ok(()),
                Ok(Err(e)) => {
                    if let Some(tls) = e.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()) {
                        return Err(failed(tls.to_string()));
                    }
                }
                // A plain-text Redis may wait silently for the rest of a "command" that is
                // really a TLS hello; a server that accepts and never answers cannot be used.
                Err(_) => {
                    return Err(failed(format!(
                        "the server accepted the connection but gave no TLS answer within {} ms \
                         (is this a plain-text port?)",
                        within.as_millis()
                    )));
                }
            }
        }
        Ok(())
    }

    async fn handshake(
        &self,
        name: &ServerName<'static>,
        tcp: tokio::net::TcpStream,
    ) -> std::io::Result<()> {
        let mut stream = self.connector.connect(name.clone(), tcp).await?;
        // Under TLS 1.3 a server refuses the client's certificate (or its absence) only after the
        // handshake, so one request must get its answer.
        stream.write_all(b"PING\r\n").await?;
        let mut reply = [0u8; 1];
        let _ = stream.read(&mut reply).await?;
        Ok(())
    }
}

/// rustls with ring, trusting the Mozilla roots built in plus `ca_file`, and presenting
/// `cert_file`/`key_file` when set. Built-in roots rather than the system's: the same trust on
/// every machine, including minimal images without a CA package.
fn client_config(settings: &RedisSettings) -> Result<ClientConfig, RedisConfigError> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(path) = &settings.ca_file {
        for cert in read_certs("cache.redis.ca_file", path)? {
            roots
                .add(cert)
                .map_err(|e| file_error("cache.redis.ca_file", path, e))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| RedisConfigError::Tls(e.to_string()))?
        .with_root_certificates(roots);
    match (&settings.cert_file, &settings.key_file) {
        (Some(cert), Some(key)) => {
            let chain = read_certs("cache.redis.cert_file", cert)?;
            let key_der = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| file_error("cache.redis.key_file", key, e))?;
            builder
                .with_client_auth_cert(chain, key_der)
                .map_err(|e| file_error("cache.redis.key_file", key, e))
        }
        // One without the other is refused by `CacheSettings::validate`.
        _ => Ok(builder.with_no_client_auth()),
    }
}

fn read_certs(
    setting: &str,
    path: &Path,
) -> Result<Vec<CertificateDer<'static>>, RedisConfigError> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| file_error(setting, path, e))?;
    if certs.is_empty() {
        return Err(file_error(setting, path, "no PEM certificate in it"));
    }
    Ok(certs)
}

fn file_error(setting: &str, path: &Path, reason: impl std::fmt::Display) -> RedisConfigError {
    RedisConfigError::Tls(format!("{setting} `{}`: {reason}", path.display()))
}

#[cfg(test)]
mod tests {
    use fred::util::redis_keyslot;

    use super::*;

    #[test]
    fn cluster_seeds_become_freds_node_parameters() {
        for (strata, fred) in [
            (
                "redis-cluster://a:7000,b:7001,c:7002",
                "redis-cluster://a:7000?node=b:7001&node=c:7002",
            ),
            (
                "rediss-cluster://user:pw@a:7000,b:7001/?connectTimeout=5",
                "rediss-cluster://user:pw@a:7000/?node=b:7001&connectTimeout=5",
            ),
            ("redis-cluster://a:7000", "redis-cluster://a:7000"),
            ("redis://a:6379,b:6379", "redis://a:6379,b:6379"),
        ] {
            assert_eq!(with_fred_cluster_seeds(strata), fred, "{strata}");
        }
    }

    #[tokio::test]
    async fn bookkeeping_keys_share_their_keys_slot() {
        // Never connects: only the key names are looked at.
        let store = RedisStore::new(
            "redis-cluster://127.0.0.1:1",
            &RedisSettings::default(),
            KeyPrefix::new("prod", "myproject", 1),
        )
        .expect("store");
        let list = Namespace::public("property", "list");
        for key in [
            list.id(42),
            list.slug("{tag}:x y"),
            list.hashed(&serde_json::json!({"city": "تهران"})),
        ] {
            let data = store.data_key(&key);
            assert!(!data.contains(['{', '}']), "{data}");
            assert_eq!(
                redis_keyslot(store.lease_key(&data).as_bytes()),
                redis_keyslot(data.as_bytes()),
                "{data}"
            );
        }
        let index = store.index_key(&list);
        assert_eq!(
            redis_keyslot(store.beside(&index, ":_inv:1").as_bytes()),
            redis_keyslot(index.as_bytes())
        );
        assert!(
            store
                .lease_key("prod:myproject:1:k")
                .starts_with("prod:myproject:1:")
        );
    }
}
