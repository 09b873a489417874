//! A real TLS Redis for tests: certificates made with the `openssl` CLI (a CA, a server
//! certificate for 127.0.0.1 and localhost, a client certificate, and an unrelated CA) and
//! Debian's `redis-server` listening with `--tls-port` only. Outside CI a missing `openssl` or a
//! `redis-server` built without TLS skips loudly; under `CI=true` it fails.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Whether the server asks for client certificates (`--tls-auth-clients`).
#[derive(Clone, Copy, Debug)]
pub enum ClientCerts {
    NotAsked,
    Required,
}

pub struct TlsRedis {
    pub port: u16,
    pub dir: PathBuf,
    server: Child,
}

impl TlsRedis {
    /// A running server, or `None` (after a loud notice) when this machine cannot run one.
    pub async fn start(tag: &str, client_certs: ClientCerts) -> Option<TlsRedis> {
        let dir = std::env::temp_dir().join(super::unique_env(tag));
        std::fs::create_dir_all(&dir).expect("temp dir");
        if let Err(why) = make_certificates(&dir) {
            let _ = std::fs::remove_dir_all(&dir);
            return skip(&format!(
                "cannot make test certificates with openssl: {why}"
            ));
        }
        let port = super::free_port();
        let auth = match client_certs {
            ClientCerts::NotAsked => "no",
            ClientCerts::Required => "yes",
        };
        let server = Command::new("redis-server")
            .args(["--port", "0", "--tls-port", &port.to_string()])
            // 127.0.0.2 is loopback too, but not a name in the server's certificate.
            .args(["--bind", "127.0.0.1 127.0.0.2"])
            .arg("--tls-cert-file")
            .arg(dir.join("server.crt"))
            .arg("--tls-key-file")
            .arg(dir.join("server.key"))
            .arg("--tls-ca-cert-file")
            .arg(dir.join("ca.crt"))
            .args(["--tls-auth-clients", auth])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn();
        let mut redis = match server {
            Ok(server) => TlsRedis { port, dir, server },
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                return skip(&format!("cannot run redis-server: {e}"));
            }
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            // A redis-server built without TLS exits at once on `--tls-port`.
            if let Ok(Some(status)) = redis.server.try_wait() {
                let mut stderr = String::new();
                if let Some(mut pipe) = redis.server.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
                }
                return skip(&format!(
                    "redis-server with --tls-port exited ({status}): {stderr}"
                ));
            }
            assert!(Instant::now() < deadline, "TLS redis-server did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Some(redis)
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn skip(why: &str) -> Option<TlsRedis> {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("a TLS Redis is needed under CI=true: {why}");
    }
    eprintln!("\n*** SKIPPED: {why} ***\n");
    None
}

/// `ca.crt` signs `server.crt` (127.0.0.1, localhost) and `client.crt`; `other-ca.crt` signs
/// nothing the server presents.
fn make_certificates(dir: &Path) -> Result<(), String> {
    const EC_KEY: &str = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    for ca in ["ca", "other-ca"] {
        openssl(
            dir,
            &format!(
                "req -x509 {EC_KEY} -days 1 -subj /CN=strata-test-{ca} \
                 -addext basicConstraints=critical,CA:TRUE \
                 -addext keyUsage=critical,keyCertSign,cRLSign -keyout {ca}.key -out {ca}.crt"
            ),
        )?;
    }
    for (leaf, extensions) in [
        (
            "server",
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
        ),
        ("client", "extendedKeyUsage=clientAuth\n"),
    ] {
        std::fs::write(dir.join(format!("{leaf}.ext")), extensions).map_err(|e| e.to_string())?;
        openssl(
            dir,
            &format!(
                "req {EC_KEY} -subj /CN=strata-test-{leaf} -keyout {leaf}.key -out {leaf}.csr"
            ),
        )?;
        openssl(
            dir,
            &format!(
                "x509 -req -in {leaf}.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 \
                 -extfile {leaf}.ext -out {leaf}.crt"
            ),
        )?;
    }
    Ok(())
}

/// Runs `openssl` in `dir` with whitespace-separated arguments.
fn openssl(dir: &Path, args: &str) -> Result<(), String> {
    let out = Command::new("openssl")
        .args(args.split_whitespace())
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "openssl {args}: {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}
