#!/usr/bin/env bash
# Benchmarks the cache engine against baselines measured in the same run and writes the results
# into docs/BENCHMARKS.md. Needs Redis (REDIS_URL, default redis://127.0.0.1:6379); it writes
# under its own unique key prefix and deletes its keys afterwards. Takes a few minutes.
# SMOKE=1 (bench/smoke.sh): a debug build, every scenario briefly, nothing written.
set -euo pipefail
cd "$(dirname "$0")/.."
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
profile=(--release)
[ "${SMOKE:-0}" = 1 ] && profile=()
cargo run "${profile[@]}" --locked -p strata-bench --bin strata-bench -- docs/BENCHMARKS.md
