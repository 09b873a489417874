#!/usr/bin/env bash
# Strata against the stack it replaces, in one run on PostgreSQL + Redis with 10,000 demo
# properties: Strata's cached detail, list and page; the same detail and list from a Django +
# DRF + django-redis app on the same database and Redis (bench/django, gunicorn, the cache
# policy's settings); the bare axum ceiling (Strata's detail bytes from a static buffer); Strata
# with its near-cache off. Also Strata's cold start (spawn to the first 200 on a detail) and its
# RSS after warming every detail. Writes the `compare` section of docs/BENCHMARKS.md. Takes about
# three minutes after the release build. Needs python3 (with venv): the Django app is installed
# into .venv-bench from bench/django/requirements.txt.
source "$(dirname "$0")/lib.sh"

DETAIL="/api/properties/42/"
LIST="/api/properties/?city=Tehran&ordering=price&page_size=20"
PAGE="/properties/?city=Tehran&ordering=price"

# The Django app's virtualenv, rebuilt when its requirements change.
VENV="$PWD/.venv-bench"
want="$(sha256sum bench/django/requirements.txt | cut -d' ' -f1)"
if [ ! -x "$VENV/bin/gunicorn" ] || [ "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" != "$want" ]; then
  python3 -m venv --clear "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r bench/django/requirements.txt
  echo "$want" >"$VENV/.requirements.sha256"
fi

prepare_strata

# Cold start: from spawning the server to the first 200 on a detail nobody has read (a miss in
# every cache: the data comes from PostgreSQL).
start=$(date +%s%N)
serve_in_background BASE "$BIN" serve --bind 127.0.0.1:0
STRATA_PID=${PIDS[-1]}
for _ in $(seq 1000); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE$DETAIL")" = 200 ] && break
  sleep 0.01
done
COLD_MS=$((($(date +%s%N) - start) / 1000000))
expect_200 "$BASE$DETAIL"
rss_mib() { awk '/^VmRSS:/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
RSS_START="$(rss_mib "$STRATA_PID")"

# Every property's detail read once (the unpublished ones are cached as "none" and answer 404),
# sixteen at a time.
PUBLISHED="$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM real_estate_property WHERE status = 'published'")"
psql "$DATABASE_URL" -Atc "SELECT id FROM real_estate_property" \
  | awk -v base="$BASE" '{printf "url = \"%s/api/properties/%s/\"\noutput = \"/dev/null\"\n", base, $1}' >"$WORK/warm.curl"
curl --no-progress-meter --parallel --parallel-max 16 -K "$WORK/warm.curl" -w '%{http_code}\n' | sort | uniq -c | awk -v want="$PUBLISHED" '
  {n[$2] = $1; all += $1}
  END {
    if (n[200] != want || n[200] + n[404] != all) { print "warming the details:"; for (c in n) print c, n[c]; exit 1 }
  }' >&2
RSS_WARM="$(rss_mib "$STRATA_PID")"

serve_in_background NEAR_OFF env STRATA_CACHE__NEAR__ENABLED=false "$BIN" serve --bind 127.0.0.1:0
curl -sf "$BASE$DETAIL" -o "$WORK/detail.json"
serve_in_background CEILING "$RELEASE/strata-bench-static" "$WORK/detail.json"
# The Django app under its own ENV, hence its own KEY_PREFIX: it never reads Strata's keys.
serve_in_background DJANGO env -C "$PWD/bench/django" ENV="django-$ENV" PYTHONDONTWRITEBYTECODE=1 \
  "$VENV/bin/gunicorn" -c gunicorn.conf.py --bind 127.0.0.1:0 benchsite.wsgi

# Both stacks serve the same data: the same detail bytes, the same list page.
curl -sf "$DJANGO$DETAIL" -o "$WORK/django-detail.json"
cmp "$WORK/detail.json" "$WORK/django-detail.json"
curl -sf "$BASE$LIST" -o "$WORK/list.json"
curl -sf "$DJANGO$LIST" -o "$WORK/django-list.json"
python3 - "$WORK/list.json" "$WORK/django-list.json" <<'PY'
import json, sys
a, b = (json.load(open(path)) for path in sys.argv[1:])
# `next` differs only in the order of its parameters (DRF sorts them). A property's tags and
# options are the same set in another order: Strata lists them in the Persian alphabet's order
# (`strata_api::lang::sort_key`), the Django app by code point.
def same_terms(page):
    for item in page["results"]:
        for terms in ("tags", "options"):
            item.get(terms, []).sort(key=lambda term: term["id"])
    return page["count"], page["results"]
assert same_terms(a) == same_terms(b), "the list pages differ"
PY

declare -A R
R[detail]="$(measure "$BASE$DETAIL")"
R[list]="$(measure "$BASE$LIST")"
R[page]="$(measure "$BASE$PAGE")"
R[off-detail]="$(measure "$NEAR_OFF$DETAIL")"
R[off-list]="$(measure "$NEAR_OFF$LIST")"
R[django-detail]="$(measure "$DJANGO$DETAIL")"
R[django-list]="$(measure "$DJANGO$LIST")"
R[ceiling]="$(measure "$CEILING/")"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a/b}'; }
# A row: key, label, the Django row it is compared with (none: "—").
row() {
  local rps p50 p99 vs_django="—"
  read -r rps p50 p99 <<<"${R[$1]}"
  [ -n "$3" ] && vs_django="$(ratio "$rps" "${R[$3]%% *}")×"
  echo "| $2 | $rps | $p50 | $p99 | $(ratio "$rps" "${R[ceiling]%% *}") | $vs_django |"
}
SECTION="$WORK/section.md"
{
  echo "<!-- compare:begin -->"
  echo "Run $(date -u +%Y-%m-%d) with \`bench/compare.sh\`: $PROFILE binaries, PostgreSQL + Redis, $PROPERTIES demo"
  echo "properties, wrk with $THREADS threads and $CONNECTIONS connections for $DURATION per row, load generator and"
  echo "servers on the same $(nproc)-core machine. Django: Django + DRF + django-redis (bench/django,"
  echo "versions in its requirements.txt) under gunicorn, $(nproc) gthread workers, the cache policy's"
  echo "settings and keys, on the same database and Redis; it serves byte-identical details and the"
  echo "same list pages (checked by the script). The ceiling serves Strata's detail bytes"
  echo "($(wc -c <"$WORK/detail.json") bytes) from a static buffer in a bare axum handler. Every row is a cache hit."
  echo
  echo "| what | req/s | p50 ms | p99 ms | ÷ ceiling | ÷ Django |"
  echo "|---|---|---|---|---|---|"
  row detail "Strata cached detail \`GET $DETAIL\`" django-detail
  row list "Strata cached list \`GET $LIST\`" django-list
  row page "Strata cached page \`GET $PAGE\`" ""
  row off-detail "Strata, near-cache off, detail" django-detail
  row off-list "Strata, near-cache off, list" django-list
  row django-detail "Django cached detail" django-detail
  row django-list "Django cached list" django-list
  row ceiling "ceiling: the detail's bytes, static buffer" ""
  echo
  echo "Strata's cold start, from spawning \`strata serve\` to the first 200 on a detail (read from"
  echo "PostgreSQL): $COLD_MS ms. Its RSS: $RSS_START MiB after that first request, $RSS_WARM MiB once every"
  echo "property's detail has been read ($PUBLISHED published, the rest cached as not found)."
  echo "<!-- compare:end -->"
} >"$SECTION"
write_section compare "$SECTION" "Against the original stack (issue 12)"
