//! The accept loop: hyper's HTTP/1 connections with the limits `axum::serve` does not set.
//!
//! - A header-read timeout (hyper's): a connection that has not sent a whole request head in
//!   time is closed, so clients that send half a request and stall (slowloris) cannot hold
//!   connections open.
//! - An idle keep-alive timeout: a connection with no request in flight for that long is
//!   closed gracefully. (hyper's header timer also runs while a kept-alive connection waits for
//!   its next request, so the idle limit is the smaller of the two.)
//! - A cap on open connections below the process's file limit: past it a new connection gets a
//!   one-line 503 and is closed at once, so the process never runs out of descriptors (when
//!   `accept` fails with "Too many open files" nobody is served, not even the database pool).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::ConnectInfo;
use axum::response::Response;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tower::Service;

/// Descriptors kept for everything but client connections: the database pool, Redis, the
/// bus, media files, the outbox's requests.
const RESERVED_FDS: u64 = 256;
/// The default cap however high the file limit: past this many connections memory, not
/// descriptors, runs out first.
const DEFAULT_CAP_CEILING: u64 = 65_536;
/// How often a repeated WARN (refused connections, failed accepts) is logged at most.
const LOG_EVERY: Duration = Duration::from_secs(10);
/// After a failed `accept` (the file limit reached after all, say), before trying again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// What a connection past the cap is told before it is closed.
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
Content-Type: application/json\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: 63\r\n\r\n\
{\"detail\": \"Service temporarily unavailable, try again later.\"}";

pub const CONNECTIONS_OPEN: &str = "strata_http_connections_open";
pub const CONNECTIONS_REFUSED: &str = "strata_http_connections_refused_total";

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub header_read_timeout: Duration,
    pub keep_alive_timeout: Duration,
    pub max_connections: usize,
}

/// Raises the soft limit on open files to the hard limit (where the OS allows it) and returns
/// the limit in force.
pub fn raise_file_limit() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(error) => {
            let current = rlimit::Resource::NOFILE
                .get()
                .map_or(1024, |(soft, _)| soft);
            tracing::warn!(%error, limit = current, "cannot raise the open-file limit");
            current
        }
    }
}

/// The configured cap, kept below the file limit; by default the file limit less what the
/// process needs besides client connections.
pub fn connection_cap(configured: Option<usize>, file_limit: u64) -> usize {
    let room = file_limit
        .saturating_sub(RESERVED_FDS.min(file_limit / 2))
        .max(1);
    let cap = match configured {
        Some(wanted) if wanted as u64 > room => {
            tracing::warn!(
                max_connections = wanted,
                file_limit,
                "max_connections is above what the open-file limit allows; using {room}"
            );
            room
        }
        Some(wanted) => wanted as u64,
        None => room.min(DEFAULT_CAP_CEILING),
    };
    // The semaphore and `acquire_many` count in u32.
    usize::try_from(cap.min(u64::from(u32::MAX)))
        .unwrap_or(usize::MAX)
        .min(Semaphore::MAX_PERMITS)
}

/// Serves `router` on `listener` until `shutdown` completes, then lets open connections finish
/// their requests for at most `grace`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) {
    let cap = limits.max_connections;
    let permits = Arc::new(Semaphore::new(cap));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut refused = Every::default();
    let mut failed = Every::default();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    if let Some(count) = failed.tick() {
                        tracing::warn!(%error, count, "accept failed");
                    }
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            refuse(&stream);
            metrics::counter!(CONNECTIONS_REFUSED).increment(1);
            if let Some(count) = refused.tick() {
                tracing::warn!(
                    refused = count,
                    max_connections = cap,
                    "connection limit reached: refusing new connections"
                );
            }
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(
            stream,
            peer,
            router.clone(),
            limits,
            stop_rx.clone(),
            permit,
        ));
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // Every connection holds a permit until it ends: all of them back means all closed.
    let all = u32::try_from(cap).unwrap_or(u32::MAX);
    if tokio::time::timeout(grace, permits.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!("shutdown grace period elapsed; closing open connections");
    }
}

/// Tells the client why, without waiting (the write fits any socket buffer, and a client that
/// sent nothing yet reads it before the close), and closes.
fn refuse(stream: &TcpStream) {
    let _ = stream.try_write(REFUSAL);
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    metrics::gauge!(CONNECTIONS_OPEN).increment(1.0);
    let (activity, _) = watch::channel(Activity {
        in_flight: 0,
        since: Instant::now(),
    });
    let activity = Arc::new(activity);
    let service = PerConnection {
        router,
        peer,
        activity: activity.clone(),
    };
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let mut closing = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(error) = result {
                    // Header timeouts, resets, malformed requests: the client's doing.
                    tracing::debug!(%error, %peer, "connection ended");
                }
                break;
            }
            () = idle_for(&activity, limits.keep_alive_timeout), if !closing => {
                conn.as_mut().graceful_shutdown();
                closing = true;
            }
            _ = stop.wait_for(|stopped| *stopped), if !closing => {
                conn.as_mut().graceful_shutdown();
                closing = true;
            }
        }
    }
    metrics::gauge!(CONNECTIONS_OPEN).decrement(1.0);
}

/// Requests in flight on a connection, and since when that number last changed.
#[derive(Clone, Copy)]
struct Activity {
    in_flight: usize,
    since: Instant,
}

/// Completes once the connection has had no request in flight for `timeout`.
async fn idle_for(activity: &watch::Sender<Activity>, timeout: Duration) {
    let mut changes = activity.subscribe();
    loop {
        let Activity { in_flight, since } = *changes.borrow_and_update();
        if in_flight > 0 {
            // The sender lives as long as the connection, so this never errs while awaited.
            let _ = changes.changed().await;
            continue;
        }
        tokio::select! {
            () = tokio::time::sleep_until((since + timeout).into()) => return,
            _ = changes.changed() => {}
        }
    }
}

/// Counts a request in flight until dropped (the response is ready, or the request was
/// cancelled).
struct InFlight(Arc<watch::Sender<Activity>>);

impl InFlight {
    fn begin(activity: &Arc<watch::Sender<Activity>>) -> Self {
        activity.send_modify(|a| {
            a.in_flight += 1;
            a.since = Instant::now();
        });
        InFlight(activity.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.send_modify(|a| {
            a.in_flight = a.in_flight.saturating_sub(1);
            a.since = Instant::now();
        });
    }
}

/// The router as one connection's hyper service: adds the peer address (`ConnectInfo`, which
/// `ClientAddr` reads) and counts requests in flight for the idle timeout.
#[derive(Clone)]
struct PerConnection {
    router: Router,
    peer: SocketAddr,
    activity: Arc<watch::Sender<Activity>>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl hyper::service::Service<hyper::Request<Incoming>> for PerConnection {
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<Result<Response, Infallible>>;

    fn call(&self, mut request: hyper::Request<Incoming>) -> Self::Future {
        request.extensions_mut().insert(ConnectInfo(self.peer));
        let in_flight = InFlight::begin(&self.activity);
        let mut router = self.router.clone();
        Box::pin(async move {
            std::future::poll_fn(|cx| {
                <Router as Service<hyper::Request<Incoming>>>::poll_ready(&mut router, cx)
            })
            .await?;
            let response = router.call(request).await;
            drop(in_flight);
            response
        })
    }
}

/// Rate-limits a repeated log line: `Some(count since the last line)` at most every
/// [`LOG_EVERY`].
#[derive(Default)]
struct Every {
    last: Option<Instant>,
    count: u64,
}

impl Every {
    fn tick(&mut self) -> Option<u64> {
        self.count += 1;
        if self.last.is_some_and(|last| last.elapsed() < LOG_EVERY) {
            return None;
        }
        self.last = Some(Instant::now());
        Some(std::mem::take(&mut self.count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_stays_below_the_file_limit() {
        assert_eq!(connection_cap(None, 1024), 768);
        assert_eq!(connection_cap(None, 300), 150);
        assert_eq!(connection_cap(None, 1 << 20), 65_536);
        assert_eq!(connection_cap(Some(100), 1024), 100);
        assert_eq!(connection_cap(Some(5_000), 1024), 768);
        assert_eq!(connection_cap(None, u64::MAX), 65_536);
    }

    #[test]
    fn repeated_warnings_are_counted_not_repeated() {
        let mut every = Every::default();
        assert_eq!(every.tick(), Some(1));
        assert_eq!(every.tick(), None);
        assert_eq!(every.tick(), None);
        every.last = Instant::now().checked_sub(LOG_EVERY);
        assert_eq!(every.tick(), Some(3));
    }

    #[test]
    fn the_refusal_is_a_well_formed_response() {
        let text = std::str::from_utf8(REFUSAL).unwrap_or_default();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or_default();
        assert!(
            head.contains(&format!("Content-Length: {}", body.len())),
            "{head}"
        );
        assert!(
            serde_json::from_str::<serde_json::Value>(body).is_ok(),
            "{body}"
        );
    }
}
