//! OpenAPI-driven fuzzing: schemathesis (`tests/fuzz/requirements.txt`, in the venv that
//! `scripts/test` makes) generates requests for every operation of `/api/schema/`, public and
//! admin (with an admin's token), against `strata serve` on PostgreSQL + Redis with the demo data.
//! No response may be a 5xx, and the server's log may not hold a panic: a panicking handler drops
//! the connection rather than answering 500, so only the log shows it.
//!
//! Reproducible: a fixed seed and no example database; bounded by examples per operation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Stdio};
use std::time::Instant;

use common::{Backend, Site};

/// Examples per operation and phase; the whole run stays within a few minutes on two cores.
const MAX_EXAMPLES: &str = "50";
const SEED: &str = "20250901";

#[tokio::test]
async fn every_operation_survives_schemathesis() {
    let test = "fuzz";
    let Some(python) = common::python_with("schemathesis", test) else {
        return;
    };
    let Some(site) = Site::new(Backend::Production, test).await else {
        return;
    };
    assert!(
        site.run(&["seed", "--demo", "--properties", "30"])
            .status
            .success()
    );
    let token = site.token("fuzzer", "admin");
    let server = site.serve_logged();

    let started = Instant::now();
    let status = Command::new(&python)
        .args(["-m", "schemathesis.cli", "run", &server.url("/api/schema/")])
        .args(["--url", &server.url("")])
        .args(["--header", &format!("Authorization: Token {token}")])
        .args(["--checks", "not_a_server_error"])
        .args(["--max-examples", MAX_EXAMPLES, "--seed", SEED])
        .args(["--generation-database", "none"])
        // NUL bytes are what the input hardening must refuse with a 400.
        .args(["--generation-allow-x00", "true"])
        // One worker: with two, CPython 3.11's `ast.parse` (which hypothesis calls to describe
        // its filters) races between threads and schemathesis reports a `SystemError` of its own.
        .args(["--request-timeout", "20", "--workers", "1"])
        .args(["--continue-on-failure", "--no-color"])
        // Logging out would revoke the token the rest of the run authenticates with.
        .args(["--exclude-operation-id-regex", "logout"])
        // schemathesis writes nothing here (no reports, no database), but keep the repo clean.
        .current_dir(&site.dir)
        .stdin(Stdio::null())
        .status()
        .expect("run schemathesis");
    eprintln!("schemathesis took {:?}", started.elapsed());

    let log = server.log();
    let panics: Vec<&str> = log.lines().filter(|l| l.contains("panicked at")).collect();
    assert!(
        panics.is_empty(),
        "the server panicked {} time(s):\n{}",
        panics.len(),
        panics.join("\n")
    );
    assert!(
        status.success(),
        "schemathesis found failures (see its report above)"
    );
}
