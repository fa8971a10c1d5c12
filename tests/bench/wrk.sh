#!/usr/bin/env bash
# ./dev bench's runs: wrk through nginx, one case after another in one run,
# each for DURATION with CONNECTIONS connections; prints requests/s, p50, p99,
# non-2xx answers and the ratio to the floor (a bare threaded libfcgi
# responder behind the same nginx, tests/bench/floor.c) of the same run:
# the floor is measured first and again last, and the higher of the two
# counts (one slow floor run must not make every ratio look better),
# writes the table as JSON, and accountd's RSS before and after.
# Loopback only. ./dev bench prepares the stack and calls it:
#   tests/bench/wrk.sh BASE_URL BENCH_URL SSO_URL PASSWORD ACCOUNTD_PID JSON_OUT
set -euo pipefail
base=$1 bench=$2 sso=$3 password=$4 pid=$5 json_out=$6
duration=${DURATION:-10s}
connections=${CONNECTIONS:-64}
threads=${THREADS:-2}
here=$(cd "$(dirname "$0")" && pwd)

for url in "$base" "$bench" "$sso"; do
    case "$url" in
    http://127.0.0.1:* | http://localhost:*) ;;
    *) echo "refusing to load anything but loopback: $url" >&2; exit 2 ;;
    esac
done
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

basic() { printf 'Authorization: Basic %s' "$(printf '%s:%s' "$1" "$2" | base64 -w0)"; }
P=1000000 # the bench partner (tests/bench/scale_data.py)

# name|url|header|lua script
cases=(
    "nginx return 200|$bench/nginx-200||"
    "floor: bare libfcgi|$bench/floor||"
    "/health|$base/api/v1/health||"
    "/auth (Basic)|$base/api/v1/auth|$(basic paul "$password")|"
    "/me (Basic)|$base/api/v1/me|$(basic paul "$password")|"
    "/me (SSO)|$sso/api/v1/me|X-SSO-User: paul|"
    "overview|$base/api/v1/accounts/$P|$(basic bench000001 "$password")|"
    "members (1 PK read + cache)|$base/api/v1/accounts/$P/members|$(basic bench000001 "$password")|"
    "partner page of 50|$base/api/v1/accounts?parent_id=$P&limit=50&sort=name|$(basic bench000001 "$password")|"
    "/me, 300 accounts|$base/api/v1/me|$(basic bench000002 "$password")|"
    "write pair (GET+PATCH If-Match)|$base/api/v1/accounts/$((P + 301))|$(basic bench000003 "$password")|$here/write_pair.lua"
    "floor again|$bench/floor||"
)

to_ms() { # wrk latency like 812.00us, 1.20ms, 2.01s -> milliseconds
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) { sub(/us$/, "", v); printf "%.2f", v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.2f", v }
        else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.2f", v * 1000 }
        else print v }'
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; }

# Every case answers 2xx once before it is measured.
for c in "${cases[@]}"; do
    IFS='|' read -r name url header _ <<<"$c"
    args=(-s -o /dev/null -w '%{http_code}')
    [ -n "$header" ] && args+=(-H "$header")
    status=$(curl "${args[@]}" "$url")
    case "$status" in 2*) ;; *) echo "$name: GET $url answered $status" >&2; exit 1 ;; esac
done

rss_before=$(rss_kb)
printf '==> wrk -t%s -c%s -d%s per case; accountd pid %s, RSS %s kB\n' "$threads" "$connections" "$duration" "$pid" "$rss_before"
names=() rpss=() p50s=() p99s=() bads=()
for c in "${cases[@]}"; do
    IFS='|' read -r name url header script <<<"$c"
    args=(-t"$threads" -c"$connections" -d"$duration" --latency)
    [ -n "$header" ] && args+=(-H "$header")
    [ -n "$script" ] && args+=(-s "$script")
    out=$(wrk "${args[@]}" "$url")
    rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
    p50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
    p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
    bad=$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out")
    errors=$(awk '/Socket errors:/ {print}' <<<"$out")
    printf '    %-32s %9.0f req/s\n' "$name" "$rps"
    [ -n "$errors" ] && printf '        %s\n' "$errors"
    names+=("$name") rpss+=("$rps") p50s+=("$p50") p99s+=("$p99") bads+=("${bad:-0}")
done
floor_first=${rpss[1]} floor_last=${rpss[${#rpss[@]} - 1]}
floor=$(awk -v a="$floor_first" -v b="$floor_last" 'BEGIN { print (a > b ? a : b) }')
printf '\n%-32s %9s %8s %8s %8s %7s\n' case "req/s" "p50 ms" "p99 ms" "non-2xx" "ratio"
rows=()
for i in "${!names[@]}"; do
    name=${names[$i]} rps=${rpss[$i]}
    ratio=-
    [ "$i" -ge 1 ] && ratio=$(awk -v a="$rps" -v b="$floor" 'BEGIN { printf "%.2f", a / b }')
    printf '%-32s %9.0f %8s %8s %8s %7s\n' "$name" "$rps" "${p50s[$i]}" "${p99s[$i]}" "${bads[$i]}" "$ratio"
    rows+=("$(printf '{"case":"%s","requests_per_s":%s,"p50_ms":%s,"p99_ms":%s,"non_2xx":%s,"ratio_to_floor":%s}' \
        "$name" "$rps" "${p50s[$i]}" "${p99s[$i]}" "${bads[$i]}" "$( [ "$ratio" = - ] && echo null || echo "$ratio")")")
done
rss_after=$(rss_kb)
printf '\naccountd RSS: %s kB before, %s kB after\n' "$rss_before" "$rss_after"
printf 'ratio: requests/s relative to the floor of this run (%.0f: the higher of its first, %.0f, and last, %.0f, measurement).\n' "$floor" "$floor_first" "$floor_last"
{
    printf '{"date":"%s","wrk":{"threads":%s,"connections":%s,"duration":"%s"},' \
        "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$threads" "$connections" "$duration"
    printf '"floor":{"first":%s,"last":%s,"used":%s},' "$floor_first" "$floor_last" "$floor"
    printf '"accountd_rss_kb":{"before":%s,"after":%s},"cases":[' "$rss_before" "$rss_after"
    (IFS=,; printf '%s' "${rows[*]}")
    printf ']}\n'
} >"$json_out"
printf 'JSON: %s\n' "$json_out"
