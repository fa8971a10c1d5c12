#!/usr/bin/env bash
# ./dev bench rss: accountd's memory over many requests. After one warm-up
# round of every read case and the write pair, wrk runs the cases one after
# another (ROUND seconds each) until REQUESTS requests have been answered,
# printing accountd's RSS after every round; the last line says how much it
# grew from the end of the warm-up. Loopback only. ./dev bench rss calls:
#   tests/bench/rss.sh BASE_URL PASSWORD ACCOUNTD_PID REQUESTS JSON_OUT
set -euo pipefail
base=$1 password=$2 pid=$3 want=$4 json_out=$5
round=${ROUND:-10}
here=$(cd "$(dirname "$0")" && pwd)
case "$base" in
http://127.0.0.1:* | http://localhost:*) ;;
*) echo "refusing to load anything but loopback: $base" >&2; exit 2 ;;
esac
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

basic() { printf 'Authorization: Basic %s' "$(printf '%s:%s' "$1" "$2" | base64 -w0)"; }
P=1000000 # the bench partner (tests/bench/scale_data.py)
cases=(
    "$base/api/v1/auth|$(basic paul "$password")|"
    "$base/api/v1/me|$(basic paul "$password")|"
    "$base/api/v1/accounts/$P|$(basic bench000001 "$password")|"
    "$base/api/v1/accounts?parent_id=$P&limit=50&sort=name|$(basic bench000001 "$password")|"
    "$base/api/v1/me|$(basic bench000002 "$password")|"
    "$base/api/v1/accounts/$((P + 301))|$(basic bench000003 "$password")|$here/write_pair.lua"
)
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; }

# Runs every case once for secs seconds; prints the requests answered.
one_round() {
    local secs=$1 total=0 c url header script out n
    for c in "${cases[@]}"; do
        IFS='|' read -r url header script <<<"$c"
        local args=(-t2 -c64 -d"${secs}s" -H "$header")
        [ -n "$script" ] && args+=(-s "$script")
        out=$(wrk "${args[@]}" "$url")
        if grep -q 'Non-2xx' <<<"$out"; then
            echo "non-2xx answers from $url during the RSS run:" >&2
            echo "$out" >&2
            exit 1
        fi
        n=$(awk '/requests in/ {print $1}' <<<"$out")
        total=$((total + n))
    done
    echo "$total"
}

printf '==> warm-up: every case for 5 s (accountd pid %s, RSS %s kB)\n' "$pid" "$(rss_kb)"
one_round 5 >/dev/null
start=$(rss_kb)
printf '==> after warm-up: RSS %s kB; now %s requests, %s s per case and round\n' "$start" "$want" "$round"
done_n=0 samples=()
while [ "$done_n" -lt "$want" ]; do
    n=$(one_round "$round")
    done_n=$((done_n + n))
    now=$(rss_kb)
    samples+=("[$done_n,$now]")
    printf '    %9s requests  RSS %s kB\n' "$done_n" "$now"
done
end=$(rss_kb)
growth=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", (b - a) * 100 / a }')
printf 'accountd RSS: %s kB after warm-up, %s kB after %s requests: %s %%\n' "$start" "$end" "$done_n" "$growth"
(IFS=,; printf '{"date":"%s","requests":%s,"rss_kb":{"after_warmup":%s,"end":%s},"growth_percent":%s,"samples":[%s]}\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$done_n" "$start" "$end" "$growth" "${samples[*]}") >"$json_out"
printf 'JSON: %s\n' "$json_out"
