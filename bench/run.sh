#!/usr/bin/env bash
# Benchmarks the cache engine against baselines measured in the same run and writes the results
# into docs/BENCHMARKS.md. Needs Redis (REDIS_URL, default redis://127.0.0.1:6379); it writes
# under its own unique key prefix and deletes its keys afterwards. Takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
cargo run --release --locked -p strata-bench --bin strata-bench -- docs/BENCHMARKS.md
