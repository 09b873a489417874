//! What a hostile client or a failing dependency meets, through the real binary: slow and
//! excess connections, login hammering (per address, per username, behind trusted proxies),
//! security headers, and PostgreSQL going away and coming back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/tcp_proxy.rs"]
mod tcp_proxy;

use std::time::{Duration, Instant};

use common::{Backend, Server, Site};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tcp_proxy::TcpProxy;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads until the server closes the connection (EOF or reset); `None` if it is still open
/// after `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> Option<Vec<u8>> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(seen),
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

async fn get(server: &Server, path: &str) -> reqwest::Response {
    reqwest::get(server.url(path)).await.unwrap()
}

#[tokio::test]
async fn slow_clients_are_cut_off_and_do_not_keep_others_waiting() {
    let server = Server::start(&[
        ("STRATA_HEADER_READ_TIMEOUT_SECS", "1"),
        ("STRATA_KEEP_ALIVE_TIMEOUT_SECS", "30"),
    ]);
    // 200 clients send half a request line and stall.
    let opened = Instant::now();
    let mut slow = Vec::new();
    for _ in 0..200 {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHo")
            .await
            .unwrap();
        slow.push(stream);
    }

    let started = Instant::now();
    let response = get(&server, "/healthz").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "a normal request waited {:?} behind slow clients",
        started.elapsed()
    );

    for stream in &mut slow {
        let ended = closed_within(stream, Duration::from_secs(5)).await;
        assert!(ended.is_some(), "a slow client was never cut off");
    }
    let took = opened.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(4),
        "slow clients were cut off after {took:?}, not at the 1 s header timeout"
    );
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_its_timeout() {
    // The header timeout would close the idle connection only after 5 s.
    let server = Server::start(&[
        ("STRATA_HEADER_READ_TIMEOUT_SECS", "5"),
        ("STRATA_KEEP_ALIVE_TIMEOUT_SECS", "1"),
    ]);
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: strata\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = stream.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    let idle = Instant::now();
    let ended = closed_within(&mut stream, Duration::from_secs(4)).await;
    assert!(ended.is_some(), "an idle keep-alive connection stayed open");
    let took = idle.elapsed();
    assert!(
        took >= Duration::from_millis(800) && took < Duration::from_millis(2500),
        "closed after {took:?} of idleness, not the 1 s keep-alive timeout"
    );
}

#[tokio::test]
async fn connections_past_the_cap_are_refused_and_the_server_recovers() {
    let server = Server::start(&[
        ("STRATA_MAX_CONNECTIONS", "20"),
        ("STRATA_HEADER_READ_TIMEOUT_SECS", "30"),
        ("STRATA_KEEP_ALIVE_TIMEOUT_SECS", "30"),
    ]);
    // Twenty kept-alive connections, each known to be accepted (it got an answer).
    let mut held = Vec::new();
    for _ in 0..20 {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: strata\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 1024];
        let n = stream.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
        held.push(stream);
    }

    // The next one is told why and closed at once.
    for _ in 0..3 {
        let mut extra = TcpStream::connect(server.addr).await.unwrap();
        let said = closed_within(&mut extra, Duration::from_secs(1))
            .await
            .expect("a connection past the cap was left open");
        let said = String::from_utf8_lossy(&said);
        assert!(said.starts_with("HTTP/1.1 503"), "{said}");
        assert!(said.contains("Retry-After: 1"), "{said}");
    }

    // Closing the held connections frees their places.
    drop(held);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match reqwest::get(server.url("/healthz")).await {
            Ok(response) if response.status() == StatusCode::OK => break,
            _ if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(50)).await,
            other => panic!("the server did not recover: {other:?}"),
        }
    }
    let metrics = server.metrics().await;
    let refused = metrics
        .lines()
        .find_map(|line| line.strip_prefix("strata_http_connections_refused_total "))
        .unwrap_or_else(|| panic!("no refusal counter in:\n{metrics}"));
    assert!(refused.trim().parse::<f64>().unwrap() >= 3.0, "{refused}");
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let server = Server::start(&[]);
    for (path, policy) in [
        ("/", "default-src 'self'"),
        ("/api/properties/", "default-src 'self'"),
        ("/api/no/such/", "default-src 'self'"),
        ("/media/missing.png", "sandbox"),
        ("/admin/", "connect-src 'self'"),
        ("/api/docs/", "script-src 'self'"),
    ] {
        let response = get(&server, path).await;
        let headers = response.headers();
        let header = |name: &str| {
            headers
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_else(|| panic!("{path}: no {name}"))
        };
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("x-frame-options"), "DENY", "{path}");
        assert_eq!(
            header("referrer-policy"),
            "strict-origin-when-cross-origin",
            "{path}"
        );
        let csp = header("content-security-policy");
        assert!(csp.contains(policy), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            !csp.contains("http"),
            "{path}: nothing from another origin: {csp}"
        );
        if !path.starts_with("/api/docs") {
            assert!(!csp.contains("'unsafe-inline'") || path.starts_with("/media/"));
        }
    }
}

/// One login attempt with a wrong password; the status, `Retry-After` and body.
async fn login(
    server: &Server,
    username: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, Option<String>, Value) {
    let mut request = reqwest::Client::new()
        .post(server.url("/api/auth/login"))
        .json(&json!({"username": username, "password": "not the password"}));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let retry = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, retry, response.json().await.unwrap())
}

fn assert_throttled((status, retry, body): (StatusCode, Option<String>, Value)) {
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let wait: u64 = retry.expect("Retry-After").parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(
        body,
        json!({"detail": format!("Request was throttled. Expected available in {wait} seconds.")})
    );
}

#[tokio::test]
async fn logins_are_throttled_per_address_and_per_username() {
    let site = Site::new(Backend::Embedded, "logins_are_throttled")
        .await
        .unwrap();
    let mut env: Vec<(&str, &str)> = site
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    env.push(("STRATA_TRUSTED_PROXIES", "127.0.0.1"));
    let server = Server::start(&env);
    let from = |ip: &'static str| [("x-forwarded-for", ip)];

    // Per address: ten attempts a minute, whatever the usernames.
    for n in 0..10 {
        let (status, _, body) = login(&server, &format!("u{n}"), &from("198.51.100.1")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    }
    assert_throttled(login(&server, "u10", &from("198.51.100.1")).await);
    // Another client behind the same (trusted) proxy has its own window.
    let (status, _, _) = login(&server, "u10", &from("198.51.100.2")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Per username: five attempts a minute, whatever the addresses.
    for n in 0..5 {
        let ip = format!("203.0.113.{n}");
        let (status, _, _) = login(&server, "mina", &[("x-forwarded-for", &ip)]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    assert_throttled(login(&server, "mina", &from("203.0.113.99")).await);

    // A browser on another site cannot post a login here.
    let (status, _, body) = login(&server, "sara", &[("origin", "https://evil.example")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}

const VICTIM_PASSWORD: &str = "a long and unguessable passphrase";

/// `site`'s environment plus `extra`.
fn env_with<'a>(site: &'a Site, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut env: Vec<(&str, &str)> = site
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    env.extend_from_slice(extra);
    env
}

fn create_victim(site: &Site) {
    let out = site.run(&[
        "createsuperuser",
        "--username",
        "victim",
        "--email",
        "victim@example.com",
        "--password",
        VICTIM_PASSWORD,
    ]);
    assert!(out.status.success(), "createsuperuser failed");
}

/// A login with the victim's right password from `ip` (behind the trusted proxy), sending
/// `cookie` if given; the status and the `Set-Cookie` headers.
async fn victim_login(
    server: &Server,
    ip: &str,
    cookie: Option<&str>,
) -> (StatusCode, Vec<String>) {
    let mut headers = vec![("x-forwarded-for", ip)];
    headers.extend(cookie.map(|cookie| ("cookie", cookie)));
    victim_login_with(server, &headers).await
}

async fn victim_login_with(server: &Server, headers: &[(&str, &str)]) -> (StatusCode, Vec<String>) {
    let mut request = reqwest::Client::new()
        .post(server.url("/api/auth/login"))
        .json(&json!({"username": "victim", "password": VICTIM_PASSWORD}));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let cookies = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    (response.status(), cookies)
}

/// `name=value` of the cookie `name` among `Set-Cookie` headers.
fn cookie_pair(set_cookies: &[String], name: &str) -> String {
    set_cookies
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| panic!("no {name} cookie in {set_cookies:?}"))
        .to_owned()
}

#[tokio::test]
async fn an_attacker_cannot_lock_a_user_out_of_a_known_device() {
    let site = Site::new(Backend::Embedded, "known_device").await.unwrap();
    create_victim(&site);
    let server = Server::start(&env_with(&site, &[("STRATA_TRUSTED_PROXIES", "127.0.0.1")]));

    // The victim logs in from their browser, which keeps the device cookie.
    let (status, cookies) = victim_login(&server, "198.51.100.7", None).await;
    assert_eq!(status, StatusCode::OK);
    let device = cookie_pair(&cookies, "strata_device");
    let set = cookies
        .iter()
        .find(|c| c.starts_with("strata_device="))
        .unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("Path=/api/auth/"),
        "{set}"
    );

    // An attacker hammers the username from addresses of its own (within each address's
    // limit) until the username's window, which the victim's first login began, is used up.
    for n in 0..4 {
        let ip = format!("203.0.113.{n}");
        let (status, _, _) = login(&server, "victim", &[("x-forwarded-for", &ip)]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    assert_throttled(login(&server, "victim", &[("x-forwarded-for", "203.0.113.9")]).await);
    // Guessing stays throttled: a client the account has never been seen on is refused, even
    // with the right password…
    let (status, _) = victim_login(&server, "192.0.2.50", None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // …and a forged device cookie changes nothing.
    let forged = format!("{device}0");
    let (status, _) = victim_login(&server, "192.0.2.51", Some(&forged)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // The victim's own browser still logs in.
    let (status, cookies) = victim_login(&server, "198.51.100.7", Some(&device)).await;
    assert_eq!(status, StatusCode::OK, "the known device was locked out");
    // Even from another network (a phone that moved), as long as it holds the cookie.
    let device = cookie_pair(&cookies, "strata_device");
    let (status, _) = victim_login(&server, "192.0.2.60", Some(&device)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn login_limits_hold_across_two_instances() {
    let Some(site) = Site::new(Backend::Production, "login_limits_two_instances").await else {
        return;
    };
    let env = env_with(&site, &[("STRATA_TRUSTED_PROXIES", "127.0.0.1")]);
    let servers = [Server::start(&env), Server::start(&env)];

    // Per address: ten attempts a minute in all, alternating between the instances.
    for n in 0..10 {
        let server = &servers[n % 2];
        let (status, _, body) = login(
            server,
            &format!("u{n}"),
            &[("x-forwarded-for", "198.51.100.1")],
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    }
    for server in &servers {
        assert_throttled(login(server, "u10", &[("x-forwarded-for", "198.51.100.1")]).await);
    }

    // Per username: five attempts a minute in all, from anywhere, on either instance.
    for n in 0..5 {
        let ip = format!("203.0.113.{n}");
        let (status, _, _) = login(&servers[n % 2], "mina", &[("x-forwarded-for", &ip)]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    for server in &servers {
        assert_throttled(login(server, "mina", &[("x-forwarded-for", "203.0.113.99")]).await);
    }
}

/// Whether each of the login's cookies is `Secure`.
fn secure_flags(set_cookies: &[String]) -> Vec<bool> {
    ["sessionid", "csrftoken", "strata_device"]
        .iter()
        .map(|name| {
            let set = set_cookies
                .iter()
                .find(|c| c.starts_with(&format!("{name}=")))
                .unwrap_or_else(|| panic!("no {name} cookie in {set_cookies:?}"));
            set.split(';')
                .any(|a| a.trim().eq_ignore_ascii_case("secure"))
        })
        .collect()
}

#[tokio::test]
async fn cookies_are_secure_when_the_site_or_a_trusted_proxy_is_https() {
    let site = Site::new(Backend::Embedded, "secure_cookies")
        .await
        .unwrap();
    create_victim(&site);
    let hsts = |response: &reqwest::Response| {
        response
            .headers()
            .get("strict-transport-security")
            .map(|v| v.to_str().unwrap().to_owned())
    };

    // An https site_url: every cookie is Secure, every response carries HSTS.
    let https = Server::start(&env_with(
        &site,
        &[("STRATA_WEB__SITE_URL", "https://strata.example")],
    ));
    let (status, cookies) = victim_login_with(&https, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(secure_flags(&cookies), [true; 3], "{cookies:?}");
    for path in ["/", "/api/properties/", "/api/no/such/"] {
        let hsts = hsts(&get(&https, path).await);
        assert_eq!(hsts.as_deref(), Some("max-age=31536000"), "{path}");
    }
    drop(https);

    // A plain-HTTP site_url behind a trusted TLS-terminating proxy: Secure when it says https.
    let proxied = Server::start(&env_with(&site, &[("STRATA_TRUSTED_PROXIES", "127.0.0.1")]));
    let (status, cookies) = victim_login_with(&proxied, &[("x-forwarded-proto", "https")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(secure_flags(&cookies), [true; 3], "{cookies:?}");
    let (_, cookies) = victim_login_with(&proxied, &[("x-forwarded-proto", "http")]).await;
    assert_eq!(secure_flags(&cookies), [false; 3], "{cookies:?}");
    assert_eq!(hsts(&get(&proxied, "/").await), None);
    drop(proxied);

    // From a peer that is not a trusted proxy the header means nothing.
    let direct = Server::start(&env_with(&site, &[]));
    let (_, cookies) = victim_login_with(&direct, &[("x-forwarded-proto", "https")]).await;
    assert_eq!(secure_flags(&cookies), [false; 3], "{cookies:?}");
}

#[tokio::test]
async fn forwarded_addresses_are_ignored_unless_the_peer_is_a_trusted_proxy() {
    let server = Server::start(&[]);
    // A client rotating forged X-Forwarded-For values is still one address.
    for n in 0..10 {
        let ip = format!("198.51.100.{n}");
        let (status, _, _) = login(&server, &format!("u{n}"), &[("x-forwarded-for", &ip)]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    assert_throttled(login(&server, "u10", &[("x-forwarded-for", "192.0.2.77")]).await);
}

/// A server on a free port that answers every request with `answer` and records the bodies.
async fn stand_in(
    answer: impl Fn() -> axum::response::Response + Clone + Send + Sync + 'static,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    let app = axum::Router::new().fallback(move |body: String| {
        record.lock().unwrap().push(body);
        let answer = answer.clone();
        async move { answer() }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}

#[tokio::test]
async fn the_outbox_does_not_follow_a_redirect_with_the_secret() {
    use axum::response::IntoResponse;
    let (elsewhere, stolen) = stand_in(|| "thanks".into_response()).await;
    let location = format!("{elsewhere}/collect");
    let redirect_to = location.clone();
    let (front, asked) = stand_in(move || {
        (
            axum::http::StatusCode::TEMPORARY_REDIRECT,
            [(axum::http::header::LOCATION, redirect_to.clone())],
        )
            .into_response()
    })
    .await;
    let site = Site::new(Backend::Embedded, "outbox_redirect")
        .await
        .unwrap();
    let token = site.token("ops", "admin");
    let server = Server::start_logged(&env_with(
        &site,
        &[
            ("NEXTJS_URL", front.as_str()),
            ("REVALIDATE_SECRET", "the secret"),
        ],
    ));
    let response = reqwest::Client::new()
        .post(server.url("/api/admin/tags/"))
        .header("Authorization", format!("Token {token}"))
        .json(&json!({"name": "Sea view", "slug": "sea-view"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);

    // The mutation's own delivery attempt met the redirect: logged with where it pointed.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server.log().contains("redirects are not followed") {
        assert!(Instant::now() < deadline, "no failed delivery was logged");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(server.log().contains(&location), "{}", server.log());
    assert!(
        asked
            .lock()
            .unwrap()
            .iter()
            .all(|body| body.contains("the secret"))
    );
    assert!(!asked.lock().unwrap().is_empty());
    assert_eq!(
        *stolen.lock().unwrap(),
        Vec::<String>::new(),
        "the secret followed the redirect"
    );
}

#[tokio::test]
async fn links_ignore_a_forged_host_and_api_answers_say_who_may_store_them() {
    let site = Site::new(Backend::Embedded, "forged_host").await.unwrap();
    let out = site.run(&["seed", "--demo", "--properties", "3"]);
    assert!(out.status.success());
    let token = site.token("ops", "admin");
    let server = Server::start(&env_with(
        &site,
        &[
            ("STRATA_WEB__SITE_URL", "https://strata.example"),
            ("STRATA_TRUSTED_PROXIES", "127.0.0.1"),
        ],
    ));
    let client = reqwest::Client::new();
    // Even from a trusted proxy: links are the site's, whatever Host and X-Forwarded-* say.
    let response = client
        .get(server.url("/api/properties/?page_size=1"))
        .header("host", "evil.example")
        .header("x-forwarded-proto", "http")
        .header("x-forwarded-host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["cache-control"], "no-cache");
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["next"], "https://strata.example/api/properties/?page_size=1&page=2",
        "{body}"
    );

    let cache_control = |response: &reqwest::Response| {
        response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .to_owned()
    };
    for (path, token, want) in [
        ("/api/categories/", None, "no-cache"),
        ("/api/no/such/", None, "no-cache"),
        ("/api/auth/me", None, "private, no-store"),
        ("/api/auth/me", Some(&token), "private, no-store"),
        ("/api/admin/properties/", Some(&token), "private, no-store"),
    ] {
        let mut request = client.get(server.url(path));
        if let Some(token) = token {
            request = request.header("Authorization", format!("Token {token}"));
        }
        let response = request.send().await.unwrap();
        assert_eq!(cache_control(&response), want, "{path}");
    }
    let login = client
        .post(server.url("/api/auth/login"))
        .json(&json!({"username": "ops", "password": "wrong"}))
        .send()
        .await
        .unwrap();
    assert_eq!(cache_control(&login), "private, no-store");
}

#[tokio::test]
async fn the_opt_in_limit_on_uncached_requests() {
    let site = Site::new(Backend::Embedded, "uncached_limit")
        .await
        .unwrap();
    let limited = Server::start(&env_with(
        &site,
        &[
            ("STRATA_TRUSTED_PROXIES", "127.0.0.1"),
            ("STRATA_WEB__UNCACHED_PER_MINUTE", "3"),
        ],
    ));
    let client = reqwest::Client::new();
    let from = |server: &Server, path: &str, ip: &str| {
        client
            .get(server.url(path))
            .header("x-forwarded-for", ip)
            .send()
    };
    let status = |response: reqwest::Response| response.status();

    // Cached answers cost nothing: one client repeating a cached list is never limited.
    for _ in 0..10 {
        let response = from(&limited, "/api/properties/?q=same", "198.51.100.1")
            .await
            .unwrap();
        assert_eq!(status(response), StatusCode::OK);
    }
    // Distinct misses, API and pages alike: three more, then the one passing the limit is
    // served and the address is refused from then on, cached answers included.
    for path in [
        "/api/properties/?q=a",
        "/properties/?q=b",
        "/api/properties/?q=c",
    ] {
        assert_eq!(
            status(from(&limited, path, "203.0.113.5").await.unwrap()),
            StatusCode::OK,
            "{path}"
        );
    }
    assert_eq!(
        status(
            from(&limited, "/api/properties/?q=d", "203.0.113.5")
                .await
                .unwrap()
        ),
        StatusCode::OK
    );
    let refused = from(&limited, "/api/properties/?q=same", "203.0.113.5")
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    // Others are not.
    assert_eq!(
        status(
            from(&limited, "/api/properties/?q=e", "198.51.100.2")
                .await
                .unwrap()
        ),
        StatusCode::OK
    );
    drop(limited);

    // Off by default: a CDN in front, or a benchmark, looks like one client.
    let open = Server::start(&env_with(&site, &[("STRATA_TRUSTED_PROXIES", "127.0.0.1")]));
    for n in 0..10 {
        let path = format!("/api/properties/?q=open{n}");
        assert_eq!(
            status(from(&open, &path, "203.0.113.5").await.unwrap()),
            StatusCode::OK
        );
    }
}

/// Polls `/readyz` until its status is `want`.
async fn wait_ready(server: &Server, want: StatusCode, within: Duration) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let response = get(server, "/readyz").await;
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        if status == want {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "/readyz stayed {status} for {within:?}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// Multi-threaded: the proxy's tasks must run while the test blocks on starting the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_down_is_a_fast_503_and_recovers() {
    let Some(site) = Site::new(Backend::Production, "postgres_down_is_a_fast_503").await else {
        return;
    };
    let token = site.token("ops", "admin");
    let proxy = TcpProxy::start("127.0.0.1:5432".parse().unwrap()).await;
    let server = site.serve_through(proxy.addr);
    let client = reqwest::Client::new();
    let me = || {
        client
            .get(server.url("/api/auth/me"))
            .header("Authorization", format!("Token {token}"))
            .send()
    };
    assert_eq!(me().await.unwrap().status(), StatusCode::OK);
    let ready = wait_ready(&server, StatusCode::OK, Duration::from_secs(5)).await;
    assert_eq!(ready["database"]["state"], "up", "{ready}");
    // Cached from now on.
    assert_eq!(
        get(&server, "/api/categories/").await.status(),
        StatusCode::OK
    );

    proxy.stop();
    let ready = wait_ready(
        &server,
        StatusCode::SERVICE_UNAVAILABLE,
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(ready["status"], "unavailable", "{ready}");
    assert_eq!(ready["database"]["state"], "down", "{ready}");
    assert!(ready["cache"].is_object(), "{ready}");

    // Requests that need the database fail at once, with DRF's body and Retry-After.
    for _ in 0..3 {
        let started = Instant::now();
        let response = me().await.unwrap();
        let took = started.elapsed();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(took < Duration::from_millis(500), "a 503 took {took:?}");
        assert_eq!(response.headers()["retry-after"], "5");
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            json!({"detail": "Service temporarily unavailable, try again later."})
        );
    }
    // What the caches hold is still served.
    assert_eq!(
        get(&server, "/api/categories/").await.status(),
        StatusCode::OK
    );
    // A page that must be rendered from the database says so too: 503, not 500.
    let page = get(&server, "/en/properties/no-such-listing/").await;
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(page.headers()["retry-after"], "5");

    proxy.resume().await;
    let ready = wait_ready(&server, StatusCode::OK, Duration::from_secs(10)).await;
    assert_eq!(ready["database"]["state"], "up", "{ready}");
    assert_eq!(me().await.unwrap().status(), StatusCode::OK);
}
