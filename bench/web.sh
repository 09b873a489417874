#!/usr/bin/env bash
# Benchmarks the web tier in one run on PostgreSQL + Redis: a cached page (HTML cache hit)
# against the cached API JSON of the same data and against the ceiling — the page's exact
# bytes served by a bare axum handler from a static buffer (`strata-bench-static`); and the
# time to first byte of pages that miss both caches. Writes the `web` section of
# docs/BENCHMARKS.md. Takes about two minutes after the release build.
source "$(dirname "$0")/lib.sh"
start_strata

PAGE="/properties/?city=Tehran&ordering=price"
API="/api/properties/?city=Tehran&ordering=price&page_size=12"
curl -sf "$BASE$PAGE" -o "$WORK/page.html"
serve_in_background CEILING "$RELEASE/strata-bench-static" "$WORK/page.html"

# The same page on the embedded default (SQLite + in-process store, 1,000 demo properties):
# no bus, so no Redis round trip before a hit. In its own directory (its database is a file
# there); bench/smoke.sh names one it seeded in BENCH_EMBEDDED_DIR, copied so that
# `serve --demo` finds its demo data already there.
mkdir "$WORK/embedded"
[ -n "${BENCH_EMBEDDED_DIR:-}" ] && cp -r "$BENCH_EMBEDDED_DIR/." "$WORK/embedded"
serve_in_background EMBEDDED env -C "$WORK/embedded" -u DATABASE_URL -u REDIS_URL \
  "$BIN" serve --demo --bind 127.0.0.1:0

PAGE_R="$(measure "$BASE$PAGE")"
EMB_R="$(measure "$EMBEDDED$PAGE")"
API_R="$(measure "$BASE$API")"
CEIL_R="$(measure "$CEILING/")"

# Time to first byte on a miss: detail pages nobody has requested (neither the HTML cache nor
# the data cache holds them), one request each; and the same pages once cached. Any answer but
# a 200 fails the script.
TTFB_PAGES=100 TTFB_PAGE=7
[ "$SMOKE" = 1 ] && TTFB_PAGES=10 TTFB_PAGE=1
SLUGS="$(curl -sf "$BASE/api/properties/?ordering=price&page_size=$TTFB_PAGES&page=$TTFB_PAGE" \
  | python3 -c 'import json,sys; print("\n".join(p["slug"] for p in json.load(sys.stdin)["results"]))')"
ttfb() {
  for slug in $SLUGS; do
    curl -s -o /dev/null -w '%{http_code} %{time_starttransfer}\n' "$BASE/properties/$slug/"
  done | sort -k2 -n | awk '$1 != 200 {print "a listing page answered " $1 > "/dev/stderr"; bad=1}
    {v[NR]=$2*1000} END {if (bad) exit 1; printf "%.2f %.2f\n", v[int(NR*0.5)], v[int(NR*0.95)]}'
}
MISS="$(ttfb)"
HIT="$(ttfb)"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a/b}'; }
read -r page_rps page_p50 page_p99 <<<"$PAGE_R"
read -r emb_rps emb_p50 emb_p99 <<<"$EMB_R"
read -r api_rps api_p50 api_p99 <<<"$API_R"
read -r ceil_rps ceil_p50 ceil_p99 <<<"$CEIL_R"
read -r miss_p50 miss_p95 <<<"$MISS"
read -r hit_p50 hit_p95 <<<"$HIT"
SECTION="$WORK/section.md"
{
  echo "<!-- web:begin -->"
  echo "Run $(date -u +%Y-%m-%d) with \`bench/web.sh\`: release binary, PostgreSQL + Redis, 10,000 demo"
  echo "properties, wrk with $THREADS threads and $CONNECTIONS connections for $DURATION per row, load generator and"
  echo "servers on the same $(nproc)-core machine. The ceiling serves the page's exact bytes ($(wc -c <"$WORK/page.html") bytes) from a"
  echo "static buffer in a bare axum handler (no middleware, no cache lookup)."
  echo
  echo "| what | req/s | p50 ms | p99 ms | ÷ ceiling |"
  echo "|---|---|---|---|---|"
  echo "| cached page \`GET $PAGE\` | $page_rps | $page_p50 | $page_p99 | $(ratio "$page_rps" "$ceil_rps") |"
  echo "| cached page, embedded default (no bus round trip) | $emb_rps | $emb_p50 | $emb_p99 | $(ratio "$emb_rps" "$ceil_rps") |"
  echo "| cached API JSON \`GET $API\` | $api_rps | $api_p50 | $api_p99 | $(ratio "$api_rps" "$ceil_rps") |"
  echo "| ceiling: same bytes, static buffer | $ceil_rps | $ceil_p50 | $ceil_p99 | 1.00 |"
  echo
  echo "Time to first byte of $TTFB_PAGES listing pages (curl, one request at a time): p50 $miss_p50 ms, p95 $miss_p95 ms"
  echo "when nothing is cached (data from PostgreSQL, HTML rendered); p50 $hit_p50 ms, p95 $hit_p95 ms once cached."
  echo "<!-- web:end -->"
} >"$SECTION"
write_section web "$SECTION" "Web tier (issue 4)"
