//! The Redis store: django-redis's key and value layout, plus Strata's lease protocol in Lua.
//!
//! Values sit at exactly the keys Django would use (`<ENV>:<project>:<version>:<key>`, raw JSON),
//! so both stacks share them. Next to each namespace's keys Strata keeps two kinds of
//! bookkeeping key, also under the namespace so a Django `delete_pattern("*public:property:*")`
//! removes them together with the data:
//! - `<key>:_lease`: the fencing token of the one filler allowed to store `<key>`;
//! - `<namespace>:_index`: a sorted set of the namespace's keys scored by expiry, which makes a
//!   namespace invalidation cost the size of the namespace, never of the keyspace (no `KEYS`, no
//!   `SCAN`).
//!
//! Each step that must be atomic against an invalidation is one Lua script. The scripts touch
//! several keys of different hash slots, which is why Redis Cluster is refused at start-up.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use fred::clients::Pool;
use fred::interfaces::{ClientLike, HashesInterface, KeysInterface};
use fred::types::config::{Config, ReconnectPolicy, Server, ServerConfig, TlsConfig};
use fred::types::scripts::Script;
use fred::types::{Builder, ClusterHash, CustomCommand, Value};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsConnector;

use super::{Lookup, StoreError, new_token};
use crate::audit::{AuditReport, KeyFacts};
use crate::key::{CacheKey, KeyPrefix, Namespace};
use crate::settings::RedisSettings;

const LEASE_SUFFIX: &str = ":_lease";

/// KEYS: data, lease, index. ARGV: token, lease ms.
/// Returns {1, value} on a hit, {2} when the caller now holds the lease, {3} when another does.
const LOOKUP: &str = r"
local value = redis.call('GET', KEYS[1])
if value then return {1, value} end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then
  local t = redis.call('TIME')
  local now = t[1] * 1000 + math.floor(t[2] / 1000)
  redis.call('ZADD', KEYS[3], now + ARGV[2], KEYS[1])
  if redis.call('PTTL', KEYS[3]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[3], ARGV[2]) end
  return {2}
end
return {3}
";

/// KEYS: data, lease, index. ARGV: token, value, ttl ms.
/// Stores the value only while the caller's token is still the lease. Returns 1 if stored.
const FILL: &str = r"
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('DEL', KEYS[2])
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
redis.call('ZADD', KEYS[3], now + ARGV[3], KEYS[1])
if redis.call('PTTL', KEYS[3]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[3], ARGV[3]) end
return 1
";

/// KEYS: lease. ARGV: token. Gives a lease back if the caller still holds it.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
";

/// KEYS: index. ARGV: lease suffix. Deletes every key of the namespace and its lease.
const INVALIDATE_NAMESPACE: &str = r"
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
local batch = {}
for i = 1, #members do
  batch[#batch + 1] = members[i]
  batch[#batch + 1] = members[i] .. ARGV[1]
  if #batch >= 512 then redis.call('DEL', unpack(batch)); batch = {} end
end
if #batch > 0 then redis.call('DEL', unpack(batch)) end
redis.call('DEL', KEYS[1])
return #members
";

/// KEYS: a page of keys. Returns, per key, its PTTL and its length (-1 when not a string).
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
/// `<epoch>\n<payload>`, atomically, so subscribers can tell when they missed one.
const BROADCAST: &str = r"
local epoch = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', ARGV[1], epoch .. '\n' .. ARGV[2])
return epoch
";

pub(crate) struct RedisStore {
    pool: Pool,
    /// To open the bus's subscriber connection with the pool's settings.
    builder: Builder,
    /// The bus's counter key and channel, read on every page request.
    bus_epoch_key: String,
    bus_channel: String,
    /// Set for `rediss://`: how to check at start that the server's certificate verifies.
    tls: Option<TlsCheck>,
    prefix: KeyPrefix,
    lookup: Script,
    fill: Script,
    release: Script,
    invalidate_namespace: Script,
    key_facts: Script,
    broadcast: Script,
}

/// Why a Redis URL cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RedisConfigError {
    #[error("REDIS_URL is not a usable Redis URL: {0}")]
    Url(String),
    #[error(
        "Redis Cluster is not supported: Strata's fill protocol runs Lua scripts over a key, its \
         lease and its namespace index, which Cluster places in different hash slots. Use a \
         single primary (redis://) or Sentinel (redis-sentinel://host:26379/1?sentinelServiceName=NAME)"
    )]
    Cluster,
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
                "redis" | "valkey" | "redis-sentinel" | "valkey-sentinel" | "rediss" | "valkeys"
                | "rediss-sentinel" | "valkeys-sentinel",
            ) => Ok(()),
            Some("redis-cluster" | "valkey-cluster" | "rediss-cluster" | "valkeys-cluster") => {
                Err(RedisConfigError::Cluster)
            }
            _ => Err(RedisConfigError::Url(format!(
                "expected redis://, rediss://, redis-sentinel:// or rediss-sentinel://, got `{}`",
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
        let plain_text_form = without_tls_scheme(url);
        if plain_text_form.is_none() && settings.has_tls_files() {
            return Err(RedisConfigError::PlainTextWithTlsFiles);
        }
        // Parsed in its plain-text form so that fred does not load the system's trust roots,
        // which Strata does not use; TLS is configured below.
        let mut config = Config::from_url(plain_text_form.as_deref().unwrap_or(url))
            .map_err(|e| RedisConfigError::Url(e.to_string()))?;
        // Keep trying when the first connection fails: a Redis that is down at start-up is an
        // outage to ride out (fail-open), not a reason to give up on the cache for good.
        config.fail_fast = false;
        if matches!(config.server, ServerConfig::Clustered { .. }) {
            return Err(RedisConfigError::Cluster);
        }
        let tls = match plain_text_form {
            Some(_) => {
                let check = TlsCheck::new(settings, &config.server)?;
                config.tls = Some(TlsConfig::from(check.connector.clone()));
                Some(check)
            }
            None => None,
        };
        let connect_timeout = Duration::from_millis(settings.connect_timeout_ms);
        let command_timeout = Duration::from_millis(settings.command_timeout_ms);
        let mut builder = Builder::from_config(config);
        builder
            .with_connection_config(|c| {
                c.connection_timeout = connect_timeout;
                c.internal_command_timeout = command_timeout;
                // A command in flight when its connection drops is failed, not retried: the
                // engine treats it as a miss, and retries would stretch a request past the timeout.
                c.max_command_attempts = 1;
                // A connection that stops answering (a hung Redis or a dead link) is torn down
                // and redialed rather than left to time out every command sent over it.
                c.unresponsive.max_timeout = Some(command_timeout * 2);
                c.unresponsive.interval = command_timeout.min(Duration::from_secs(1));
            })
            .with_performance_config(|p| p.default_command_timeout = command_timeout)
            .set_policy(reconnect_policy());
        let pool = builder
            .build_pool(settings.pool_size)
            .map_err(|e| RedisConfigError::Url(e.to_string()))?;
        // Connect in the background: a Redis that is down at start-up must not stop the site.
        let _connection_tasks = pool.connect();
        Ok(RedisStore {
            pool,
            lookup: Script::from_lua(LOOKUP),
            fill: Script::from_lua(FILL),
            release: Script::from_lua(RELEASE),
            invalidate_namespace: Script::from_lua(INVALIDATE_NAMESPACE),
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
            tokio::time::timeout(within, self.pool.wait_for_connect()).await,
            Ok(Ok(()))
        )
    }

    /// The pool's next connected client (round robin): after an outage the connections come
    /// back one by one, and a command sent to one still backing off would wait out its
    /// timeout and fail a read that a connected one answers.
    fn client(&self) -> &fred::clients::Client {
        self.pool.next_connected()
    }

    fn data_key(&self, key: &CacheKey) -> String {
        self.prefix.stored(key.as_str())
    }

    fn index_key(&self, ns: &Namespace) -> String {
        self.prefix.stored(&format!("{ns}:_index"))
    }

    fn keys(&self, key: &CacheKey) -> Vec<String> {
        let data = self.data_key(key);
        let lease = format!("{data}{LEASE_SUFFIX}");
        vec![data, lease, self.index_key(key.namespace())]
    }

    pub(crate) async fn lookup(
        &self,
        key: &CacheKey,
        lease: Duration,
    ) -> Result<Lookup, StoreError> {
        let token = new_token();
        let reply: Value = self
            .lookup
            .evalsha_with_reload(
                self.client(),
                self.keys(key),
                vec![token.to_string(), lease.as_millis().to_string()],
            )
            .await?;
        let mut parts = reply.into_array().into_iter();
        match parts.next().and_then(|v| v.as_i64()) {
            Some(1) => match parts.next() {
                Some(value) => Ok(Lookup::Hit(value.into_bytes().unwrap_or_default())),
                None => Err(StoreError::Protocol("hit without a value".into())),
            },
            Some(2) => Ok(Lookup::Leased(token)),
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
        let stored: i64 = self
            .fill
            .evalsha_with_reload(
                self.client(),
                self.keys(key),
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
        let lease = format!("{}{LEASE_SUFFIX}", self.data_key(key));
        let _: i64 = self
            .release
            .evalsha_with_reload(self.client(), vec![lease], vec![token.to_string()])
            .await?;
        Ok(())
    }

    pub(crate) async fn get(&self, key: &CacheKey) -> Result<Option<Bytes>, StoreError> {
        Ok(self.client().get(self.data_key(key)).await?)
    }

    pub(crate) async fn invalidate_key(&self, key: &CacheKey) -> Result<(), StoreError> {
        let data = self.data_key(key);
        let lease = format!("{data}{LEASE_SUFFIX}");
        let _: i64 = self.client().del(vec![data, lease]).await?;
        Ok(())
    }

    pub(crate) async fn invalidate_namespace(&self, ns: &Namespace) -> Result<u64, StoreError> {
        let deleted: u64 = self
            .invalidate_namespace
            .evalsha_with_reload(self.client(), vec![self.index_key(ns)], vec![LEASE_SUFFIX])
            .await?;
        Ok(deleted)
    }

    pub(crate) fn bus_channel(&self) -> &str {
        &self.bus_channel
    }

    pub(crate) async fn broadcast(&self, payload: &str) -> Result<u64, StoreError> {
        Ok(self
            .broadcast
            .evalsha_with_reload(
                self.client(),
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

    /// A new, unconnected client for the bus's subscription (a subscribed connection can
    /// send nothing else, so it cannot come from the pool).
    pub(crate) fn subscriber(&self) -> Result<fred::clients::Client, StoreError> {
        Ok(self.builder.build()?)
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

    /// Walks this prefix's keys with `SCAN` (an operator command, never on a request path).
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
        let scan = CustomCommand::new_static("SCAN", ClusterHash::Random, false);
        let pattern = self.prefix.scan_pattern();
        let mut cursor = "0".to_owned();
        loop {
            let (next, keys): (String, Vec<String>) = client
                .custom(
                    scan.clone(),
                    vec![cursor.as_str(), "MATCH", &pattern, "COUNT", "1000"],
                )
                .await?;
            if !keys.is_empty() {
                let facts: Vec<i64> = self
                    .key_facts
                    .evalsha_with_reload(client, keys.clone(), Vec::<String>::new())
                    .await?;
                for (key, pair) in keys.iter().zip(facts.chunks(2)) {
                    let logical = key.get(self.prefix.stored_len()..).unwrap_or(key);
                    let [pttl_ms, size] = [pair[0], pair.get(1).copied().unwrap_or(-1)];
                    let size = u64::try_from(size).ok();
                    report.record(
                        KeyFacts {
                            logical,
                            pttl_ms,
                            size,
                        },
                        oversized_bytes,
                    );
                }
            }
            if next == "0" {
                return Ok(report);
            }
            if report.scanned >= max_keys {
                report.truncated = true;
                return Ok(report);
            }
            cursor = next;
        }
    }

    pub(crate) async fn ping(&self) -> Result<(), StoreError> {
        let _: String = self.client().ping(None).await?;
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
        _ => return None,
    };
    Some(format!("{plain}://{rest}"))
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
            ServerConfig::Sentinel { hosts, .. } => hosts.clone(),
            _ => Vec::new(),
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
