#!/usr/bin/env bash
# Measures the release profile: the same server built as `[profile.release]` says and with
# fat LTO and one codegen unit (through CARGO_PROFILE_RELEASE_* variables, into a second
# target directory), serving the same database and Redis side by side, measured alternately
# (twice each) on the cached detail, list and page. Writes the `profile` section of
# docs/BENCHMARKS.md. Builds twice: allow about 25 minutes on two cores. Not part of the smoke
# run (its two release builds are the point); SMOKE=1 still shortens the measurements.
source "$(dirname "$0")/lib.sh"
start_strata
LTO_TARGET="${LTO_TARGET_DIR:-${CARGO_TARGET_DIR:-$PWD/target}-lto}"
CARGO_TARGET_DIR="$LTO_TARGET" CARGO_PROFILE_RELEASE_LTO=fat CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 \
  cargo build --release --locked -p strata
serve_in_background LTO "$LTO_TARGET/release/strata" serve --bind 127.0.0.1:0

PATHS=("/api/properties/42/" "/api/properties/?city=Tehran&ordering=price&page_size=20" "/properties/?city=Tehran&ordering=price")
declare -A R
for round in 1 2; do
  for path in "${PATHS[@]}"; do
    for build in base lto; do
      base=$BASE; [ "$build" = lto ] && base=$LTO
      read -r rps _ p99 <<<"$(measure "$base$path")"
      R[$build-$path]="${R[$build-$path]:-} $rps/$p99"
    done
  done
done

SECTION="$WORK/section.md"
{
  echo "<!-- profile:begin -->"
  echo "Run $(date -u +%Y-%m-%d) with \`bench/profile.sh\`: two release servers on one PostgreSQL (10,000"
  echo "demo properties) and Redis, measured alternately with wrk ($THREADS threads, $CONNECTIONS connections, $DURATION per"
  echo "measurement, two rounds); req/s and p99 ms of each round. \"lto\" is fat LTO with"
  echo "codegen-units = 1; \"base\" is \`[profile.release]\` as committed."
  echo
  echo "| endpoint | base req/s / p99 | lto req/s / p99 | lto ÷ base (mean req/s) |"
  echo "|---|---|---|---|"
  for path in "${PATHS[@]}"; do
    ratio=$(awk -v a="${R[lto-$path]}" -v b="${R[base-$path]}" 'BEGIN {
      n = split(a, x, " "); split(b, y, " "); s = 0; t = 0
      for (i = 1; i <= n; i++) { split(x[i], p, "/"); split(y[i], q, "/"); s += p[1]; t += q[1] }
      printf "%.2f", s / t }')
    echo "| \`GET $path\` |${R[base-$path]} |${R[lto-$path]} | ${ratio}× |"
  done
  echo "<!-- profile:end -->"
} >"$SECTION"
write_section profile "$SECTION" "Release profile (issue 12)"
