#!/usr/bin/env bash
# Benchmarks the real binary under wrk: cached public list and detail against the same
# endpoints with their namespace's cache flag off, in one run, on PostgreSQL + Redis (the
# scale-out deployment). Writes the results between the `http-api` markers of
# docs/BENCHMARKS.md. Needs wrk (`apt-get install wrk`), PostgreSQL and Redis on their
# standard ports. Takes about two minutes after the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
PG="${PG:-postgres://root@127.0.0.1:5432}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export ENV="bench-$$"
DB="strata_bench_$$"
psql "$PG/test" -qc "CREATE DATABASE $DB"
export DATABASE_URL="$PG/$DB"
WORK="$(mktemp -d)"
cleanup() {
  [ -n "${SERVER:-}" ] && kill "$SERVER" 2>/dev/null || true
  psql "$PG/test" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" || true
  rm -rf "$WORK"
}
trap cleanup EXIT

cargo build --release --locked -p strata
BIN="$PWD/target/release/strata"
cd "$WORK"
"$BIN" migrate
"$BIN" seed --demo --properties 10000 >/dev/null
RUST_LOG=warn "$BIN" serve --bind 127.0.0.1:0 >serve.out 2>serve.err &
SERVER=$!
for _ in $(seq 100); do grep -q listening serve.out 2>/dev/null && break; sleep 0.1; done
BASE="$(sed -n 's/^Strata listening on //p' serve.out)"

LIST="/api/properties/?city=Tehran&ordering=price&page_size=20"
DETAIL="/api/properties/42/"

# One wrk run: prints "req/s p50_ms p99_ms".
measure() {
  curl -sf "$BASE$1" >/dev/null
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$BASE$1" | awk '
    /Requests\/sec/ {rps=$2}
    /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    END {printf "%.0f %.2f %.2f\n", rps, ms(p50), ms(p99)}'
}

declare -A R
for ep in list detail; do
  path=$LIST; ns=public:property:list
  [ "$ep" = detail ] && { path=$DETAIL; ns=public:property:detail; }
  R[$ep-on]="$(measure "$path")"
  "$BIN" cache flags --off "$ns" >/dev/null; sleep 1.5
  R[$ep-off]="$(measure "$path")"
  "$BIN" cache flags --on "$ns" >/dev/null; sleep 1.5
done

row() {
  read -r on_rps on_p50 on_p99 <<<"${R[$1-on]}"
  read -r off_rps off_p50 off_p99 <<<"${R[$1-off]}"
  ratio=$(awk -v a="$on_rps" -v b="$off_rps" 'BEGIN {printf "%.1f", a/b}')
  echo "| $2 | $on_rps | $on_p50 | $on_p99 | $off_rps | $off_p50 | $off_p99 | ${ratio}× |"
}
SECTION="$WORK/section.md"
{
  echo "<!-- http-api:begin -->"
  echo "Run $(date -u +%Y-%m-%d) with \`bench/http.sh\`: release binary, PostgreSQL + Redis, 10,000 demo"
  echo "properties, wrk with $THREADS threads and $CONNECTIONS connections for $DURATION per row, load generator and"
  echo "server on the same $(nproc)-core machine. \"Off\" is the same endpoint with its namespace's cache"
  echo "flag switched off (every request reads PostgreSQL), measured in the same run."
  echo
  echo "| endpoint | cached req/s | p50 ms | p99 ms | flag off req/s | p50 ms | p99 ms | cached ÷ off |"
  echo "|---|---|---|---|---|---|---|---|"
  row list "\`GET $LIST\`"
  row detail "\`GET $DETAIL\`"
  echo "<!-- http-api:end -->"
} >"$SECTION"
cd - >/dev/null
python3 - "$SECTION" docs/BENCHMARKS.md <<'PY'
import re, sys
section = open(sys.argv[1]).read().strip()
doc = open(sys.argv[2]).read()
pattern = re.compile(r"<!-- http-api:begin -->.*?<!-- http-api:end -->", re.S)
doc = pattern.sub(lambda _: section, doc) if pattern.search(doc) else doc.rstrip() + "\n\n## HTTP API (issue 3)\n\n" + section + "\n"
open(sys.argv[2], "w").write(doc)
PY
cat "$SECTION"
