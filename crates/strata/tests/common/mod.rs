//! Spawning the real `strata` binary for end-to-end tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{OnceLock, mpsc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The Redis the tests give the binary: `STRATA_TEST_REDIS_URL` (`scripts/test` reruns suites on
/// a Redis Cluster with it), by default the one the CI machine runs on its standard port.
pub fn redis_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        std::env::var("STRATA_TEST_REDIS_URL")
            .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
    })
}

/// `host:port` of the first server [`redis_url`] names (a cluster's URL lists several seeds).
pub fn redis_addr() -> String {
    let url = redis_url();
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let first = rest.split([',', '/', '?']).next().unwrap_or(rest);
    let host = first.rsplit_once('@').map_or(first, |(_, host)| host);
    if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:6379")
    }
}
/// How long a command or a server start may take before the test fails instead of hanging.
const PATIENCE: Duration = Duration::from_secs(60);

/// Variables the binary reads; cleared so the developer's shell cannot leak into a test.
const CONFIG_VARS: &[&str] = &[
    "DATABASE_URL",
    "REDIS_URL",
    "ENV",
    "REVALIDATE_SECRET",
    "NEXTJS_URL",
];

/// A database of its own for every command not given one, so concurrent servers in one test
/// process never migrate one SQLite file together.
fn default_database() -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("sqlite://{}/default-{n}.db", scratch_dir().display())
}

/// A port nothing listens on right now (whoever is given it binds it a moment later).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A unique `ENV`, hence a unique key prefix: tests sharing one Redis never see each other's keys.
pub fn unique_env() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("test-{}-{nanos}", std::process::id())
}

/// An empty working directory, so no `./strata.toml` or `./strata.db` of the repo is picked up.
/// One per test process: the commands tested so far write nothing into it.
fn scratch_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // `unique_env` adds the clock to the process id: nextest runs each test in a process of
        // its own, and a reused id must not find an earlier test's databases here.
        let dir = std::env::temp_dir().join(format!("strata-{}", unique_env()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    })
    .clone()
}

/// `strata` with a clean configuration environment plus `env`.
pub fn strata(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_strata"));
    for (name, _) in std::env::vars_os() {
        if let Some(name) = name.to_str()
            && (name.starts_with("STRATA_") || CONFIG_VARS.contains(&name))
        {
            command.env_remove(name);
        }
    }
    if !env.iter().any(|(k, _)| *k == "DATABASE_URL") {
        command.env("DATABASE_URL", default_database());
    }
    // Servers run side by side: each takes a free port for its metrics listener too.
    if !env.iter().any(|(k, _)| *k == "STRATA_METRICS_BIND") {
        command.env("STRATA_METRICS_BIND", "127.0.0.1:0");
    }
    command
        .args(args)
        .envs(env.iter().copied())
        .current_dir(scratch_dir())
        .stdin(Stdio::null());
    command
}

/// Runs a command to completion (bounded by [`PATIENCE`]).
pub fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut child = strata(args, env)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn strata");
    let stdout = drain(child.stdout.take().unwrap());
    let stderr = drain(child.stderr.take().unwrap());
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("strata {args:?} did not finish within {PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    };
    eprintln!(
        "$ strata {}\n[exit {:?}]\n[stdout]\n{}[stderr]\n{}",
        args.join(" "),
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        buf
    })
}

/// A running `strata serve`; killed when dropped so a failing test leaves no server behind.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    /// Where its `/metrics` listener is (`metrics_bind`), from its start-up lines.
    pub metrics_addr: Option<SocketAddr>,
    /// Its stderr so far, when started with [`Server::start_logged`].
    log: Option<std::sync::Arc<std::sync::Mutex<String>>>,
}

impl Server {
    /// Starts `strata serve --bind 127.0.0.1:0` and waits for its "listening" line.
    pub fn start(env: &[(&str, &str)]) -> Server {
        Self::spawn(env, false, "127.0.0.1:0")
    }

    /// Like [`Server::start`], also keeping what it logs (still echoed) for [`Server::log`].
    pub fn start_logged(env: &[(&str, &str)]) -> Server {
        Self::spawn(env, true, "127.0.0.1:0")
    }

    /// Logged, on `bind` (a proxy in front was told the address before the server started).
    pub fn start_logged_at(env: &[(&str, &str)], bind: SocketAddr) -> Server {
        Self::spawn(env, true, &bind.to_string())
    }

    /// Everything the server wrote to stderr so far (empty unless started logged).
    pub fn log(&self) -> String {
        self.log
            .as_ref()
            .map(|log| log.lock().unwrap().clone())
            .unwrap_or_default()
    }

    fn spawn(env: &[(&str, &str)], logged: bool, bind: &str) -> Server {
        let mut child = strata(&["serve", "--bind", bind], env)
            .stdout(Stdio::piped())
            .stderr(if logged {
                Stdio::piped()
            } else {
                Stdio::inherit()
            })
            .spawn()
            .expect("spawn strata serve");
        let log = child.stderr.take().map(|stderr| {
            let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
            let sink = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    eprintln!("{line}");
                    let mut log = sink.lock().unwrap();
                    log.push_str(&line);
                    log.push('\n');
                }
            });
            log
        });
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let (metrics_tx, metrics_rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = tx.send(lines.next());
            // The start-up lines follow at once; one names the metrics listener.
            for line in lines.by_ref().map_while(Result::ok) {
                if let Some(rest) = line.trim_start().strip_prefix("Metrics:  http://") {
                    let addr = rest.split('/').next().unwrap_or_default().to_owned();
                    let _ = metrics_tx.send(addr);
                    break;
                }
            }
            // Keep draining so the server never blocks on a full pipe.
            for _ in lines {}
        });
        let mut server = Server {
            child,
            addr: SocketAddr::from(([0, 0, 0, 0], 0)),
            metrics_addr: None,
            log,
        };
        let line = match rx.recv_timeout(PATIENCE) {
            Ok(Some(Ok(line))) => line,
            other => panic!("strata serve printed no address: {other:?}"),
        };
        server.metrics_addr = metrics_rx
            .recv_timeout(Duration::from_secs(5))
            .ok()
            .and_then(|addr| addr.parse().ok());
        let addr = line
            .strip_prefix("Strata listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"));
        server.addr = addr.parse().unwrap();
        assert_ne!(server.addr.port(), 0, "the actual port is printed");
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `/metrics` on the server's metrics listener.
    /// What its `/metrics` listener answers now.
    pub async fn metrics(&self) -> String {
        reqwest::get(self.metrics_url())
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub fn metrics_url(&self) -> String {
        let addr = self
            .metrics_addr
            .expect("the server printed its metrics address");
        format!("http://{addr}/metrics")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the process to exit by itself; `None` if it did not within `within`.
    pub fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether the tests that need Redis can run. Under `CI=true` a missing Redis fails the test
/// (brief §8); elsewhere it is skipped with a notice nobody can miss.
pub fn redis_available(test: &str) -> bool {
    let addr = redis_addr();
    let reachable = addr.to_socket_addrs().is_ok_and(|mut addrs| {
        addrs.any(|a| TcpStream::connect_timeout(&a, Duration::from_secs(1)).is_ok())
    });
    if reachable {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{test}: Redis is not reachable at {addr} and CI=true");
    }
    eprintln!("\n*** SKIPPED: Redis not reachable at {addr}; {test} did not run ***\n");
    false
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub const POSTGRES_URL: &str = "postgres://root@127.0.0.1:5432/test";
const POSTGRES_ADDR: &str = "127.0.0.1:5432";

/// Whether PostgreSQL is reachable; fails under `CI=true` when it is not (brief §8).
pub fn postgres_available(test: &str) -> bool {
    let addr: SocketAddr = POSTGRES_ADDR.parse().unwrap();
    if TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok() {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{test}: PostgreSQL is not reachable at {POSTGRES_ADDR} and CI=true");
    }
    eprintln!(
        "\n*** SKIPPED: PostgreSQL not reachable at {POSTGRES_ADDR}; {test} did not run ***\n"
    );
    false
}

/// Runs a scenario `async fn(Backend)` on both deployments, as two tests.
#[allow(unused_macros)]
macro_rules! on_both_backends {
    ($scenario:ident) => {
        mod $scenario {
            #[tokio::test]
            async fn embedded() {
                super::$scenario(super::Backend::Embedded).await;
            }
            #[tokio::test]
            async fn production() {
                super::$scenario(super::Backend::Production).await;
            }
        }
    };
}

/// The two deployments of brief §2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file + in-process store.
    Embedded,
    /// PostgreSQL + Redis.
    Production,
}

/// One deployment for one test: its own database (a SQLite file, or a fresh PostgreSQL
/// database), media directory and cache key prefix.
pub struct Site {
    pub backend: Backend,
    pub env: Vec<(String, String)>,
    pub dir: PathBuf,
    pub database_url: String,
}

impl Site {
    /// `None` (skipped, with a notice) when the production services are missing outside CI.
    pub async fn new(backend: Backend, test: &str) -> Option<Site> {
        let redis = match backend {
            Backend::Embedded => None,
            Backend::Production => {
                if !(postgres_available(test) && redis_available(test)) {
                    return None;
                }
                Some(redis_url())
            }
        };
        Some(Self::create(backend, redis).await)
    }

    /// A production site on the Redis at `redis_url` (a test's private cluster, say).
    pub async fn on_redis(test: &str, redis_url: &str) -> Option<Site> {
        if !postgres_available(test) {
            return None;
        }
        Some(Self::create(Backend::Production, Some(redis_url)).await)
    }

    async fn create(backend: Backend, redis_url: Option<&str>) -> Site {
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = scratch_dir().join(format!("site-{n}"));
        std::fs::create_dir_all(&dir).unwrap();
        let media = dir.join("media").display().to_string();
        let mut env = vec![
            ("ENV".to_owned(), unique_env()),
            ("STRATA_MEDIA_DIR".to_owned(), media),
        ];
        let database_url = match redis_url {
            None => format!("sqlite://{}/strata.db", dir.display()),
            Some(redis_url) => {
                env.push(("REDIS_URL".to_owned(), redis_url.to_owned()));
                fresh_postgres_database(n).await
            }
        };
        env.push(("DATABASE_URL".to_owned(), database_url.clone()));
        let site = Site {
            backend,
            env,
            dir,
            database_url,
        };
        if backend == Backend::Production {
            let out = site.run(&["migrate"]);
            assert!(out.status.success(), "migrate failed");
        }
        site
    }

    fn env_refs(&self) -> Vec<(&str, &str)> {
        self.env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    pub fn run(&self, args: &[&str]) -> Output {
        run(args, &self.env_refs())
    }

    /// [`Site::new`] with `properties` demo listings.
    pub async fn seeded(backend: Backend, test: &str, properties: u32) -> Option<Site> {
        let site = Site::new(backend, test).await?;
        let seeded = site.run(&["seed", "--demo", "--properties", &properties.to_string()]);
        assert!(seeded.status.success(), "seed: {}", stderr(&seeded));
        Some(site)
    }

    pub fn serve(&self) -> Server {
        Server::start(&self.env_refs())
    }

    /// `strata serve` on this site, reaching its PostgreSQL through `proxy` (a `TcpProxy` the
    /// test can stop to take the database away).
    pub fn serve_through(&self, proxy: std::net::SocketAddr) -> Server {
        let through = self
            .database_url
            .replace("127.0.0.1:5432", &proxy.to_string());
        let env: Vec<(&str, &str)> = self
            .env_refs()
            .into_iter()
            .map(|(k, v)| {
                if k == "DATABASE_URL" {
                    (k, through.as_str())
                } else {
                    (k, v)
                }
            })
            .collect();
        Server::start(&env)
    }

    pub fn serve_logged(&self) -> Server {
        Server::start_logged(&self.env_refs())
    }

    /// A user with `role` and a token for it.
    pub fn token(&self, username: &str, role: &str) -> String {
        let out = self.run(&[
            "createsuperuser",
            "--username",
            username,
            "--email",
            "staff@example.com",
            "--password",
            "correct horse battery",
        ]);
        assert!(
            out.status.success(),
            "createsuperuser: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if role != "admin" {
            set_role(&self.database_url, username, role);
        }
        let out = self.run(&["token", "create", "--user", username]);
        assert!(out.status.success());
        stdout(&out).lines().last().unwrap().trim().to_owned()
    }
}

/// Roles other than admin have no CLI yet; tests set them in the database directly.
fn set_role(database_url: &str, username: &str, role: &str) {
    let url = database_url.to_owned();
    let sql = format!("UPDATE users_user SET role = '{role}' WHERE username = '{username}'");
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(async move {
                use sea_orm::ConnectionTrait;
                let db = sea_orm::Database::connect(url).await.unwrap();
                db.execute_unprepared(&sql).await.unwrap();
            })
    })
    .join()
    .unwrap();
}

/// A new, empty database on the local PostgreSQL; databases this suite left behind more than
/// an hour ago are dropped first.
async fn fresh_postgres_database(n: u32) -> String {
    use sea_orm::{ConnectionTrait, Statement};
    let admin = sea_orm::Database::connect(POSTGRES_URL).await.unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let old = admin
        .query_all_raw(Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT datname FROM pg_database WHERE datname LIKE 'strata_t_%'",
        ))
        .await
        .unwrap();
    for row in old {
        let name: String = row.try_get("", "datname").unwrap();
        let born = name.split('_').nth(2).and_then(|s| s.parse::<u64>().ok());
        if born.is_some_and(|t| now.saturating_sub(t) > 3600) {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
                .await;
        }
    }
    let name = format!("strata_t_{now}_{}_{n}", std::process::id());
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    format!("postgres://root@127.0.0.1:5432/{name}")
}
/// The venv's Python if it can import `module`, or `None` (a loud skip outside CI).
pub fn python_with(module: &str, test: &str) -> Option<std::path::PathBuf> {
    let python = std::env::var_os("STRATA_PYTHON")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python")
        });
    let usable = std::process::Command::new(&python)
        .args(["-c", &format!("import {module}")])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if usable {
        return Some(python);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "{test}: {} cannot import {module}, and CI=true",
            python.display()
        );
    }
    eprintln!(
        "\n*** SKIPPED: no Python with {module} at {} (run scripts/test, or set STRATA_PYTHON); \
         {test} did not run ***\n",
        python.display()
    );
    None
}

pub mod api;
pub mod inprocess;
pub mod varnish;
pub mod web;

/// Every file under `dir` (none if it does not exist), sorted: what a test left on disk.
pub fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .flatten()
        .flat_map(|e| {
            let path = e.path();
            if path.is_dir() {
                files_under(&path)
            } else {
                vec![path]
            }
        })
        .collect();
    files.sort();
    files
}
