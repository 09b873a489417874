#!/usr/bin/env bash
# Benchmarks the real binary under wrk: cached public list and detail against the same
# endpoints with their namespace's cache flag off, in one run, on PostgreSQL + Redis (the
# scale-out deployment). Writes the results between the `http-api` markers of
# docs/BENCHMARKS.md. Takes about two minutes after the release build.
source "$(dirname "$0")/lib.sh"
start_strata

LIST="/api/properties/?city=Tehran&ordering=price&page_size=20"
DETAIL="/api/properties/42/"

declare -A R
for ep in list detail; do
  path=$LIST; ns=public:property:list
  [ "$ep" = detail ] && { path=$DETAIL; ns=public:property:detail; }
  R[$ep-on]="$(measure "$BASE$path")"
  "$BIN" cache flags --off "$ns" >/dev/null; sleep 1.5
  R[$ep-off]="$(measure "$BASE$path")"
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
write_section http-api "$SECTION" "HTTP API (issue 3)"
