//! `bench/soak.sh`: freshness under load on two or more running instances that share
//! PostgreSQL and Redis.
//!
//! A few hot properties (the first page of the public list) are rewritten at full speed through
//! the admin API of every instance in turn, each with a title carrying a number that only grows:
//! `soak-<run>-<id>-<n>`. Every property has a single writer, so its acknowledged numbers are
//! ordered. Readers on every instance fetch the same properties' public detail, HTML page and
//! list at full speed. A read is stale when it returns a number lower than one whose write was
//! acknowledged before the read was sent.
//!
//! Prints a Markdown table of the figures on stdout, stale examples and a summary on stderr;
//! exits 2 on a 5xx, a request without a readable response, or when nothing was written or read,
//! else 1 on a stale read.

use std::error::Error;
use std::fmt;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use reqwest::Client;
use serde_json::{Value, json};

type SoakResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

#[derive(Debug, Parser)]
#[command(
    name = "strata-soak",
    about = "Freshness under load across Strata instances"
)]
struct Args {
    /// Base URL of a running instance (`http://127.0.0.1:8000`); repeat for each instance.
    #[arg(long = "base", required = true, value_name = "URL")]
    bases: Vec<String>,
    /// API token of a user allowed to edit properties.
    #[arg(long, env = "SOAK_TOKEN", hide_env_values = true)]
    token: String,
    /// How long writers and readers run.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Hot properties, all written and read: few, so most reads are cache hits.
    #[arg(long, default_value_t = 20)]
    properties: u64,
    /// Writer tasks in all; each owns a share of the properties and cycles through the instances.
    #[arg(long, default_value_t = 8)]
    writers: usize,
    /// Reader tasks per instance, spread over the detail, the page and the list.
    #[arg(long, default_value_t = 16)]
    readers: usize,
    /// Stale reads described on stderr, at most.
    #[arg(long, default_value_t = 10)]
    examples: usize,
}

/// The highest number whose write was acknowledged for one property, and when.
#[derive(Clone, Copy)]
struct Acked {
    value: u64,
    at: Option<Instant>,
}

struct Hot {
    id: i64,
    slug: String,
    acked: Mutex<Acked>,
}

impl Hot {
    fn acked(&self) -> Acked {
        *self.acked.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Also the index of its counters.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Detail,
    Page,
    List,
    Write,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Detail => "read `GET /api/properties/{id}/`",
            Kind::Page => "read `GET /properties/{slug}/`",
            Kind::List => "read `GET /api/properties/?page_size=N`",
            Kind::Write => "write `PATCH /api/admin/properties/{id}/`",
        })
    }
}

/// Detail twice as often as the others: it is the response a near-cache serves most.
const READS: [Kind; 4] = [Kind::Detail, Kind::Detail, Kind::Page, Kind::List];
const KINDS: [Kind; 4] = [Kind::Detail, Kind::Page, Kind::List, Kind::Write];

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    /// Properties checked: one per detail or page, each hot one present in a list.
    checked: AtomicU64,
    stale: AtomicU64,
    client_errors: AtomicU64,
    server_errors: AtomicU64,
    /// No response, or a body that could not be read.
    errors: AtomicU64,
}

struct Soak {
    client: Client,
    bases: Vec<String>,
    token: String,
    run: String,
    hot: Vec<Hot>,
    list_path: String,
    counters: [Counters; 4],
    examples: Mutex<Vec<String>>,
    max_examples: usize,
    writers: usize,
    deadline: Instant,
}

impl Soak {
    fn counters(&self, kind: Kind) -> &Counters {
        &self.counters[kind as usize]
    }

    fn marker(&self, id: i64) -> String {
        format!("soak-{}-{id}-", self.run)
    }

    /// The lowest number the text shows for property `id`: 0 when it shows none of this run's.
    fn shown(&self, text: &str, id: i64) -> u64 {
        let marker = self.marker(id);
        text.match_indices(&marker)
            .map(|(at, _)| {
                let digits = &text[at + marker.len()..];
                let end = digits
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(digits.len());
                digits[..end].parse().unwrap_or(0)
            })
            .min()
            .unwrap_or(0)
    }

    /// Sends a request, counting its outcome; the body of a 2xx.
    async fn send(&self, kind: Kind, request: reqwest::RequestBuilder) -> Option<String> {
        let counters = self.counters(kind);
        counters.requests.fetch_add(1, Relaxed);
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => {
                counters.errors.fetch_add(1, Relaxed);
                self.example(format!("{kind}: {e}"));
                return None;
            }
        };
        let status = response.status();
        let body = response.text().await;
        match (status, body) {
            (s, Ok(body)) if s.is_success() => Some(body),
            (s, _) if s.is_server_error() => {
                counters.server_errors.fetch_add(1, Relaxed);
                self.example(format!("{kind}: {s}"));
                None
            }
            (s, Err(e)) if s.is_success() => {
                counters.errors.fetch_add(1, Relaxed);
                self.example(format!("{kind}: reading the body: {e}"));
                None
            }
            (s, _) => {
                counters.client_errors.fetch_add(1, Relaxed);
                self.example(format!("{kind}: {s}"));
                None
            }
        }
    }

    fn example(&self, text: String) {
        let mut examples = self.examples.lock().unwrap_or_else(PoisonError::into_inner);
        if examples.len() < self.max_examples {
            examples.push(text);
        }
    }

    /// Compares what a read showed with what was acknowledged before it was sent.
    fn check(&self, kind: Kind, base: &str, hot: &Hot, before: Acked, sent: Instant, shown: u64) {
        let counters = self.counters(kind);
        counters.checked.fetch_add(1, Relaxed);
        if shown < before.value {
            counters.stale.fetch_add(1, Relaxed);
            let ago = before.at.map_or(0.0, |at| (sent - at).as_secs_f64() * 1e3);
            self.example(format!(
                "stale {kind} on {base}: property {} showed {shown}, {} acknowledged {ago:.1} ms \
                 before the read was sent",
                hot.id, before.value
            ));
        }
    }

    async fn write(&self, writer: usize) {
        let mine: Vec<&Hot> = self.hot.iter().skip(writer).step_by(self.writers).collect();
        let mut next = 1;
        while Instant::now() < self.deadline {
            for (n, hot) in mine.iter().enumerate() {
                // Each property's writes go through every instance in turn.
                let base = &self.bases[(next as usize + n) % self.bases.len()];
                let title = format!("{}{next}", self.marker(hot.id));
                let request = self
                    .client
                    .patch(format!("{base}/api/admin/properties/{}/", hot.id))
                    .header("Authorization", format!("Token {}", self.token))
                    .json(&json!({"title_fa": title, "title_en": title}));
                if self.send(Kind::Write, request).await.is_some() {
                    *hot.acked.lock().unwrap_or_else(PoisonError::into_inner) = Acked {
                        value: next,
                        at: Some(Instant::now()),
                    };
                }
            }
            // Numbers grow whether or not a write was acknowledged: a failed write may still
            // have been applied, and a later one must never show a lower number.
            next += 1;
        }
    }

    async fn read(&self, base: &str, kind: Kind, start: usize) {
        let mut turn = start;
        while Instant::now() < self.deadline {
            if kind == Kind::List {
                self.read_list(base).await;
            } else {
                self.read_one(base, kind, &self.hot[turn % self.hot.len()])
                    .await;
                turn += 1;
            }
        }
    }

    /// The public detail or page of one property.
    async fn read_one(&self, base: &str, kind: Kind, hot: &Hot) {
        let path = if kind == Kind::Page {
            format!("/properties/{}/", hot.slug)
        } else {
            format!("/api/properties/{}/", hot.id)
        };
        let before = hot.acked();
        let sent = Instant::now();
        if let Some(body) = self
            .send(kind, self.client.get(format!("{base}{path}")))
            .await
        {
            self.check(kind, base, hot, before, sent, self.shown(&body, hot.id));
        }
    }

    /// The list page the hot properties were taken from: each one it shows is checked.
    async fn read_list(&self, base: &str) {
        let before: Vec<Acked> = self.hot.iter().map(Hot::acked).collect();
        let sent = Instant::now();
        let request = self.client.get(format!("{base}{}", self.list_path));
        let Some(body) = self.send(Kind::List, request).await else {
            return;
        };
        let Ok(page) = serde_json::from_str::<Value>(&body) else {
            self.counters(Kind::List).errors.fetch_add(1, Relaxed);
            self.example(format!("{}: not JSON: {body:.200}", Kind::List));
            return;
        };
        for item in page["results"].as_array().into_iter().flatten() {
            let found = self
                .hot
                .iter()
                .zip(&before)
                .find(|(h, _)| item["id"] == h.id);
            if let Some((hot, before)) = found {
                let shown = self.shown(item["title"].as_str().unwrap_or_default(), hot.id);
                self.check(Kind::List, base, hot, *before, sent, shown);
            }
        }
    }
}

/// The hot properties: the first page of the public list, as every reader's list shows it.
async fn hot_properties(client: &Client, base: &str, list_path: &str) -> SoakResult<Vec<Hot>> {
    let page: Value = client
        .get(format!("{base}{list_path}"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let hot: Vec<Hot> = page["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| {
            Some(Hot {
                id: item["id"].as_i64()?,
                slug: item["slug"].as_str()?.to_owned(),
                acked: Mutex::new(Acked { value: 0, at: None }),
            })
        })
        .collect();
    if hot.is_empty() {
        return Err(format!("{base}{list_path} lists no properties").into());
    }
    Ok(hot)
}

fn table(soak: &Soak, elapsed: Duration) -> String {
    let seconds = elapsed.as_secs_f64();
    let mut out = String::from(
        "| requests | count | per second | properties checked | stale | 4xx | 5xx | errors |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for kind in KINDS {
        let c = soak.counters(kind);
        let requests = c.requests.load(Relaxed);
        let checked = match kind {
            Kind::Write => "–".to_owned(),
            _ => c.checked.load(Relaxed).to_string(),
        };
        out.push_str(&format!(
            "| {kind} | {requests} | {:.0} | {checked} | {} | {} | {} | {} |\n",
            requests as f64 / seconds,
            c.stale.load(Relaxed),
            c.client_errors.load(Relaxed),
            c.server_errors.load(Relaxed),
            c.errors.load(Relaxed),
        ));
    }
    out
}

#[tokio::main]
async fn main() -> SoakResult<ExitCode> {
    let args = Args::parse();
    let client = Client::builder().timeout(Duration::from_secs(10)).build()?;
    let bases: Vec<String> = args
        .bases
        .iter()
        .map(|b| b.trim_end_matches('/').to_owned())
        .collect();
    let list_path = format!("/api/properties/?page_size={}", args.properties);
    let hot = hot_properties(&client, &bases[0], &list_path).await?;
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
    let started = Instant::now();
    let soak = Arc::new(Soak {
        client,
        run: format!("{:x}", nanos % (1 << 40)),
        token: args.token,
        writers: args.writers.clamp(1, hot.len()),
        hot,
        list_path,
        counters: Default::default(),
        examples: Mutex::default(),
        max_examples: args.examples,
        deadline: started + Duration::from_secs(args.seconds),
        bases,
    });
    eprintln!(
        "soak: {} properties, {} writers, {} readers on each of {} instances, {} s",
        soak.hot.len(),
        soak.writers,
        args.readers,
        soak.bases.len(),
        args.seconds
    );

    let mut tasks = Vec::new();
    for writer in 0..soak.writers {
        let soak = soak.clone();
        tasks.push(tokio::spawn(async move { soak.write(writer).await }));
    }
    for base in soak.bases.clone() {
        for reader in 0..args.readers {
            let (soak, base) = (soak.clone(), base.clone());
            let kind = READS[reader % READS.len()];
            tasks.push(tokio::spawn(
                async move { soak.read(&base, kind, reader).await },
            ));
        }
    }
    for task in tasks {
        task.await?;
    }
    let elapsed = started.elapsed();

    for example in soak
        .examples
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
    {
        eprintln!("  {example}");
    }
    print!("{}", table(&soak, elapsed));
    let total = |f: fn(&Counters) -> u64| KINDS.iter().map(|k| f(soak.counters(*k))).sum::<u64>();
    let stale = total(|c| c.stale.load(Relaxed));
    let failures = total(|c| c.server_errors.load(Relaxed) + c.errors.load(Relaxed));
    let writes = soak.counters(Kind::Write).requests.load(Relaxed);
    let reads = total(|c| c.requests.load(Relaxed)) - writes;
    eprintln!(
        "soak: {reads} reads ({:.0}/s), {writes} writes ({:.0}/s), {stale} stale, {failures} 5xx or errors in {:.1} s",
        reads as f64 / elapsed.as_secs_f64(),
        writes as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64()
    );
    Ok(if failures > 0 || writes == 0 || reads == 0 {
        ExitCode::from(2)
    } else if stale > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
