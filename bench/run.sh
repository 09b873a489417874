#!/usr/bin/env bash
# Benchmarks the cache engine against baselines measured in the same run and writes the results
# into docs/BENCHMARKS.md. Needs Redis (REDIS_URL, default redis://127.0.0.1:6379); it writes
# under its own unique key prefix and deletes its keys afterwards. Takes a few minutes.
# The Redis Cluster rows need a cluster (REDIS_CLUSTER_URL, default the test cluster on
# 127.0.0.1:7101.., started here with scripts/redis-cluster when redis-server and redis-cli
# exist; without them the rows are skipped, or the run fails with CI=true).
# SMOKE=1 (bench/smoke.sh): a debug build, every scenario briefly, nothing written.
# CARGO_TARGET_DIR is honoured (cargo reads it).
set -euo pipefail
cd "$(dirname "$0")/.."
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
if [ -z "${REDIS_CLUSTER_URL+set}" ]; then
  if command -v redis-server >/dev/null && command -v redis-cli >/dev/null; then
    scripts/redis-cluster start /tmp/strata-redis-cluster 7101 >&2
    export REDIS_CLUSTER_URL=redis-cluster://127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103
  elif [ "${CI:-}" = "true" ]; then
    echo "bench/run.sh: redis-server or redis-cli is missing and CI=true" >&2
    exit 1
  else
    echo "*** redis-server/redis-cli not found: the Redis Cluster rows are skipped ***" >&2
    export REDIS_CLUSTER_URL=
  fi
fi
profile=(--release)
[ "${SMOKE:-0}" = 1 ] && profile=()
cargo run "${profile[@]}" --locked -p strata-bench --bin strata-bench -- docs/BENCHMARKS.md
