#!/usr/bin/env bash
# Benchmark of a running accountd stack (./dev up) with wrk: each endpoint for
# a few seconds, then a table of requests/s, p50, p99 and the ratio to
# /api/v1/health (nginx -> accountd with no LDAP or SQL work). Loopback only;
# every run is bounded by DURATION. Usage (./dev bench calls it):
#   tests/bench/wrk.sh [BASE_URL] [USER] [PASSWORD] [ACCOUNT_ID]
set -euo pipefail
base=${1:-http://127.0.0.1:8080}
user=${2:-paul}
password=${3:-demo-password}
account=${4:-2}
duration=${DURATION:-5s}
connections=${CONNECTIONS:-32}
threads=${THREADS:-2}

case "$base" in
http://127.0.0.1:* | http://localhost:* | http://\[::1\]:*) ;;
*)
    echo "refusing to load anything but loopback: $base" >&2
    exit 2
    ;;
esac
command -v wrk >/dev/null || {
    echo "wrk is missing: apt-get install wrk" >&2
    exit 1
}
auth="Authorization: Basic $(printf '%s:%s' "$user" "$password" | base64 -w0)"

# name|path|needs auth
cases=(
    "health|/api/v1/health|no"
    "auth check|/api/v1/auth|yes"
    "me|/api/v1/me|yes"
    "account overview|/api/v1/accounts/$account|yes"
    "partner list|/api/v1/accounts?parent_id=$account&limit=50|yes"
)

to_ms() { # wrk latency like 812.00us, 1.20ms, 2.01s -> milliseconds
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) { sub(/us$/, "", v); printf "%.2f", v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.2f", v }
        else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.2f", v * 1000 }
        else print v }'
}

printf '==> wrk -t%s -c%s -d%s against %s (user %s)\n' "$threads" "$connections" "$duration" "$base" "$user"
status=$(curl -s -o /dev/null -w '%{http_code}' -H "$auth" "$base/api/v1/me")
[ "$status" = 200 ] || {
    echo "GET /api/v1/me as $user answered $status: is the stack up (./dev up)?" >&2
    exit 1
}

printf '\n%-18s %10s %9s %9s %10s %8s\n' endpoint "req/s" "p50 ms" "p99 ms" "non-2xx" "ratio"
health_rps=
for c in "${cases[@]}"; do
    IFS='|' read -r name path needs_auth <<<"$c"
    args=(-t"$threads" -c"$connections" -d"$duration" --latency)
    [ "$needs_auth" = yes ] && args+=(-H "$auth")
    out=$(wrk "${args[@]}" "$base$path")
    rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
    p50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
    p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
    bad=$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out")
    [ -n "$health_rps" ] || health_rps=$rps
    ratio=$(awk -v a="$rps" -v b="$health_rps" 'BEGIN { printf "%.2f", a / b }')
    printf '%-18s %10.0f %9s %9s %10s %8s\n' "$name" "$rps" "$p50" "$p99" "${bad:-0}" "$ratio"
done
printf '\nratio: requests/s relative to /api/v1/health (the FastCGI round trip alone).\n'
