//! A private Redis Cluster for tests that fail over or kill its nodes (which the shared one must
//! not suffer): six Debian `redis-server` processes, three primaries with one replica each,
//! started by `scripts/redis-cluster` on free ports and stopped on drop. Outside CI missing
//! `redis-server`/`redis-cli` skips loudly; under `CI=true` it fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/redis-cluster");
const NODES: u16 = 6;
/// A node's cluster bus listens on its port + 10000.
const BUS_OFFSET: u16 = 10_000;

pub struct Cluster {
    base: u16,
    dir: PathBuf,
}

/// One line of `CLUSTER NODES`.
struct Node {
    id: String,
    port: u16,
    primary: bool,
    failed: bool,
    /// A replica's primary's id.
    replica_of: Option<String>,
    /// The slot ranges a primary serves.
    slots: Vec<(u16, u16)>,
}

impl Cluster {
    /// A healthy cluster (all slots served, every replica in sync), or `None` (after a loud
    /// notice) when this machine has no `redis-server`/`redis-cli`. Blocks for the few seconds
    /// the cluster takes to form.
    pub fn start(tag: &str) -> Option<Cluster> {
        for tool in ["redis-server", "redis-cli"] {
            if let Err(e) = Command::new(tool).arg("--version").output() {
                return skip(&format!("cannot run {tool}: {e}"));
            }
        }
        let dir = std::env::temp_dir().join(super::unique_env(tag));
        let mut failures = Vec::new();
        // Another process can take a port between the check and the bind: try other ports.
        for _ in 0..3 {
            let base = free_base();
            let out = Command::new("bash")
                .arg(SCRIPT)
                .arg("start")
                .arg(&dir)
                .arg(base.to_string())
                .stdin(Stdio::null())
                .output()
                .expect("run scripts/redis-cluster");
            if out.status.success() {
                return Some(Cluster { base, dir });
            }
            failures.push(String::from_utf8_lossy(&out.stderr).into_owned());
            stop(&dir);
        }
        panic!("scripts/redis-cluster start failed: {failures:#?}");
    }

    pub fn ports(&self) -> Vec<u16> {
        (self.base..self.base + NODES).collect()
    }

    /// `redis-cluster://127.0.0.1:B,127.0.0.1:B+1,…`: every node as a seed.
    pub fn url(&self) -> String {
        let seeds: Vec<String> = self
            .ports()
            .iter()
            .map(|port| format!("127.0.0.1:{port}"))
            .collect();
        format!("redis-cluster://{}", seeds.join(","))
    }

    /// The ports of the primaries that are not failed, lowest first.
    pub fn primaries(&self) -> Vec<u16> {
        let mut ports: Vec<u16> = self
            .nodes()
            .iter()
            .filter(|node| node.primary && !node.failed)
            .map(|node| node.port)
            .collect();
        ports.sort_unstable();
        ports
    }

    /// The port of `primary`'s replica.
    pub fn replica_of(&self, primary: u16) -> u16 {
        let nodes = self.nodes();
        let id = &nodes
            .iter()
            .find(|node| node.port == primary)
            .unwrap_or_else(|| panic!("no node on port {primary}"))
            .id;
        nodes
            .iter()
            .find(|node| node.replica_of.as_ref() == Some(id))
            .unwrap_or_else(|| panic!("the node on port {primary} has no replica"))
            .port
    }

    /// A manual failover (`CLUSTER FAILOVER` on the replica: it first catches up with its
    /// primary, so no acknowledged write is lost). Returns once the replica is a primary and
    /// every node that answers sees it so, with all slots served.
    pub async fn failover(&self, replica: u16) {
        let reply = cli(replica, &["cluster", "failover"]);
        assert_eq!(
            reply.as_deref().map(str::trim),
            Some("OK"),
            "CLUSTER FAILOVER on {replica}"
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let promoted = cli(replica, &["info", "replication"])
                .is_some_and(|info| info.lines().any(|line| line.trim() == "role:master"));
            if promoted && self.every_live_node_agrees(replica) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the replica on {replica} did not take over within 30 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Crashes (SIGKILL) a primary other than `spare` and waits up to 30 s until its replica
    /// took over. Returns how long the promotion took.
    pub async fn crash_a_primary_other_than(&self, spare: u16) -> Duration {
        let victim = self
            .primaries()
            .into_iter()
            .find(|port| *port != spare)
            .expect("another primary");
        let heir = self.replica_of(victim);
        self.kill(victim);
        let killed = Instant::now();
        while !self.primaries().contains(&heir) {
            assert!(
                killed.elapsed() < Duration::from_secs(30),
                "{heir} did not take over from {victim} within 30 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        killed.elapsed()
    }

    /// A resharding of what `keys` live on: each of their slots moves to another primary, held
    /// half-moved for `pause` ([`migrate_slot`](Self::migrate_slot)).
    pub async fn reshard_slots_of(&self, keys: &[String], pause: Duration) {
        let mut slots: Vec<u16> = keys
            .iter()
            .map(|key| {
                cli(self.base, &["cluster", "keyslot", key])
                    .and_then(|reply| reply.trim().parse().ok())
                    .unwrap_or_else(|| panic!("CLUSTER KEYSLOT {key}"))
            })
            .collect();
        slots.sort_unstable();
        slots.dedup();
        for slot in slots {
            self.migrate_slot(slot, pause).await;
        }
    }

    /// Moves `slot` from its primary to the next one, as `redis-cli --cluster reshard` does,
    /// holding it half-moved (`MIGRATING`/`IMPORTING`) for `pause` before its keys move, so that
    /// clients meet `ASK` and `TRYAGAIN` first and `MOVED` after.
    async fn migrate_slot(&self, slot: u16, pause: Duration) {
        let nodes = self.nodes();
        let primaries: Vec<&Node> = nodes.iter().filter(|n| n.primary && !n.failed).collect();
        let from = primaries
            .iter()
            .position(|n| {
                n.slots
                    .iter()
                    .any(|(low, high)| (*low..=*high).contains(&slot))
            })
            .unwrap_or_else(|| panic!("no primary serves slot {slot}"));
        let (source, target) = (primaries[from], primaries[(from + 1) % primaries.len()]);
        let slot = slot.to_string();
        let expect_ok = |port: u16, args: &[&str]| {
            let reply = cli(port, args);
            assert_eq!(
                reply.as_deref().map(str::trim),
                Some("OK"),
                "{args:?} on {port}"
            );
        };
        expect_ok(
            target.port,
            &["cluster", "setslot", &slot, "importing", &source.id],
        );
        expect_ok(
            source.port,
            &["cluster", "setslot", &slot, "migrating", &target.id],
        );
        tokio::time::sleep(pause).await;
        let to = target.port.to_string();
        loop {
            let keys = cli(source.port, &["cluster", "getkeysinslot", &slot, "100"])
                .expect("CLUSTER GETKEYSINSLOT");
            let keys: Vec<&str> = keys.lines().filter(|key| !key.is_empty()).collect();
            if keys.is_empty() {
                break;
            }
            let mut migrate = vec!["migrate", "127.0.0.1", &to, "", "0", "5000", "keys"];
            migrate.extend(keys);
            expect_ok(source.port, &migrate);
        }
        for node in &primaries {
            expect_ok(
                node.port,
                &["cluster", "setslot", &slot, "node", &target.id],
            );
        }
    }

    /// SIGKILL: the node stops answering at once, as on a crash.
    pub fn kill(&self, port: u16) {
        let pidfile = self.dir.join(format!("{port}.pid"));
        let pid = std::fs::read_to_string(&pidfile)
            .unwrap_or_else(|e| panic!("{}: {e}", pidfile.display()));
        let status = Command::new("kill")
            .args(["-KILL", pid.trim()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -KILL {pid}");
    }

    fn every_live_node_agrees(&self, primary: u16) -> bool {
        self.ports().into_iter().all(|port| {
            let Some(info) = cli(port, &["cluster", "info"]) else {
                // Killed by the test: it has no say.
                return true;
            };
            let ok = info.lines().any(|line| line.trim() == "cluster_state:ok");
            ok && cli(port, &["cluster", "nodes"]).is_some_and(|nodes| {
                parse_nodes(&nodes)
                    .iter()
                    .any(|node| node.port == primary && node.primary)
            })
        })
    }

    /// `CLUSTER NODES` as the first node that answers sees it.
    fn nodes(&self) -> Vec<Node> {
        self.ports()
            .into_iter()
            .find_map(|port| cli(port, &["cluster", "nodes"]))
            .map(|nodes| parse_nodes(&nodes))
            .expect("no node of the cluster answers")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        stop(&self.dir);
    }
}

fn stop(dir: &Path) {
    let _ = Command::new("bash")
        .arg(SCRIPT)
        .arg("stop")
        .arg(dir)
        .stdin(Stdio::null())
        .status();
}

/// `redis-cli`'s reply, or `None` when the node does not answer.
fn cli(port: u16, args: &[&str]) -> Option<String> {
    let out = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let reply = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.success() && !reply.starts_with("Could not connect")).then_some(reply)
}

/// `<id> <ip:port@bus> <flags> <primary id or -> …` per line.
fn parse_nodes(nodes: &str) -> Vec<Node> {
    nodes
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (id, address, flags, primary_id) = (
                fields.first()?,
                fields.get(1)?,
                fields.get(2)?,
                fields.get(3)?,
            );
            let port = address
                .split('@')
                .next()?
                .rsplit(':')
                .next()?
                .parse()
                .ok()?;
            let flags: Vec<&str> = flags.split(',').collect();
            // `0-5460`, `42`; `[42->-id]` marks a slot in migration, owned as listed elsewhere.
            let slots = fields
                .iter()
                .skip(8)
                .filter(|range| !range.starts_with('['))
                .filter_map(|range| {
                    let (low, high) = range.split_once('-').unwrap_or((range, range));
                    Some((low.parse().ok()?, high.parse().ok()?))
                })
                .collect();
            Some(Node {
                id: (*id).to_owned(),
                port,
                primary: flags.contains(&"master"),
                failed: flags.contains(&"fail"),
                replica_of: (*primary_id != "-").then(|| (*primary_id).to_owned()),
                slots,
            })
        })
        .collect()
}

/// A base port whose six ports and their bus ports are free. Below Linux's ephemeral range
/// (32768 and up), bus ports included, so that no port the OS hands out collides.
fn free_base() -> u16 {
    const LOW: u16 = 17_000;
    const HIGH: u16 = 32_768 - BUS_OFFSET - NODES;
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
        ^ std::process::id();
    let span = u32::from(HIGH - LOW);
    (0..span)
        .map(|i| LOW + u16::try_from((seed.wrapping_add(i * 97)) % span).unwrap_or(0))
        .find(|&base| {
            (base..base + NODES)
                .chain(base + BUS_OFFSET..base + BUS_OFFSET + NODES)
                .all(|port| std::net::TcpListener::bind(("127.0.0.1", port)).is_ok())
        })
        .expect("no free ports for a cluster")
}

fn skip(why: &str) -> Option<Cluster> {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("a Redis Cluster is needed under CI=true: {why}");
    }
    eprintln!("\n*** SKIPPED: {why} ***\n");
    None
}
