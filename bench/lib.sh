# Shared by the HTTP benchmarks (source it): a release `strata serve` on PostgreSQL + Redis with
# 10,000 demo properties, wrk measurements, and writing a section of docs/BENCHMARKS.md.
# Needs wrk (`apt-get install wrk`), PostgreSQL and Redis on their standard ports.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-10s}"
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
  rm -rf "$WORK"
}
trap cleanup EXIT

# Builds the release binaries, makes a fresh database with demo data and starts a server;
# sets RELEASE (the binaries' directory), BIN and BASE.
start_strata() {
  cargo build --release --locked -p strata -p strata-bench
  RELEASE="${CARGO_TARGET_DIR:-$PWD/target}/release"
  BIN="$RELEASE/strata"
  psql "$PG/test" -qc "CREATE DATABASE $DB"
  export DATABASE_URL="$PG/$DB"
  (cd "$WORK" && "$BIN" migrate && "$BIN" seed --demo --properties 10000 >/dev/null)
  serve_in_background BASE "$BIN" serve --bind 127.0.0.1:0
}

# Runs a server command in $WORK; sets the variable named by $1 to the base URL from its
# "listening on" line. (Not a command substitution: the PID must reach `cleanup`.)
serve_in_background() {
  local var=$1 out="$WORK/serve-${#PIDS[@]}.out"
  shift
  (cd "$WORK" && RUST_LOG=warn exec "$@" >"$out" 2>"$out.err") &
  PIDS+=($!)
  for _ in $(seq 300); do grep -q listening "$out" 2>/dev/null && break; sleep 0.1; done
  printf -v "$var" '%s' "$(sed -n 's/^.*listening on \(http:[^ ]*\).*$/\1/Ip' "$out" | head -1)"
}

# One wrk run against a URL: prints "req/s p50_ms p99_ms".
measure() {
  curl -sf "$1" >/dev/null
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$1" | awk '
    /Requests\/sec/ {rps=$2}
    /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    END {printf "%.0f %.2f %.2f\n", rps, ms(p50), ms(p99)}'
}

# Replaces the section between `<!-- NAME:begin/end -->` in docs/BENCHMARKS.md with FILE
# (appended under HEADING when the markers are missing), and prints it.
write_section() {
  python3 - "$1" "$2" "$3" docs/BENCHMARKS.md <<'PY'
import re, sys
name, section, heading, path = sys.argv[1], open(sys.argv[2]).read().strip(), sys.argv[3], sys.argv[4]
doc = open(path).read()
pattern = re.compile(rf"<!-- {name}:begin -->.*?<!-- {name}:end -->", re.S)
doc = pattern.sub(lambda _: section, doc) if pattern.search(doc) else doc.rstrip() + f"\n\n## {heading}\n\n" + section + "\n"
open(path, "w").write(doc)
PY
  cat "$2"
}
