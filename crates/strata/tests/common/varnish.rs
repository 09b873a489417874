//! Varnish in front of a server, running the shipped `deploy/varnish/strata.vcl` (vmod xkey
//! purges included), for tests of what a real HTTP cache makes of Strata's headers.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long varnishd may take to compile the VCL and answer its first request.
const START_PATIENCE: Duration = Duration::from_secs(20);

/// Fresh ports tried when another process takes the one picked before varnishd binds it.
const PORT_ATTEMPTS: usize = 5;

/// The VCL as the repository ships it.
fn shipped_vcl() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/varnish/strata.vcl")
}

/// A running varnishd — its manager process (the cache process is the manager's child) — with
/// a working directory of its own. Dropping it stops both and removes the directory.
///
/// The manager runs in debug mode (`-d`): in the foreground, reading CLI commands from a pipe
/// this struct holds. It is told `start`, and it exits, stopping the cache process, when the
/// pipe closes — also when the test process dies without running `Drop` (a timeout's kill).
pub struct Varnish {
    child: Child,
    cli: Option<ChildStdin>,
    workdir: PathBuf,
    port: u16,
}

impl Varnish {
    /// varnishd with `deploy/varnish/strata.vcl` in front of `backend`, on a free port of
    /// 127.0.0.1 (inside the VCL's `purgers` ACL, so the test may PURGE). `None`, with a
    /// notice, when varnishd or the xkey vmod (Debian: `varnish`, `varnish-modules`) is
    /// missing and CI is not "true"; under `CI=true` that fails the test.
    pub fn start(backend: SocketAddr) -> Option<Varnish> {
        let test = std::thread::current()
            .name()
            .unwrap_or("this test")
            .to_owned();
        let Some(varnishd) = varnishd() else {
            missing(
                &test,
                "varnishd is not installed (Debian: varnish and varnish-modules)",
            );
            return None;
        };
        let text = vcl_for(backend);
        let workdir = fresh_workdir();
        let vcl = workdir.join("strata.vcl");
        std::fs::write(&vcl, text).unwrap();

        // Compile first: a missing xkey vmod is a missing service, any other error a bug in
        // the VCL (or in the substitution above).
        let compiled = Command::new(&varnishd)
            .arg("-C")
            .arg("-n")
            .arg(workdir.join("compile"))
            .arg("-f")
            .arg(&vcl)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| {
                let _ = std::fs::remove_dir_all(&workdir);
                panic!("run {} -C: {e}", varnishd.display())
            });
        if !compiled.status.success() {
            let stderr = String::from_utf8_lossy(&compiled.stderr).into_owned();
            let _ = std::fs::remove_dir_all(&workdir);
            if stderr.contains("Could not find VMOD") {
                missing(
                    &test,
                    "varnishd cannot find the xkey vmod (Debian: varnish-modules)",
                );
                return None;
            }
            panic!("varnishd -C rejects {}:\n{stderr}", shipped_vcl().display());
        }

        let marker = workdir.join("n");
        let mut last_log = String::new();
        for _ in 0..PORT_ATTEMPTS {
            // varnishd binds it a moment later; see [`PORT_ATTEMPTS`].
            let port = super::free_port();
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let log = workdir.join(format!("varnishd-{port}.log"));
            let log_file = std::fs::File::create(&log).unwrap();
            let mut child = Command::new(&varnishd)
                .arg("-d")
                .arg("-n")
                .arg(&marker)
                .arg("-a")
                .arg(addr.to_string())
                .arg("-f")
                .arg(&vcl)
                .args(["-s", "malloc,64m"])
                // No stale answers past an object's TTL unless the response asked for
                // stale-while-revalidate itself: tests see exactly what Strata said.
                .args(["-p", "default_grace=0"])
                // Close idle backend connections before Strata does (keep_alive_timeout_secs,
                // 5 s by default), so a request is never sent on a connection Strata is closing.
                .args(["-p", "backend_idle_timeout=3"])
                // Strata's Surrogate-Key and Cache-Tag may reach 16 KiB each
                // (`strata_web::http::TAG_HEADER_BYTES`): past Varnish's defaults (8k a header,
                // 32k a response head) the fetch would fail with a 503. As the README says.
                .args(["-p", "http_resp_hdr_len=20k", "-p", "http_resp_size=64k"])
                // A test needs a handful of threads and little log space, not a production
                // server's.
                .args(["-p", "thread_pools=1", "-p", "thread_pool_min=10"])
                .args(["-p", "vsl_space=4M"])
                .stdin(Stdio::piped())
                .stdout(log_file.try_clone().unwrap())
                .stderr(log_file)
                .spawn()
                .expect("spawn varnishd");
            let mut cli = child.stdin.take();
            // The manager exits by itself on a bind failure, before reading this.
            if let Some(cli) = cli.as_mut() {
                let _ = cli.write_all(b"start\n").and_then(|()| cli.flush());
            }
            match wait_until_answering(&mut child, addr) {
                Ok(()) => {
                    return Some(Varnish {
                        child,
                        cli,
                        workdir,
                        port,
                    });
                }
                Err(exited) => {
                    stop(&mut child, cli, &marker);
                    last_log = std::fs::read_to_string(&log).unwrap_or_default();
                    // Someone took the port between our probe and varnishd's bind: try another.
                    if !(exited && last_log.contains("Address already in use")) {
                        let _ = std::fs::remove_dir_all(&workdir);
                        panic!(
                            "varnishd did not start within {START_PATIENCE:?} on {addr}:\n\
                             {last_log}"
                        );
                    }
                }
            }
        }
        let _ = std::fs::remove_dir_all(&workdir);
        panic!("varnishd found no free port in {PORT_ATTEMPTS} attempts:\n{last_log}");
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr())
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }
}

impl Drop for Varnish {
    fn drop(&mut self) {
        stop(&mut self.child, self.cli.take(), &self.workdir.join("n"));
        let _ = std::fs::remove_dir_all(&self.workdir);
    }
}

/// Waits until varnishd answers HTTP on `addr`. `Err(true)`: it exited; `Err(false)`: it was
/// too slow.
fn wait_until_answering(child: &mut Child, addr: SocketAddr) -> Result<(), bool> {
    let deadline = Instant::now() + START_PATIENCE;
    while Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            return Err(true);
        }
        if answers(addr) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(false)
}

/// Whether an HTTP request gets an HTTP answer. A keyless PURGE is answered by the VCL itself
/// (400, or 403 outside the ACL): it reaches neither the backend nor the cache.
fn answers(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    let request = "PURGE / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 ")
}

/// Stops the manager `child` (which stops its cache process), then makes sure no process
/// started with `-n marker` is left, whatever state it was in.
fn stop(child: &mut Child, cli: Option<ChildStdin>, marker: &Path) {
    // End of its CLI input: the manager stops the cache process and exits. Then SIGTERM (same
    // effect), then SIGKILL (std's only signal), each if the one before was not enough.
    drop(cli);
    let exited = |child: &mut Child, within: Duration| {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if child.try_wait().unwrap().is_some() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    };
    if !exited(child, Duration::from_secs(5)) {
        signal("-TERM", child.id());
        if !exited(child, Duration::from_secs(5)) {
            let _ = child.kill();
        }
    }
    let _ = child.wait();
    // The cache process (and a VCL compiler) have the manager's command line: kill whatever
    // is still there.
    for _ in 0..100 {
        let left = processes_mentioning(marker);
        if left.is_empty() {
            return;
        }
        for pid in left {
            signal("-KILL", pid);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn signal(signal: &str, pid: u32) {
    let _ = Command::new("kill")
        .args([signal, &pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// The shipped VCL with its backend pointed at `backend`.
fn vcl_for(backend: SocketAddr) -> String {
    let vcl = std::fs::read_to_string(shipped_vcl())
        .unwrap_or_else(|e| panic!("read {}: {e}", shipped_vcl().display()));
    for line in [".host = \"127.0.0.1\";", ".port = \"8000\";"] {
        assert!(
            vcl.contains(line),
            "{} no longer has the line `{line}` the tests replace",
            shipped_vcl().display()
        );
    }
    vcl.replacen(
        ".host = \"127.0.0.1\";",
        &format!(".host = \"{}\";", backend.ip()),
        1,
    )
    .replacen(
        ".port = \"8000\";",
        &format!(".port = \"{}\";", backend.port()),
        1,
    )
}

/// `STRATA_VARNISHD`, else `varnishd` on the `PATH` or in the sbin directories a user's
/// `PATH` may lack.
fn varnishd() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("STRATA_VARNISHD") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin"].map(PathBuf::from))
        .map(|dir| dir.join("varnishd"))
        .find(|candidate| candidate.is_file())
}

/// Fails the test under `CI=true`; otherwise prints a notice nobody can miss.
fn missing(test: &str, what: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{test}: {what}, and CI=true");
    }
    eprintln!("\n*** SKIPPED: {what}; {test} did not run ***\n");
}

/// A new directory for one varnishd. Directories of this kind older than an hour are removed
/// first: a test process killed before its `Drop` leaves one behind (its varnishd exits anyway,
/// see [`Varnish`]).
fn fresh_workdir() -> PathBuf {
    if let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) {
        for entry in entries.flatten() {
            let stale = entry.metadata().is_ok_and(|meta| {
                meta.is_dir()
                    && meta
                        .modified()
                        .is_ok_and(|at| at.elapsed().is_ok_and(|age| age.as_secs() > 3600))
            });
            if stale
                && entry
                    .file_name()
                    .to_string_lossy()
                    .starts_with("strata-varnish-")
            {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir =
        std::env::temp_dir().join(format!("strata-varnish-{}-{nanos}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Live processes whose command line mentions `path` (Linux's `/proc`; none elsewhere).
fn processes_mentioning(path: &Path) -> Vec<u32> {
    let needle = path.to_string_lossy().into_owned();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| *pid != std::process::id())
        .filter(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            // A zombie has an empty command line: it is dead already.
            String::from_utf8_lossy(&cmdline)
                .split('\0')
                .any(|arg| arg == needle)
        })
        .collect()
}
