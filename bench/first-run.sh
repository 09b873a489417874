#!/usr/bin/env bash
# The first run as a new user meets it: a fresh clone of HEAD, the README's first command as
# written (a clean build into the clone's own target with the profile the command names, then
# `serve --demo`: the admin's npm build, the demo seed), timed until the site's home answers 200.
# Records the build's time, the time to the first page and the binary's size in the `first-run`
# section of docs/BENCHMARKS.md. With BASELINE=1 it first makes the production build of the same
# clone (`cargo build --release`) into a second target, for the ratio.
# Cargo's registry cache must hold the crates (it works offline once `cargo fetch` has run).
# Allow 10 to 25 minutes on two cores; not part of the smoke run (the clean build is the point).
source "$(dirname "$0")/lib.sh"

COMMAND="$(sed -n 's/^    \(cargo run .*\)$/\1/p' README.md | head -1)"
[ -n "$COMMAND" ] || { echo "no 'cargo run' command indented in README.md" >&2; exit 1; }
CLONE="$WORK/clone"
git clone --quiet --no-hardlinks "$PWD" "$CLONE"
# The clone runs as a new user would: no target, database or Redis of this shell (cleanup
# still reads REDIS_URL, so it is emptied for the command only, below).
cores=$(nproc)
load_before=$(cut -d' ' -f1 /proc/loadavg)

baseline_row=""
if [ "${BASELINE:-0}" = 1 ]; then
  started=$SECONDS
  (cd "$CLONE" && CARGO_TARGET_DIR="$WORK/baseline-target" cargo build --release --locked -p strata --quiet)
  baseline_build=$((SECONDS - started))
  baseline_size=$(stat -c %s "$WORK/baseline-target/release/strata")
  rm -rf "$WORK/baseline-target"
fi

# The README's command, in the clone, with its output in a file: the build's "Finished" line
# ends the build, the "listening on" line starts the server, GET / ends the first run.
OUT="$WORK/first-run.out"
# The profile the command builds with (`--release`, or `--profile NAME`), as cargo's "Finished"
# line and the target directory name it.
PROFILE_DIR=$(sed -n 's/.*--profile \([a-z-]*\).*/\1/p' <<<"$COMMAND")
PROFILE_DIR=${PROFILE_DIR:-release}
started=$SECONDS
(cd "$CLONE" && unset CARGO_TARGET_DIR DATABASE_URL REDIS_URL ENV && RUST_LOG=warn STRATA_METRICS_BIND=127.0.0.1:0 exec $COMMAND --bind 127.0.0.1:0 >"$OUT" 2>&1) &
PIDS+=("$!")
build="" url=""
while kill -0 "${PIDS[-1]}" 2>/dev/null; do
  if [ -z "$build" ] && grep -q "Finished \`$PROFILE_DIR\`" "$OUT"; then build=$((SECONDS - started)); fi
  url="$(sed -n 's/^.*listening on \(http:[^ ]*\).*$/\1/p' "$OUT" | head -1)"
  if [ -n "$url" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/")" = 200 ]; then break; fi
  sleep 1
done
[ -n "$url" ] || { echo "the README's first command did not serve:" >&2; cat "$OUT" >&2; exit 1; }
first_page=$((SECONDS - started))
size=$(stat -c %s "$CLONE/target/$PROFILE_DIR/strata")
load_after=$(cut -d' ' -f1 /proc/loadavg)

mib() { awk -v b="$1" 'BEGIN { printf "%.0f MiB", b / 1048576 }'; }
min() { printf '%d min %02d s' $(($1 / 60)) $(($1 % 60)); }
if [ "${BASELINE:-0}" = 1 ]; then
  baseline_row="| \`cargo build --release\` (production) | $(min "$baseline_build") | — | $(mib "$baseline_size") |"
fi

SECTION="$WORK/section.md"
{
  echo "<!-- first-run:begin -->"
  echo "Run $(date -u +%Y-%m-%d) with \`bench/first-run.sh\` on $cores cores (load average $load_before at"
  echo "the start, $load_after at the end): a fresh clone, \`$COMMAND\`, until \`GET /\` answers 200."
  echo "\"First page\" includes the build, the admin's npm build and the demo seed."
  echo
  echo "| build | clean build | first page | binary |"
  echo "|---|---|---|---|"
  [ -n "$baseline_row" ] && echo "$baseline_row"
  echo "| the README's command (\`$PROFILE_DIR\` profile) | $(min "$build") | $(min "$first_page") | $(mib "$size") |"
  if [ "${BASELINE:-0}" = 1 ]; then
    awk -v a="$build" -v b="$baseline_build" 'BEGIN { printf "\nBuild of the first command ÷ the production build: %.2f×.\n", a / b }'
  fi
  echo "<!-- first-run:end -->"
} >"$SECTION"
write_section first-run "$SECTION" "First run (issue 20)"
