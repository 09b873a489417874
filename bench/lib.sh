# Shared by the HTTP benchmarks (source it): a release `strata serve` on PostgreSQL + Redis with
# 10,000 demo properties, wrk measurements, and writing a section of docs/BENCHMARKS.md.
# Needs wrk (`apt-get install wrk`), PostgreSQL and Redis on their standard ports.
#
# SMOKE=1 (bench/smoke.sh, CI) checks briefly that the script still works: debug binaries,
# 200 properties, 1 s per measurement, numbers discarded (written to a scratch copy of
# docs/BENCHMARKS.md). A failed request still fails the script, as in a real run.
set -euo pipefail
# A failing command inside `$(…)` (a curl in `measure`) must fail the script too.
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
SMOKE="${SMOKE:-0}"
if [ "$SMOKE" = 1 ]; then
  DURATION=1s PROPERTIES=200 PROFILE=debug
else
  DURATION="${DURATION:-10s}" PROPERTIES=10000 PROFILE=release
fi
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
PG="${PG:-postgres://root@127.0.0.1:5432}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export ENV="bench-$$"
DB="strata_bench_$$"
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  psql "$PG/test" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" || true
  # The servers' cache keys: Strata's under "$ENV:", the Django app's under "django-$ENV:".
  redis-cli -u "$REDIS_URL" --scan --pattern "*$ENV:*" | xargs -r -n 500 redis-cli -u "$REDIS_URL" del >/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# Builds the binaries (release; debug ones under SMOKE=1) and sets RELEASE (their directory)
# and BIN.
build_strata() {
  local flags=(--release)
  [ "$PROFILE" = debug ] && flags=()
  cargo build "${flags[@]}" --locked -p strata -p strata-bench
  RELEASE="${CARGO_TARGET_DIR:-$PWD/target}/$PROFILE"
  BIN="$RELEASE/strata"
}

# Migrates the database at $1 and seeds $PROPERTIES demo properties into it (photos go to
# $WORK/media).
seed_database() {
  (cd "$WORK" && export DATABASE_URL="$1" RUST_LOG=warn && "$BIN" migrate >/dev/null \
    && "$BIN" seed --demo --properties "$PROPERTIES" >/dev/null)
}

# Builds, then makes a fresh database with demo data and exports DATABASE_URL. bench/smoke.sh
# seeds once for all the scripts (debug builds draw the demo photos slowly) and names that
# database in BENCH_TEMPLATE_DB: it is copied instead.
prepare_strata() {
  build_strata
  export DATABASE_URL="$PG/$DB"
  if [ -n "${BENCH_TEMPLATE_DB:-}" ]; then
    psql "$PG/test" -qc "CREATE DATABASE $DB TEMPLATE $BENCH_TEMPLATE_DB"
  else
    psql "$PG/test" -qc "CREATE DATABASE $DB"
    seed_database "$DATABASE_URL"
  fi
}

# prepare_strata, then starts a server; sets BASE.
start_strata() {
  prepare_strata
  serve_in_background BASE "$BIN" serve --bind 127.0.0.1:0
}

# Runs a server command in $WORK; sets the variable named by $1 to the base URL from its
# "listening on" line (Strata's, on stdout) or "Listening at:" line (gunicorn's, on stderr).
# Fails when the server exits first, or says nothing for 10 minutes (`serve --demo` seeds first).
# (Not a command substitution: the PID must reach `cleanup`.)
serve_in_background() {
  local var=$1 out="$WORK/serve-${#PIDS[@]}.out" url="" pid
  shift
  # Servers run side by side here: each takes a free port for its metrics listener.
  (cd "$WORK" && RUST_LOG=warn STRATA_METRICS_BIND="${STRATA_METRICS_BIND:-127.0.0.1:0}" exec "$@" >"$out" 2>"$out.err") &
  pid=$!
  PIDS+=("$pid")
  # Every 10 ms: bench/compare.sh times the cold start by this wait.
  for _ in $(seq 60000); do
    url="$(sed -n 's/^.*listening \(on\|at:\) \(http:[^ ]*\).*$/\2/Ip' "$out" "$out.err" 2>/dev/null | head -1)"
    [ -n "$url" ] || ! kill -0 "$pid" 2>/dev/null && break
    sleep 0.01
  done
  [ -n "$url" ] || { echo "no listening line from: $*" >&2; cat "$out" "$out.err" >&2; return 1; }
  printf -v "$var" '%s' "$url"
}

# Fails unless GET $1 answers 200.
expect_200() {
  local code
  code="$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)"
  [ "$code" = 200 ] || { echo "GET $1 answered $code, not 200" >&2; return 1; }
}

# One wrk run against a URL: prints "req/s p50_ms p99_ms". Fails when the URL does not answer
# 200 first, or when wrk saw any non-2xx answer or socket error.
measure() {
  expect_200 "$1"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$1" | awk -v url="$1" '
    /Requests\/sec/ {rps=$2}
    /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
    /Non-2xx|Socket errors/ {bad = bad $0 "\n"}
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    END {
      if (bad != "" || rps == 0) { printf "wrk %s:\n%s", url, bad > "/dev/stderr"; exit 1 }
      printf "%.0f %.2f %.2f\n", rps, ms(p50), ms(p99)
    }'
}

# Replaces the section between `<!-- NAME:begin/end -->` in docs/BENCHMARKS.md with FILE
# (appended under HEADING when the markers are missing), and prints it. Under SMOKE=1 a scratch
# copy is written instead, so the numbers are discarded but the rewrite still runs.
write_section() {
  local doc=docs/BENCHMARKS.md
  if [ "$SMOKE" = 1 ]; then
    cp "$doc" "$WORK/BENCHMARKS.md"
    doc="$WORK/BENCHMARKS.md"
    echo "SMOKE=1: docs/BENCHMARKS.md left unchanged" >&2
  fi
  python3 - "$1" "$2" "$3" "$doc" <<'PY'
import re, sys
name, section, heading, path = sys.argv[1], open(sys.argv[2]).read().strip(), sys.argv[3], sys.argv[4]
doc = open(path).read()
pattern = re.compile(rf"<!-- {name}:begin -->.*?<!-- {name}:end -->", re.S)
doc = pattern.sub(lambda _: section, doc) if pattern.search(doc) else doc.rstrip() + f"\n\n## {heading}\n\n" + section + "\n"
open(path, "w").write(doc)
PY
  cat "$2"
}
