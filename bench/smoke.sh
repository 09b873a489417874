#!/usr/bin/env bash
# Runs every bench script with SMOKE=1 (debug binaries, 200 properties, 1 s per measurement,
# numbers discarded) so that a documented bench command cannot rot; fails if any of them fails.
# The last step of scripts/test. Needs what the scripts need: wrk, python3, PostgreSQL, Redis.
export SMOKE=1
source "$(dirname "$0")/lib.sh"

# The demo data, seeded once for all the scripts: drawing the demo photos takes about a minute
# in a debug build. lib.sh copies $DB (BENCH_TEMPLATE_DB) for each script; web.sh copies the
# embedded default's directory (BENCH_EMBEDDED_DIR, the 1,000 properties of `serve --demo`).
# The two are seeded side by side.
build_strata
psql "$PG/test" -qc "CREATE DATABASE $DB"
seed_database "$PG/$DB" &
postgres=$!
mkdir "$WORK/embedded"
(cd "$WORK/embedded" && env -u DATABASE_URL -u REDIS_URL RUST_LOG=warn "$BIN" seed --demo --properties 1000 >/dev/null) &
embedded=$!
wait "$postgres"
wait "$embedded"
export BENCH_TEMPLATE_DB="$DB" BENCH_EMBEDDED_DIR="$WORK/embedded"

failed=()
for script in run http web compare soak; do
  [ -f "bench/$script.sh" ] || continue
  printf '\n--- SMOKE=1 bench/%s.sh\n' "$script"
  started=$SECONDS
  if bash "bench/$script.sh" >"$WORK/$script.log" 2>&1; then
    tail -n 15 "$WORK/$script.log"
  else
    failed+=("$script")
    cat "$WORK/$script.log"
  fi
  printf -- '--- bench/%s.sh: %s s\n' "$script" $((SECONDS - started))
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "bench smoke: failed: ${failed[*]}" >&2
  exit 1
fi
echo "bench smoke: all passed in ${SECONDS} s"
