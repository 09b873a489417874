//! Strata's configuration: defaults ← `strata.toml` ← `STRATA_*` variables ← the original stack's
//! variable names (`DATABASE_URL`, `REDIS_URL`, `ENV`, `REVALIDATE_SECRET`, `NEXTJS_URL`).
//!
//! Loading never stops at the first mistake: every problem is collected, each naming the variable
//! or file key it came from, so an operator fixes a deployment in one round trip.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::providers::{Format, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider, Source};
use serde::Deserialize;
use strata_api::TrustedProxies;
use strata_cache::{CacheSettings, RedisConfigError};

use crate::cdn::{CdnSettings, Provider as CdnProvider, Rate, Secret, Vendor};
use crate::outbox::Target;
use strata_web::http::header_tag;

/// Where `strata.toml` is looked for when `STRATA_CONFIG` is unset.
pub const DEFAULT_CONFIG_FILE: &str = "strata.toml";
/// Prefix of Strata's own variables; `__` separates nested keys (`STRATA_CACHE__TTL__TAXONOMY`).
pub const ENV_PREFIX: &str = "STRATA_";
/// Names the config file; not a setting itself.
pub const CONFIG_PATH_VAR: &str = "STRATA_CONFIG";

/// The original stack's variables, and the CDNs' own tools' token variables, and the setting
/// each one sets. They win over `STRATA_*` so a deployment shared with the Django stack
/// configures both with one set of names.
const LEGACY_VARS: &[(&str, &str)] = &[
    ("DATABASE_URL", "database_url"),
    ("REDIS_URL", "redis_url"),
    ("ENV", "env"),
    ("REVALIDATE_SECRET", "revalidate_secret"),
    ("NEXTJS_URL", "nextjs_urls"),
    ("FASTLY_API_TOKEN", "cdn.fastly.token"),
    ("CLOUDFLARE_API_TOKEN", "cdn.cloudflare.token"),
];

/// Top-level keys. A `STRATA_*` variable outside these is another tool's and only warned about:
/// test harnesses and scripts set their own `STRATA_…` names, which must not stop the server.
const TOP_LEVEL_KEYS: &[&str] = &[
    "bind",
    "metrics_bind",
    "database_url",
    "redis_url",
    "env",
    "revalidate_secret",
    "nextjs_urls",
    "media_dir",
    "admin_dir",
    "log_format",
    "request_timeout_secs",
    "body_limit_bytes",
    "database_max_connections",
    "header_read_timeout_secs",
    "keep_alive_timeout_secs",
    "max_connections",
    "trusted_proxies",
    "api",
    "web",
    "cache",
    "media",
    "cdn",
];

/// Settings taken verbatim from variables: parsing them as TOML values would turn a secret of
/// `0123` into the number 123.
const STRING_KEYS: &[&str] = &[
    "bind",
    "metrics_bind",
    "database_url",
    "redis_url",
    "env",
    "revalidate_secret",
    "media_dir",
    "admin_dir",
    "log_format",
    "cache.project",
    "media.storage",
    "media.s3.bucket",
    "media.s3.endpoint",
    "media.s3.region",
    "cdn.site_key",
    "cdn.varnish.rate",
    "cdn.fastly.service_id",
    "cdn.fastly.token",
    "cdn.fastly.api",
    "cdn.fastly.rate",
    "cdn.cloudflare.zone_id",
    "cdn.cloudflare.token",
    "cdn.cloudflare.api",
    "cdn.cloudflare.rate",
];

/// Comma-separated in variables (`NEXTJS_URL=http://a,http://b`), arrays in TOML.
const LIST_KEYS: &[&str] = &["nextjs_urls", "trusted_proxies", "cdn.varnish.urls"];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

/// The validated configuration every command runs with. Its `Debug` hides secrets, so it can be
/// logged.
#[derive(Clone)]
pub struct Config {
    pub bind: SocketAddr,
    /// The Prometheus endpoint's own listener (`/metrics`), off the application's port.
    pub metrics_bind: SocketAddr,
    pub database_url: String,
    /// `None`: the in-process store.
    pub redis_url: Option<String>,
    /// The deployment's name; the cache key prefix is `<env>:<cache.project>`.
    pub env: String,
    pub revalidate_secret: Option<String>,
    /// External Next.js front ends, each a base URL or its revalidate endpoint.
    pub nextjs_urls: Vec<Target>,
    pub media_dir: PathBuf,
    /// The admin SPA's build (`npm --prefix admin run build`), served at `/admin/`.
    pub admin_dir: PathBuf,
    pub log_format: LogFormat,
    pub request_timeout: Duration,
    pub body_limit_bytes: usize,
    pub database_max_connections: u32,
    /// A connection that has not sent a whole request head within this is closed (slowloris);
    /// hyper also applies it while a keep-alive connection waits for its next request.
    pub header_read_timeout: Duration,
    /// A keep-alive connection idle this long after its last response is closed.
    pub keep_alive_timeout: Duration,
    /// Open connections at most; `None`: derived from the file limit at start.
    pub max_connections: Option<usize>,
    /// Proxies whose `X-Forwarded-For` names the client, for every rate limit.
    pub trusted_proxies: TrustedProxies,
    pub api: ApiConfig,
    pub web: WebConfig,
    pub cache: CacheSettings,
    /// Where uploaded files are kept: `media_dir`, or an S3-compatible bucket.
    pub media: MediaBackend,
    /// The CDNs or Varnish nodes purged by tag.
    pub cdn: CdnSettings,
}

/// The validated `[media]` section.
#[derive(Clone, Debug)]
pub enum MediaBackend {
    Local,
    #[cfg(feature = "s3")]
    S3(strata_media::s3::S3Settings),
}

/// Media storage (`[media]` in `strata.toml`, `STRATA_MEDIA__…` variables). Credentials are the
/// standard `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN` variables.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct MediaConfig {
    /// `local` or `s3`; unset: `s3` when `s3.bucket` is set, else `local`.
    storage: Option<String>,
    s3: S3Config,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct S3Config {
    bucket: Option<String>,
    endpoint: Option<String>,
    region: Option<String>,
    /// Unset: on with an `endpoint` (self-hosted servers), off for AWS itself.
    path_style: Option<bool>,
    /// A plain `http://` endpoint (a local test server).
    allow_http: bool,
}

/// CDN purges (`[cdn]` in `strata.toml`, `STRATA_CDN__…` variables). A provider is on when its
/// address is set: `varnish.urls`, `fastly.service_id`, `cloudflare.zone_id`.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct CdnConfig {
    site_key: String,
    max_age_secs: u64,
    fallback_after_secs: u64,
    stale_after_secs: u64,
    wait_ms: u64,
    varnish: VarnishConfig,
    fastly: FastlyConfig,
    cloudflare: CloudflareConfig,
}

impl Default for CdnConfig {
    fn default() -> Self {
        let settings = CdnSettings::default();
        CdnConfig {
            site_key: settings.site_key,
            max_age_secs: settings.max_age.as_secs(),
            fallback_after_secs: settings.fallback_after.as_secs(),
            stale_after_secs: settings.stale_after.as_secs(),
            wait_ms: 0,
            varnish: VarnishConfig::default(),
            fastly: FastlyConfig::default(),
            cloudflare: CloudflareConfig::default(),
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct VarnishConfig {
    urls: Vec<String>,
    /// `xkey.softpurge`: with grace, the old page is served once more after a purge.
    soft: bool,
    rate: Option<String>,
}

#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct FastlyConfig {
    service_id: Option<String>,
    /// `FASTLY_API_TOKEN`.
    token: Option<String>,
    soft: bool,
    api: String,
    rate: Option<String>,
}

impl Default for FastlyConfig {
    fn default() -> Self {
        FastlyConfig {
            service_id: None,
            token: None,
            soft: false,
            api: "https://api.fastly.com".to_owned(),
            rate: None,
        }
    }
}

#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct CloudflareConfig {
    zone_id: Option<String>,
    /// `CLOUDFLARE_API_TOKEN`.
    token: Option<String>,
    api: String,
    /// The account's plan: Free 5/m (the default), Pro 5/s, Business 10/s, Enterprise 50/s.
    rate: String,
}

impl Default for CloudflareConfig {
    fn default() -> Self {
        CloudflareConfig {
            zone_id: None,
            token: None,
            api: "https://api.cloudflare.com/client/v4".to_owned(),
            rate: "5/m".to_owned(),
        }
    }
}

/// Tokens stay out of `Debug`.
impl std::fmt::Debug for FastlyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FastlyConfig")
            .field("service_id", &self.service_id)
            .field("api", &self.api)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for CloudflareConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudflareConfig")
            .field("zone_id", &self.zone_id)
            .field("api", &self.api)
            .field("rate", &self.rate)
            .finish_non_exhaustive()
    }
}

/// The public site (`[web]` in `strata.toml`, `STRATA_WEB__…` variables).
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebConfig {
    /// The public origin for canonical links, Open Graph and the sitemap. Unset: `http://<bind>`.
    pub site_url: Option<String>,
    pub site_name: String,
    pub html_cache_mb: u64,
    /// `stale-while-revalidate` sent to CDNs.
    pub stale_while_revalidate_secs: u64,
    /// How long a page request waits for revalidations other instances have published.
    pub bus_wait_ms: u64,
    /// `POST /api/revalidate` calls per client address per minute.
    pub revalidate_per_minute: u32,
    /// Opt-in: requests per client address per minute that no cache answered; past it the
    /// address's public reads are refused (429) until the minute ends. 0: off.
    pub uncached_per_minute: u32,
    /// ISO 4217 currency of stored prices (JSON-LD, the API's documentation, the pages' unit).
    pub currency: String,
    /// With `IRR`: whether pages quote `toman` (amount ÷ 10, as Iranian listing sites do) or
    /// `rial`.
    pub irr_unit: strata_web::money::IrrUnit,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            site_url: None,
            site_name: "Strata".to_owned(),
            html_cache_mb: 64,
            stale_while_revalidate_secs: 86_400,
            bus_wait_ms: 200,
            revalidate_per_minute: 60,
            uncached_per_minute: 0,
            currency: "IRR".to_owned(),
            irr_unit: strata_web::money::IrrUnit::default(),
        }
    }
}

/// The REST API's behaviour (`[api]` in `strata.toml`, `STRATA_API__…` variables).
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// DRF's `PAGE_SIZE`.
    pub page_size: u64,
    /// The largest `page_size` a client may ask for.
    pub max_page_size: u64,
    pub upload_max_bytes: usize,
    pub session_ttl_hours: u64,
    /// `Secure` session, CSRF and device cookies. Unset: derived — always on an https
    /// `web.site_url`, else when a trusted proxy reports HTTPS (`X-Forwarded-Proto`).
    pub secure_cookies: Option<bool>,
    /// Unknown fields in a JSON body are a 400 (by default they are ignored, as in DRF).
    pub strict_input: bool,
    /// Rows per transaction and per invalidation of a bulk job.
    pub bulk_batch_size: usize,
    /// Most rows a bulk job may take.
    pub bulk_job_max_rows: usize,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            page_size: 20,
            max_page_size: 100,
            upload_max_bytes: 5 * 1024 * 1024,
            session_ttl_hours: 14 * 24,
            secure_cookies: None,
            strict_input: false,
            bulk_batch_size: 100,
            bulk_job_max_rows: 10_000,
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("metrics_bind", &self.metrics_bind)
            .field("database_url", &redact_url(&self.database_url))
            .field("redis_url", &self.redis_url.as_deref().map(redact_url))
            .field("env", &self.env)
            .field(
                "revalidate_secret",
                &self.revalidate_secret.as_ref().map(|_| "***"),
            )
            .field("nextjs_urls", &self.nextjs_urls)
            .field("media_dir", &self.media_dir)
            .field("admin_dir", &self.admin_dir)
            .field("log_format", &self.log_format)
            .field("request_timeout", &self.request_timeout)
            .field("body_limit_bytes", &self.body_limit_bytes)
            .field("database_max_connections", &self.database_max_connections)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("keep_alive_timeout", &self.keep_alive_timeout)
            .field("max_connections", &self.max_connections)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("api", &self.api)
            .field("web", &self.web)
            .field("cache", &self.cache)
            .field("media", &self.media)
            .field("cdn", &self.cdn)
            .finish()
    }
}

/// `postgres://user:pass@host/db` → `postgres://***@host/db`.
pub fn redact_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((_, host)) => format!("{scheme}://***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// What the providers deserialize into, before cross-field checks.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RawConfig {
    bind: SocketAddr,
    metrics_bind: SocketAddr,
    database_url: String,
    redis_url: Option<String>,
    env: String,
    revalidate_secret: Option<String>,
    nextjs_urls: Vec<String>,
    media_dir: PathBuf,
    admin_dir: PathBuf,
    /// Unset: JSON in production (log shippers), pretty elsewhere.
    log_format: Option<LogFormat>,
    request_timeout_secs: u64,
    body_limit_bytes: usize,
    database_max_connections: u32,
    header_read_timeout_secs: u64,
    keep_alive_timeout_secs: u64,
    max_connections: Option<usize>,
    trusted_proxies: Vec<String>,
    api: ApiConfig,
    web: WebConfig,
    cache: CacheSettings,
    media: MediaConfig,
    cdn: CdnConfig,
}

impl Default for RawConfig {
    fn default() -> Self {
        RawConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 8000)),
            // Loopback: per-route counts (failed logins, admin writes) and cache numbers are
            // the operator's, not the public's. 9464 is Prometheus exporters' usual port.
            metrics_bind: SocketAddr::from(([127, 0, 0, 1], 9464)),
            database_url: "sqlite://strata.db".into(),
            redis_url: None,
            env: "dev".into(),
            revalidate_secret: None,
            nextjs_urls: Vec::new(),
            media_dir: PathBuf::from("./media"),
            admin_dir: PathBuf::from("./admin/dist"),
            log_format: None,
            request_timeout_secs: 30,
            body_limit_bytes: 10 * 1024 * 1024,
            database_max_connections: 10,
            header_read_timeout_secs: 10,
            keep_alive_timeout_secs: 5,
            max_connections: None,
            trusted_proxies: Vec::new(),
            api: ApiConfig::default(),
            web: WebConfig::default(),
            cache: CacheSettings::default(),
            media: MediaConfig::default(),
            cdn: CdnConfig::default(),
        }
    }
}

/// Every problem found in the configuration, one per line.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n  - {}", .problems.join("\n  - "))]
pub struct ConfigError {
    pub problems: Vec<String>,
}

/// A loaded configuration and what the operator should hear about once logging is up.
#[derive(Debug)]
pub struct Loaded {
    pub config: Config,
    pub warnings: Vec<String>,
}

impl Config {
    /// Loads from the process environment and `$STRATA_CONFIG` or `./strata.toml`.
    pub fn load() -> Result<Loaded, ConfigError> {
        let env: Vec<(String, String)> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        Self::load_from(&env, Path::new(DEFAULT_CONFIG_FILE))
    }

    /// Loads from explicit variables; `default_file` is read when `STRATA_CONFIG` is unset and it
    /// exists. Pure apart from reading the file, so tests need not touch the process environment.
    pub fn load_from(env: &[(String, String)], default_file: &Path) -> Result<Loaded, ConfigError> {
        let mut problems = Vec::new();
        let mut warnings = Vec::new();

        let file = match env.iter().find(|(k, _)| k == CONFIG_PATH_VAR) {
            Some((_, path)) if !Path::new(path).is_file() => {
                problems.push(format!("{CONFIG_PATH_VAR}: the file {path} does not exist"));
                None
            }
            Some((_, path)) => Some(PathBuf::from(path)),
            None => default_file.is_file().then(|| default_file.to_owned()),
        };
        let mut figment = Figment::new();
        if let Some(file) = &file {
            figment = figment.merge(Toml::file_exact(file));
        }
        figment = figment
            .merge(EnvProvider::strata(env, &mut warnings))
            .merge(EnvProvider::legacy(env));

        let raw = extract_all(&figment, file.as_deref(), &mut problems);
        let config = raw.and_then(|raw| check(raw, &figment, env, &mut problems));
        if let Some(config) = &config {
            warnings.extend(config.insecure_on_https());
        }
        match config {
            Some(config) if problems.is_empty() => Ok(Loaded { config, warnings }),
            _ => Err(ConfigError { problems }),
        }
    }
}

impl Config {
    /// The public origin: `web.site_url`, else the bound address.
    pub fn site_url(&self) -> String {
        self.web
            .site_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.bind))
    }

    pub fn site_is_https(&self) -> bool {
        self.site_url().starts_with("https://")
    }

    /// A warning when cookies are forced to travel without `Secure` on an HTTPS site: a
    /// session cookie a browser would also send over plain HTTP.
    fn insecure_on_https(&self) -> Option<String> {
        (self.api.secure_cookies == Some(false) && self.site_is_https()).then(|| {
            format!(
                "api.secure_cookies is false but web.site_url ({}) is https: session cookies \
                 go without `Secure`, so a browser also sends them over plain HTTP; leave the \
                 setting unset to derive it",
                self.site_url()
            )
        })
    }
}

/// Deserializes, and on failure keeps going: each offending key is reported, dropped (its default
/// applies) and extraction retried, so one run lists every bad key instead of the first.
fn extract_all(
    figment: &Figment,
    file: Option<&Path>,
    problems: &mut Vec<String>,
) -> Option<RawConfig> {
    let mut dict = match figment.data() {
        Ok(mut data) => data.remove(&Profile::Default).unwrap_or_default(),
        // Only the file can fail to provide data (a syntax error); the variables always parse.
        Err(errors) => {
            let file = file.map_or_else(|| "the config file".into(), |f| f.display().to_string());
            problems.extend(errors.into_iter().map(|e| format!("{file}: {e}")));
            return None;
        }
    };
    // Bounded: every round removes at least one key, and a config has only so many.
    for _ in 0..64 {
        let errors = match Figment::from(Data(dict.clone())).extract::<RawConfig>() {
            Ok(raw) => return Some(raw),
            Err(errors) => errors,
        };
        let mut removed = false;
        for error in errors {
            problems.push(describe(figment, &error));
            removed |= remove_path(&mut dict, &offending_path(&error));
        }
        if !removed {
            return None;
        }
    }
    None
}

/// The key to drop for an error: an unknown field's own path, else the error's.
fn offending_path(error: &figment::Error) -> Vec<String> {
    let mut path = error.path.clone();
    if let figment::error::Kind::UnknownField(name, _) = &error.kind
        && path.last() != Some(name)
    {
        path.push(name.clone());
    }
    path
}

fn remove_path(dict: &mut Dict, path: &[String]) -> bool {
    match path {
        [] => false,
        [last] => dict.remove(last).is_some(),
        [first, rest @ ..] => match dict.get_mut(first) {
            Some(Value::Dict(_, inner)) => remove_path(inner, rest),
            _ => false,
        },
    }
}

/// `STRATA_CACHE__TTL__PUBLIC_LIST (cache.ttl.public_list): invalid type: …`.
fn describe(figment: &Figment, error: &figment::Error) -> String {
    use figment::error::Kind;
    let path = offending_path(error);
    let origin = source_of(figment, &path);
    match &error.kind {
        Kind::UnknownField(name, expected) => {
            let expected = expected
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ");
            format!("{origin}: unknown setting `{name}` (expected one of {expected})")
        }
        _ if path.is_empty() => error.to_string(),
        kind if path == ["bind"] || path == ["metrics_bind"] => {
            format!("{origin}: {kind} (expected e.g. 127.0.0.1:8000)")
        }
        kind => format!("{origin}: {kind}"),
    }
}

/// Names where a key's value came from: the variable, or the key and the file.
fn source_of(figment: &Figment, path: &[String]) -> String {
    let key = path.join(".");
    // An array element's metadata is its array's; look up the nearest existing ancestor.
    let metadata = (1..=path.len())
        .rev()
        .find_map(|n| figment.find_metadata(&path[..n].join(".")));
    match metadata {
        Some(Metadata {
            source: Some(Source::File(file)),
            ..
        }) => format!("`{key}` in {}", file.display()),
        Some(md) => format!("{} ({key})", md.interpolate(&Profile::Default, path)),
        None => format!("`{key}`"),
    }
}

/// Cross-field and semantic checks serde cannot express.
fn check(
    raw: RawConfig,
    figment: &Figment,
    env: &[(String, String)],
    problems: &mut Vec<String>,
) -> Option<Config> {
    let from = |key: &str| source_of(figment, &split_key(key));
    let media = media_backend(&raw.media, env, &from, problems);
    let cdn = cdn_settings(&raw.cdn, &from, problems);

    let db = &raw.database_url;
    let db_ok = ["sqlite://", "postgres://", "postgresql://"]
        .iter()
        .any(|scheme| db.len() > scheme.len() && db.starts_with(scheme));
    if !db_ok {
        problems.push(format!(
            "{}: `{}` is not a supported database URL (use sqlite://PATH or postgres://…)",
            from("database_url"),
            redact_url(db)
        ));
    }

    let redis_url = raw.redis_url.filter(|u| !u.is_empty());
    if let Some(url) = &redis_url {
        // The engine's own check, so a refusal reads the same wherever it happens.
        if let Err(refused) = RedisConfigError::check_url(url) {
            problems.push(format!("{}: {refused}", from("redis_url")));
        }
    }

    if raw.env.is_empty() || raw.env.contains(char::is_whitespace) {
        problems.push(format!(
            "{}: must be a non-empty word (it prefixes every cache key)",
            from("env")
        ));
    }

    let nextjs_urls = raw
        .nextjs_urls
        .iter()
        .filter_map(|entry| {
            Target::parse(entry)
                .map_err(|refused| problems.push(format!("{}: {refused}", from("nextjs_urls"))))
                .ok()
        })
        .collect();

    for (key, zero) in [
        ("request_timeout_secs", raw.request_timeout_secs == 0),
        (
            "header_read_timeout_secs",
            raw.header_read_timeout_secs == 0,
        ),
        ("keep_alive_timeout_secs", raw.keep_alive_timeout_secs == 0),
        ("max_connections", raw.max_connections == Some(0)),
    ] {
        if zero {
            problems.push(format!("{}: must be greater than 0", from(key)));
        }
    }
    let trusted_proxies = TrustedProxies::parse(&raw.trusted_proxies).unwrap_or_else(|refused| {
        problems.push(format!("{}: {refused}", from("trusted_proxies")));
        TrustedProxies::default()
    });
    for (key, zero) in [
        (
            "database_max_connections",
            raw.database_max_connections == 0,
        ),
        ("api.page_size", raw.api.page_size == 0),
        (
            "api.max_page_size",
            raw.api.max_page_size < raw.api.page_size,
        ),
        ("api.upload_max_bytes", raw.api.upload_max_bytes == 0),
        ("api.session_ttl_hours", raw.api.session_ttl_hours == 0),
        ("api.bulk_batch_size", raw.api.bulk_batch_size == 0),
        ("api.bulk_job_max_rows", raw.api.bulk_job_max_rows == 0),
    ] {
        if zero {
            problems.push(format!(
                "{}: must be greater than 0 (and max_page_size ≥ page_size)",
                from(key)
            ));
        }
    }
    if let Some(url) = &raw.web.site_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        problems.push(format!(
            "{}: `{url}` is not an http(s) URL",
            from("web.site_url")
        ));
    }
    // A batch's ids are bound into one query, like an explicit bulk's: the same bound.
    if raw.api.bulk_batch_size > strata_api::BULK_IDS_MAX {
        problems.push(format!(
            "{}: at most {}",
            from("api.bulk_batch_size"),
            strata_api::BULK_IDS_MAX
        ));
    }
    let currency = raw.web.currency.trim();
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_alphabetic()) {
        problems.push(format!(
            "{}: `{currency}` is not an ISO 4217 code (three letters, e.g. IRR)",
            from("web.currency")
        ));
    }
    if raw.web.revalidate_per_minute == 0 {
        problems.push(format!(
            "{}: must be greater than 0",
            from("web.revalidate_per_minute")
        ));
    }
    if raw.api.upload_max_bytes >= raw.body_limit_bytes {
        problems.push(format!(
            "{}: must be below body_limit_bytes, which bounds every request",
            from("api.upload_max_bytes")
        ));
    }
    if raw.body_limit_bytes == 0 {
        problems.push(format!(
            "{}: must be greater than 0",
            from("body_limit_bytes")
        ));
    }

    if let Err(errors) = raw.cache.validate() {
        // The engine names keys (`cache.ttl.public_list must …`); add where each value came from.
        for message in errors {
            let key = message.split_whitespace().next().unwrap_or_default();
            problems.push(format!("{}: {message}", from(key)));
        }
    }

    let log_format = raw.log_format.unwrap_or(if raw.env == "production" {
        LogFormat::Json
    } else {
        LogFormat::Pretty
    });
    Some(Config {
        bind: raw.bind,
        metrics_bind: raw.metrics_bind,
        database_url: raw.database_url,
        redis_url,
        env: raw.env,
        revalidate_secret: raw.revalidate_secret.filter(|s| !s.is_empty()),
        nextjs_urls,
        media_dir: raw.media_dir,
        admin_dir: raw.admin_dir,
        log_format,
        request_timeout: Duration::from_secs(raw.request_timeout_secs),
        body_limit_bytes: raw.body_limit_bytes,
        database_max_connections: raw.database_max_connections,
        header_read_timeout: Duration::from_secs(raw.header_read_timeout_secs),
        keep_alive_timeout: Duration::from_secs(raw.keep_alive_timeout_secs),
        max_connections: raw.max_connections,
        trusted_proxies,
        api: raw.api,
        web: raw.web,
        cache: raw.cache,
        media,
        cdn,
    })
}

/// The providers `[cdn]` names, its problems reported.
fn cdn_settings(
    cdn: &CdnConfig,
    from: &dyn Fn(&str) -> String,
    problems: &mut Vec<String>,
) -> CdnSettings {
    let mut rate = |key: &str, text: Option<&str>| -> Option<Rate> {
        let text = text.filter(|text| !text.trim().is_empty())?;
        text.parse()
            .map_err(|refused| problems.push(format!("{}: {refused}", from(key))))
            .ok()
    };
    let varnish_rate = rate("cdn.varnish.rate", cdn.varnish.rate.as_deref());
    let fastly_rate = rate("cdn.fastly.rate", cdn.fastly.rate.as_deref());
    let cloudflare_rate = rate("cdn.cloudflare.rate", Some(&cdn.cloudflare.rate));
    let mut providers = Vec::new();
    let mut nodes = Vec::new();
    for url in &cdn.varnish.urls {
        match reqwest::Url::parse(url) {
            Ok(parsed)
                if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() =>
            {
                nodes.push(url.clone());
            }
            _ => problems.push(format!(
                "{}: `{url}` is not a Varnish node's http(s) URL",
                from("cdn.varnish.urls")
            )),
        }
    }
    if !nodes.is_empty() {
        providers.push(CdnProvider {
            vendor: Vendor::Varnish {
                nodes,
                soft: cdn.varnish.soft,
            },
            rate: varnish_rate,
        });
    }
    let mut token = |key: &str, var: &str, token: &Option<String>| -> Secret {
        let token = token.clone().filter(|token| !token.is_empty());
        if token.is_none() {
            problems.push(format!(
                "{}: is required with the provider's id ({var})",
                from(key)
            ));
        }
        Secret(token.unwrap_or_default())
    };
    if let Some(service_id) = cdn.fastly.service_id.as_ref().filter(|id| !id.is_empty()) {
        providers.push(CdnProvider {
            vendor: Vendor::Fastly {
                api: cdn.fastly.api.clone(),
                service_id: service_id.clone(),
                token: token("cdn.fastly.token", "FASTLY_API_TOKEN", &cdn.fastly.token),
                soft: cdn.fastly.soft,
            },
            rate: fastly_rate,
        });
    }
    if let Some(zone_id) = cdn.cloudflare.zone_id.as_ref().filter(|id| !id.is_empty()) {
        providers.push(CdnProvider {
            vendor: Vendor::Cloudflare {
                api: cdn.cloudflare.api.clone(),
                zone_id: zone_id.clone(),
                token: token(
                    "cdn.cloudflare.token",
                    "CLOUDFLARE_API_TOKEN",
                    &cdn.cloudflare.token,
                ),
            },
            rate: cloudflare_rate,
        });
    }
    if cdn.site_key.is_empty() || cdn.site_key != header_tag(&cdn.site_key) {
        problems.push(format!(
            "{}: `{}` must be a non-empty key of visible ASCII without commas",
            from("cdn.site_key"),
            cdn.site_key
        ));
    }
    CdnSettings {
        providers,
        site_key: cdn.site_key.clone(),
        max_age: Duration::from_secs(cdn.max_age_secs),
        fallback_after: Duration::from_secs(cdn.fallback_after_secs),
        stale_after: Duration::from_secs(cdn.stale_after_secs),
        wait: Duration::from_millis(cdn.wait_ms),
    }
}

/// The storage `[media]` names, its problems reported.
fn media_backend(
    media: &MediaConfig,
    env: &[(String, String)],
    from: &dyn Fn(&str) -> String,
    problems: &mut Vec<String>,
) -> MediaBackend {
    let s3 = &media.s3;
    let bucket = s3.bucket.as_deref().filter(|b| !b.is_empty());
    match media.storage.as_deref() {
        Some("local") => return MediaBackend::Local,
        None if bucket.is_none() => return MediaBackend::Local,
        Some("s3") | None => {}
        Some(other) => {
            problems.push(format!(
                "{}: `{other}` is not a media storage (use local or s3)",
                from("media.storage")
            ));
            return MediaBackend::Local;
        }
    }
    let Some(bucket) = bucket else {
        problems.push(format!(
            "{}: required when media.storage is s3",
            from("media.s3.bucket")
        ));
        return MediaBackend::Local;
    };
    if let Some(endpoint) = &s3.endpoint {
        if endpoint.starts_with("http://") && !s3.allow_http {
            problems.push(format!(
                "{}: a plain http:// endpoint needs media.s3.allow_http = true",
                from("media.s3.endpoint")
            ));
        } else if !endpoint.starts_with("http://") && !endpoint.starts_with("https://") {
            problems.push(format!(
                "{}: `{endpoint}` is not an http(s) URL",
                from("media.s3.endpoint")
            ));
        }
    }
    s3_backend(bucket, s3, env, from, problems)
}

#[cfg(feature = "s3")]
fn s3_backend(
    bucket: &str,
    s3: &S3Config,
    env: &[(String, String)],
    from: &dyn Fn(&str) -> String,
    problems: &mut Vec<String>,
) -> MediaBackend {
    let var = |name: &str| {
        env.iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.clone())
    };
    let settings = strata_media::s3::S3Settings {
        bucket: bucket.to_owned(),
        endpoint: s3.endpoint.clone(),
        region: s3.region.clone(),
        path_style: s3.path_style.unwrap_or(s3.endpoint.is_some()),
        allow_http: s3.allow_http,
        access_key_id: var("AWS_ACCESS_KEY_ID"),
        secret_access_key: var("AWS_SECRET_ACCESS_KEY"),
        session_token: var("AWS_SESSION_TOKEN"),
    };
    // Building the client checks the rest (the endpoint's URL) without contacting it.
    if let Err(refused) = strata_media::s3::S3Storage::new(&settings) {
        problems.push(format!("{}: {refused}", from("media.s3")));
    }
    MediaBackend::S3(settings)
}

#[cfg(not(feature = "s3"))]
fn s3_backend(
    _: &str,
    _: &S3Config,
    _: &[(String, String)],
    from: &dyn Fn(&str) -> String,
    problems: &mut Vec<String>,
) -> MediaBackend {
    problems.push(format!(
        "{}: this build has no S3 support (built without the `s3` feature)",
        from("media.s3.bucket")
    ));
    MediaBackend::Local
}

fn split_key(key: &str) -> Vec<String> {
    key.split('.').map(str::to_owned).collect()
}

/// A fixed dictionary, for re-extracting after dropping bad keys.
struct Data(Dict);

impl Provider for Data {
    fn metadata(&self) -> Metadata {
        Metadata::named("configuration")
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.0.clone()))
    }
}

/// Settings from environment variables, from an explicit list (testable without touching the
/// process environment). Empty values count as unset, as compose files write `REDIS_URL=`.
struct EnvProvider {
    name: &'static str,
    dict: Dict,
    legacy: bool,
}

impl EnvProvider {
    fn strata(env: &[(String, String)], warnings: &mut Vec<String>) -> Self {
        let mut dict = Dict::new();
        for (var, value) in env {
            let Some(rest) = var.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            if var == CONFIG_PATH_VAR || value.is_empty() {
                continue;
            }
            let path: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
            if !TOP_LEVEL_KEYS.contains(&path[0].as_str()) {
                warnings.push(format!("{var} is not a Strata setting; ignored"));
                continue;
            }
            insert_path(&mut dict, &path, env_value(&path.join("."), value));
        }
        EnvProvider {
            name: "environment variable",
            dict,
            legacy: false,
        }
    }

    fn legacy(env: &[(String, String)]) -> Self {
        let vars: BTreeMap<&str, &str> =
            env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut dict = Dict::new();
        for (var, key) in LEGACY_VARS {
            if let Some(value) = vars.get(var).filter(|v| !v.is_empty()) {
                insert_path(&mut dict, &split_key(key), env_value(key, value));
            }
        }
        EnvProvider {
            name: "environment variable",
            dict,
            legacy: true,
        }
    }
}

impl Provider for EnvProvider {
    fn metadata(&self) -> Metadata {
        let legacy = self.legacy;
        Metadata::named(self.name).interpolater(move |_: &Profile, keys: &[&str]| {
            if legacy && let Some((var, _)) = LEGACY_VARS.iter().find(|(_, k)| *k == keys.join("."))
            {
                return (*var).to_owned();
            }
            let upper: Vec<String> = keys.iter().map(|k| k.to_ascii_uppercase()).collect();
            format!("{ENV_PREFIX}{}", upper.join("__"))
        })
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.dict.clone()))
    }
}

fn env_value(key: &str, value: &str) -> Value {
    if STRING_KEYS.contains(&key) {
        Value::from(value.to_owned())
    } else if LIST_KEYS.contains(&key) {
        let items: Vec<Value> = value
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| Value::from(s.to_owned()))
            .collect();
        Value::from(items)
    } else {
        // Numbers and booleans, as TOML would read them; anything else stays a string and fails
        // deserialization with a message naming the variable.
        match value.parse::<Value>() {
            Ok(v) => v,
            Err(never) => match never {},
        }
    }
}

fn insert_path(dict: &mut Dict, path: &[String], value: Value) {
    match path {
        [] => {}
        [last] => {
            dict.insert(last.clone(), value);
        }
        [first, rest @ ..] => {
            let entry = dict
                .entry(first.clone())
                .or_insert_with(|| Value::from(Dict::new()));
            if !matches!(entry, Value::Dict(..)) {
                *entry = Value::from(Dict::new());
            }
            if let Value::Dict(_, inner) = entry {
                insert_path(inner, rest, value);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> Vec<(String, String)> {
        vars.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn no_file() -> PathBuf {
        PathBuf::from("/nonexistent/strata.toml")
    }

    /// A TOML file unique to the test; removed on drop.
    struct TempToml(PathBuf);

    impl TempToml {
        fn new(name: &str, text: &str) -> Self {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos();
            let path = std::env::temp_dir().join(format!(
                "strata-config-{name}-{}-{nanos}.toml",
                std::process::id()
            ));
            std::fs::write(&path, text).unwrap();
            TempToml(path)
        }
    }

    impl Drop for TempToml {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    fn problems(result: Result<Loaded, ConfigError>) -> String {
        result.expect_err("config should be rejected").to_string()
    }

    #[test]
    fn cdn_providers_are_on_when_their_address_is_set_and_tokens_come_from_their_tools_names() {
        let c = Config::load_from(&[], &no_file()).unwrap().config;
        assert!(c.cdn.providers.is_empty(), "no provider by default");
        let c = Config::load_from(
            &env(&[
                (
                    "STRATA_CDN__VARNISH__URLS",
                    "http://10.0.0.5:6081, http://10.0.0.6:6081",
                ),
                ("STRATA_CDN__FASTLY__SERVICE_ID", "0123"),
                ("FASTLY_API_TOKEN", "fastly-secret"),
                ("STRATA_CDN__CLOUDFLARE__ZONE_ID", "zone"),
                ("CLOUDFLARE_API_TOKEN", "cf-secret"),
                ("STRATA_CDN__CLOUDFLARE__RATE", "10/s"),
            ]),
            &no_file(),
        )
        .unwrap()
        .config;
        let names: Vec<&str> = c.cdn.providers.iter().map(CdnProvider::name).collect();
        assert_eq!(names, ["varnish", "fastly", "cloudflare"]);
        match &c.cdn.providers[1].vendor {
            Vendor::Fastly {
                service_id, token, ..
            } => assert_eq!(
                (service_id.as_str(), token.0.as_str()),
                ("0123", "fastly-secret")
            ),
            other => panic!("{other:?}"),
        }
        assert_eq!(c.cdn.providers[2].rate, Some("10/s".parse().unwrap()));
        let dump = format!("{c:?}");
        assert!(
            !dump.contains("fastly-secret") && !dump.contains("cf-secret"),
            "tokens stay out of Debug: {dump}"
        );

        let refused = problems(Config::load_from(
            &env(&[
                ("STRATA_CDN__VARNISH__URLS", "varnish:6081"),
                ("STRATA_CDN__FASTLY__SERVICE_ID", "svc"),
                ("STRATA_CDN__CLOUDFLARE__ZONE_ID", "zone"),
                ("CLOUDFLARE_API_TOKEN", "t"),
                ("STRATA_CDN__CLOUDFLARE__RATE", "5/day"),
                ("STRATA_CDN__SITE_KEY", "a,b"),
            ]),
            &no_file(),
        ));
        for expected in [
            "(cdn.varnish.urls): `varnish:6081` is not a Varnish node's http(s) URL",
            "(cdn.fastly.token): is required with the provider's id (FASTLY_API_TOKEN)",
            "(cdn.cloudflare.rate): `5/day` is not a rate",
            "(cdn.site_key): `a,b` must be",
        ] {
            assert!(refused.contains(expected), "{expected} in {refused}");
        }
    }

    #[test]
    fn secure_cookies_are_derived_and_forcing_them_off_on_https_is_warned() {
        let load = |vars: &[(&str, &str)]| Config::load_from(&env(vars), &no_file()).unwrap();
        let plain = load(&[]);
        assert_eq!(plain.config.api.secure_cookies, None);
        assert!(!plain.config.site_is_https());
        assert!(plain.warnings.is_empty(), "{:?}", plain.warnings);
        let https = load(&[("STRATA_WEB__SITE_URL", "https://strata.example")]);
        assert!(https.config.site_is_https());
        assert!(https.warnings.is_empty(), "{:?}", https.warnings);
        let forced = load(&[
            ("STRATA_WEB__SITE_URL", "https://strata.example"),
            ("STRATA_API__SECURE_COOKIES", "false"),
        ]);
        assert_eq!(forced.config.api.secure_cookies, Some(false));
        assert_eq!(forced.warnings.len(), 1, "{:?}", forced.warnings);
        assert!(
            forced.warnings[0].contains("api.secure_cookies"),
            "{:?}",
            forced.warnings
        );
        let forced_on_http = load(&[("STRATA_API__SECURE_COOKIES", "false")]);
        assert!(forced_on_http.warnings.is_empty());
    }

    #[test]
    fn defaults() {
        let c = Config::load_from(&[], &no_file()).unwrap().config;
        assert_eq!(c.bind, "127.0.0.1:8000".parse().unwrap());
        assert_eq!(c.metrics_bind, "127.0.0.1:9464".parse().unwrap());
        assert_eq!(c.database_url, "sqlite://strata.db");
        assert_eq!(c.redis_url, None);
        assert_eq!(c.env, "dev");
        assert_eq!(c.log_format, LogFormat::Pretty);
        assert_eq!(c.media_dir, PathBuf::from("./media"));
        assert_eq!(c.request_timeout, Duration::from_secs(30));
        assert_eq!(c.body_limit_bytes, 10 * 1024 * 1024);
        assert_eq!(c.cache, CacheSettings::default());
    }

    #[test]
    fn env_overrides_file_and_legacy_names_override_strata_names() {
        let file = TempToml::new(
            "override",
            "bind = \"0.0.0.0:9000\"\nenv = \"staging\"\n[cache.ttl]\npublic_list = 10\ntaxonomy = 99\n",
        );
        let vars = env(&[
            ("STRATA_CONFIG", file.0.to_str().unwrap()),
            ("STRATA_CACHE__TTL__PUBLIC_LIST", "60"),
            ("STRATA_ENV", "from-strata"),
            ("ENV", "production"),
            ("DATABASE_URL", "postgres://u:p@localhost/strata"),
            ("REDIS_URL", "redis://127.0.0.1:6379/1"),
            ("REVALIDATE_SECRET", "0123"),
            ("NEXTJS_URL", "http://a:3000, https://b"),
        ]);
        let c = Config::load_from(&vars, &no_file()).unwrap().config;
        assert_eq!(c.bind, "0.0.0.0:9000".parse().unwrap());
        assert_eq!(c.cache.ttl.public_list, 60);
        assert_eq!(c.cache.ttl.taxonomy, 99);
        assert_eq!(c.env, "production");
        assert_eq!(c.log_format, LogFormat::Json, "production logs JSON");
        assert_eq!(c.database_url, "postgres://u:p@localhost/strata");
        assert_eq!(c.redis_url.as_deref(), Some("redis://127.0.0.1:6379/1"));
        assert_eq!(
            c.revalidate_secret.as_deref(),
            Some("0123"),
            "kept verbatim"
        );
        let endpoints: Vec<_> = c.nextjs_urls.iter().map(|t| t.endpoint.as_str()).collect();
        assert_eq!(
            endpoints,
            ["http://a:3000/api/revalidate", "https://b/api/revalidate"],
            "base URLs, as in the original stack"
        );
    }

    #[test]
    fn default_file_is_read_when_present() {
        let file = TempToml::new("default", "media_dir = \"/srv/media\"\n");
        let c = Config::load_from(&[], &file.0).unwrap().config;
        assert_eq!(c.media_dir, PathBuf::from("/srv/media"));
    }

    #[test]
    fn empty_legacy_values_count_as_unset() {
        let vars = env(&[("REDIS_URL", ""), ("ENV", "")]);
        let c = Config::load_from(&vars, &no_file()).unwrap().config;
        assert_eq!(c.redis_url, None);
        assert_eq!(c.env, "dev");
    }

    #[test]
    fn every_problem_is_reported_with_its_source() {
        let file = TempToml::new(
            "errors",
            "colour = \"blue\"\n[cache.ttl]\npublik_list = 5\n[cache.redis]\npool_size = 0\n",
        );
        let vars = env(&[
            ("STRATA_CONFIG", file.0.to_str().unwrap()),
            ("STRATA_CACHE__TTL__PUBLIC_LIST", "abc"),
            ("STRATA_BIND", "not-an-address"),
            ("STRATA_REQUEST_TIMEOUT_SECS", "0"),
            ("DATABASE_URL", "mysql://localhost/strata"),
            ("REDIS_URL", "memcached://localhost"),
        ]);
        let text = problems(Config::load_from(&vars, &no_file()));
        let file_name = file.0.display().to_string();
        for needle in [
            "STRATA_CACHE__TTL__PUBLIC_LIST (cache.ttl.public_list): invalid type: found string \"abc\"",
            "STRATA_BIND (bind)",
            "unknown setting `colour`",
            "unknown setting `publik_list`",
            &file_name,
            "STRATA_REQUEST_TIMEOUT_SECS (request_timeout_secs): must be greater than 0",
            "DATABASE_URL (database_url): `mysql://localhost/strata` is not a supported database URL",
            "REDIS_URL (redis_url): REDIS_URL is not a usable Redis URL: expected redis://, rediss://, redis-sentinel://, rediss-sentinel://, redis-cluster:// or rediss-cluster://, got `memcached`",
            "cache.redis.pool_size must be between 1 and 50",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
        }
    }

    #[test]
    fn tls_sentinel_and_cluster_redis_urls_are_accepted() {
        for url in [
            "rediss://cache.internal:6380/1",
            "rediss-sentinel://cache.internal:26379/0?sentinelServiceName=main",
            "redis-cluster://10.0.0.1:7000,10.0.0.2:7000,10.0.0.3:7000",
            "rediss-cluster://cache.internal:7000",
        ] {
            let vars = env(&[("REDIS_URL", url)]);
            assert!(Config::load_from(&vars, &no_file()).is_ok(), "{url}");
        }
    }

    #[test]
    fn debug_output_hides_secrets() {
        let vars = env(&[
            ("DATABASE_URL", "postgres://strata:hunter2@db/strata"),
            ("REVALIDATE_SECRET", "s3cret"),
        ]);
        let c = Config::load_from(&vars, &no_file()).unwrap().config;
        let text = format!("{c:?}");
        assert!(
            !text.contains("hunter2") && !text.contains("s3cret"),
            "{text}"
        );
        assert!(text.contains("postgres://***@db/strata"), "{text}");
    }

    #[test]
    fn sentinel_is_accepted() {
        let vars = env(&[(
            "REDIS_URL",
            "redis-sentinel://127.0.0.1:26379/1?sentinelServiceName=mymaster",
        )]);
        assert!(Config::load_from(&vars, &no_file()).is_ok());
    }

    #[test]
    fn missing_explicit_file_is_an_error() {
        let vars = env(&[("STRATA_CONFIG", "/nonexistent/strata-missing.toml")]);
        let text = problems(Config::load_from(&vars, &no_file()));
        assert!(text.contains("STRATA_CONFIG"), "{text}");
    }

    #[test]
    fn foreign_strata_variables_are_warned_about_not_fatal() {
        let vars = env(&[("STRATA_BIN", "/usr/bin/strata")]);
        let loaded = Config::load_from(&vars, &no_file()).unwrap();
        assert!(loaded.warnings[0].contains("STRATA_BIN"));
    }

    #[test]
    fn toml_syntax_error_names_the_file() {
        let file = TempToml::new("syntax", "bind = \n");
        let vars = env(&[("STRATA_CONFIG", file.0.to_str().unwrap())]);
        let text = problems(Config::load_from(&vars, &no_file()));
        assert!(text.contains(&file.0.display().to_string()), "{text}");
    }

    #[test]
    fn nextjs_urls_are_checked_per_entry() {
        let vars = env(&[(
            "NEXTJS_URL",
            "https://ok.example/api/revalidate/,front.example,http://a/?x=1",
        )]);
        let text = problems(Config::load_from(&vars, &no_file()));
        for needle in [
            "NEXTJS_URL (nextjs_urls): `front.example` is not an http(s) URL",
            "NEXTJS_URL (nextjs_urls): `http://a/?x=1` has a query or fragment",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
        }
        assert!(!text.contains("ok.example"), "{text}");

        let file = TempToml::new("nextjs", "nextjs_urls = [\"http://front:3000/\"]\n");
        let vars = env(&[("STRATA_CONFIG", file.0.to_str().unwrap())]);
        let c = Config::load_from(&vars, &no_file()).unwrap().config;
        assert_eq!(
            c.nextjs_urls[0].endpoint,
            "http://front:3000/api/revalidate"
        );
    }

    #[test]
    fn connection_limits_and_trusted_proxies_are_read_and_checked() {
        let c = Config::load_from(&[], &no_file()).unwrap().config;
        assert_eq!(c.header_read_timeout, Duration::from_secs(10));
        assert_eq!(c.keep_alive_timeout, Duration::from_secs(5));
        assert_eq!(c.max_connections, None);
        assert_eq!(c.trusted_proxies, TrustedProxies::default());
        let vars = env(&[
            ("STRATA_HEADER_READ_TIMEOUT_SECS", "2"),
            ("STRATA_MAX_CONNECTIONS", "300"),
            ("STRATA_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.1"),
        ]);
        let c = Config::load_from(&vars, &no_file()).unwrap().config;
        assert_eq!(c.header_read_timeout, Duration::from_secs(2));
        assert_eq!(c.max_connections, Some(300));
        assert_eq!(
            c.trusted_proxies,
            TrustedProxies::parse(&["10.0.0.0/8", "192.168.1.1"]).unwrap()
        );
        let vars = env(&[
            ("STRATA_TRUSTED_PROXIES", "10.0.0.0/8,proxy.internal"),
            ("STRATA_KEEP_ALIVE_TIMEOUT_SECS", "0"),
            ("STRATA_MAX_CONNECTIONS", "0"),
        ]);
        let text = problems(Config::load_from(&vars, &no_file()));
        for needle in [
            "STRATA_TRUSTED_PROXIES (trusted_proxies): `proxy.internal` is neither",
            "STRATA_KEEP_ALIVE_TIMEOUT_SECS (keep_alive_timeout_secs): must be greater than 0",
            "STRATA_MAX_CONNECTIONS (max_connections): must be greater than 0",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
        }
    }

    #[test]
    fn log_format_is_checked() {
        let vars = env(&[("STRATA_LOG_FORMAT", "xml")]);
        let text = problems(Config::load_from(&vars, &no_file()));
        assert!(text.contains("STRATA_LOG_FORMAT"), "{text}");
        assert!(text.contains("pretty"), "{text}");
    }
    // media storage
    #[cfg(feature = "s3")]
    #[test]
    fn media_storage_is_local_unless_a_bucket_is_named() {
        let c = Config::load_from(&[], &no_file()).unwrap().config;
        assert!(matches!(c.media, MediaBackend::Local));
        let vars = env(&[
            ("STRATA_MEDIA__S3__BUCKET", "0123"),
            ("STRATA_MEDIA__S3__ENDPOINT", "http://127.0.0.1:9000"),
            ("STRATA_MEDIA__S3__ALLOW_HTTP", "true"),
            ("AWS_ACCESS_KEY_ID", "id"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
        ]);
        let c = Config::load_from(&vars, &no_file()).unwrap().config;
        let MediaBackend::S3(s3) = &c.media else {
            panic!("{:?}", c.media);
        };
        // A string even where it reads as a number; path-style by default with an endpoint.
        assert_eq!(s3.bucket, "0123");
        assert!(s3.path_style && s3.allow_http);
        assert_eq!(s3.access_key_id.as_deref(), Some("id"));
        assert!(!format!("{c:?}").contains("secret\""), "{c:?}");
        let local = env(&[
            ("STRATA_MEDIA__STORAGE", "local"),
            ("STRATA_MEDIA__S3__BUCKET", "b"),
        ]);
        let c = Config::load_from(&local, &no_file()).unwrap().config;
        assert!(matches!(c.media, MediaBackend::Local));
    }

    #[test]
    fn bad_media_storage_settings_are_refused_with_their_variable() {
        for (vars, expected) in [
            (
                vec![("STRATA_MEDIA__STORAGE", "ftp")],
                "STRATA_MEDIA__STORAGE",
            ),
            (vec![("STRATA_MEDIA__STORAGE", "s3")], "media.s3.bucket"),
            (
                vec![
                    ("STRATA_MEDIA__S3__BUCKET", "b"),
                    ("STRATA_MEDIA__S3__ENDPOINT", "http://127.0.0.1:9000"),
                ],
                "allow_http",
            ),
            (
                vec![
                    ("STRATA_MEDIA__S3__BUCKET", "b"),
                    ("STRATA_MEDIA__S3__ENDPOINT", "s3.example.com"),
                ],
                "STRATA_MEDIA__S3__ENDPOINT",
            ),
            (
                vec![
                    ("STRATA_MEDIA__S3__BUCKET", "b"),
                    ("STRATA_MEDIA__S3__PATH_STYLE", "maybe"),
                ],
                "STRATA_MEDIA__S3__PATH_STYLE",
            ),
        ] {
            let text = problems(Config::load_from(&env(&vars), &no_file()));
            assert!(text.contains(expected), "{vars:?}: {text}");
        }
    }
}
