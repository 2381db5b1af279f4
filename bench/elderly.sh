#!/usr/bin/env bash
# Elderly-care benchmarks (issue 16): on a demo city of HOUSEHOLDS households (700,000 ≈ 2,000,000 persons, as
# bench/foundation.sh) with the registry only —
#   1. the old-age allowance roll for every resident aged 80+ (one account each), target ≤ 1 s;
#   2. the capability score API under wrk, target p99 ≤ 5 ms at ≥ 2,000 requests/s;
#   3. the elderly lists (facilities, home care grants and candidates, adaptations, care beds, carers, volunteers)
#      under wrk, target p99 ≤ 20 ms; the candidates list reads the registry's 60+ and the live cases.
# One run on SQLite; figures to bench/results/elderly.md. Needs wrk and sqlite3. SKIP_BUILD=1 reuses target/release.
set -euo pipefail
# the bench users log in with a password alone (a deployment requires a second factor; see 安全（等保）)
export MINZHENG_REQUIRE_TOTP=0
cd "$(dirname "$0")/.."
OUT=${OUT:-bench/results/elderly.md}
HOUSEHOLDS="${HOUSEHOLDS:-700000}"
mkdir -p bench/results
if [ "${SKIP_BUILD:-}" != 1 ]; then cargo build --release --bin minzheng; fi
BIN=${MINZHENG_BIN:-${CARGO_TARGET_DIR:-target}/release/minzheng}
WORK=$(mktemp -d)
SERVER=
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
FILE="$WORK/bench.db"
DB="sqlite://$FILE"
PORT=18391
PW=Bench-pass-2020
export MINZHENG_ADMIN_PASSWORD=$PW
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l | xargs printf '%.3f'; }
busy() { ps -eo pcpu=,comm= | awk '$2 !~ /^(minzheng|wrk)$/ {s+=$1} END {printf "%.0f", s}'; }

T0=$(now)
"$BIN" demo --registry-only --database "$DB" --households "$HOUSEHOLDS" --seed 2020 >"$WORK/demo.log" 2>&1
GEN_S=$(secs "$T0" "$(now)")
PERSONS=$(sqlite3 "$FILE" "SELECT COUNT(*) FROM persons")
OLD=$(sqlite3 "$FILE" "SELECT COUNT(*) FROM persons WHERE status = 'normal' AND birth_date <= '1940-12-01'")
# every resident aged 80+ has an account, so the roll pays all of them
sqlite3 "$FILE" "INSERT OR IGNORE INTO payee_accounts (person_id, bank_account, recorded_by, recorded_at) SELECT id, '62284800' || substr(id_number, 7, 11), 'bench', '2020-11-30T00:00:00+00:00' FROM persons WHERE birth_date <= '1940-12-01'"
"$BIN" user add bench_city --role city_officer --area 320281 --sections elderly_care,social_assistance --password "$PW" --database "$DB" >/dev/null
"$BIN" user add bench_cj --role town_officer --area 320281001 --password "$PW" --database "$DB" >/dev/null
"$BIN" serve --database "$DB" --bind 127.0.0.1:$PORT >"$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:$PORT/healthz >/dev/null && break; sleep 0.2; done
token() { curl -sf -XPOST http://127.0.0.1:$PORT/api/v1/auth/token -H 'content-type: application/json' -d "{\"username\":\"$1\",\"password\":\"$PW\"}" | sed 's/.*"token":"\([^"]*\)".*/\1/'; }
CITY=$(token bench_city); CJ=$(token bench_cj)
for b in "80_89 50.00" "90_99 100.00" "100_plus 300.00"; do
  set -- $b
  curl -sf -XPOST http://127.0.0.1:$PORT/api/v1/elderly/allowance/standards -H "Authorization: Bearer $CITY" -H 'content-type: application/json' \
    -d "{\"band\":\"$1\",\"effective_from\":\"2020-01\",\"monthly_amount\":\"$2\",\"reason\":\"基准测试\"}" >/dev/null
done

# 1. the roll of December 2020
BUSY1=$(busy)
T0=$(now)
ROLL=$(curl -s -XPOST http://127.0.0.1:$PORT/api/v1/payments/rolls -H "Authorization: Bearer $CITY" -H 'content-type: application/json' -d '{"month":"2020-12"}')
ROLL_S=$(secs "$T0" "$(now)")
LINES=$(sqlite3 "$FILE" "SELECT COUNT(*) FROM payment_lines WHERE programme = 'old_age'")

# 2. the capability score under wrk
ITEMS='"B.1.1":4,"B.1.2":4,"B.1.3":4,"B.1.4":4,"B.1.5":4,"B.1.6":4,"B.1.7":4,"B.1.8":4,"B.2.1":4,"B.2.2":4,"B.2.3":4,"B.2.4":3,"B.3.1":4,"B.3.2":4,"B.3.3":4,"B.3.4":4,"B.3.5":4,"B.3.6":4,"B.3.7":1,"B.3.8":1,"B.3.9":2,"B.4.1":2,"B.4.2":2,"B.4.3":4,"B.4.4":3,"B.4.5":4'
cat >"$WORK/score.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $CJ"
wrk.body = '{"items":{$ITEMS},"coma":false,"dementia_or_mental_disorder":true,"care_risk_events_30d":1}'
LUA
SCORE_CHECK=$(curl -s -XPOST http://127.0.0.1:$PORT/api/v1/elderly/capability/score -H "Authorization: Bearer $CJ" -H 'content-type: application/json' -d "$(sed -n "s/^wrk.body = '\(.*\)'$/\1/p" "$WORK/score.lua")")
BUSY2=$(busy)
wrk -t2 -c16 -d20s --latency -s "$WORK/score.lua" http://127.0.0.1:$PORT/api/v1/elderly/capability/score >"$WORK/score.txt"

# 3. the elderly lists, round robin (the city officer's whole city, and a town)
cat >"$WORK/lists.lua" <<LUA
local paths = {"/api/v1/elderly/facilities", "/api/v1/elderly/home-care", "/api/v1/elderly/home-care/candidates",
  "/api/v1/elderly/adaptations", "/api/v1/elderly/care-beds", "/api/v1/elderly/carers", "/api/v1/elderly/volunteers",
  "/api/v1/elderly/designations"}
local n = 0
request = function()
  n = n + 1
  local tok = (n % 2 == 0) and "$CITY" or "$CJ"
  return wrk.format("GET", paths[(n % #paths) + 1], {["Authorization"] = "Bearer " .. tok})
end
LUA
BUSY3=$(busy)
wrk -t2 -c16 -d20s --latency -s "$WORK/lists.lua" http://127.0.0.1:$PORT >"$WORK/lists.txt"
T0=$(now); curl -sf "http://127.0.0.1:$PORT/api/v1/elderly/home-care/candidates" -H "Authorization: Bearer $CITY" >"$WORK/cand.json"; CAND_S=$(secs "$T0" "$(now)")

rps() { awk '/Requests\/sec/ {print $2}' "$1"; }
pct() { awk -v p="$2" '$1==p {print $2}' "$1"; }
non2xx() { v=$(awk '/Non-2xx/ {print $4}' "$1"); echo "${v:-0}"; }
verdict() { if [ "$(echo "$1 <= $2" | bc -l)" = 1 ]; then echo "met"; else echo "MISSED"; fi; }
{
  echo "# Elderly-care benchmark"
  echo
  echo "Run by \`bench/elderly.sh\` on $(date -u +%Y-%m-%dT%H:%M:%SZ); $(nproc) cores, $(free -m | awk '/Mem:/ {print $2}') MiB; SQLite; binary \`$BIN\`;"
  echo "client and server on the same machine. Demo city: $HOUSEHOLDS households, $PERSONS persons (registry only, generated in $GEN_S s);"
  echo "$OLD residents aged 80+ on 2020-12-01. CPU % of other processes when each part started (other builds on the machine): $BUSY1 / $BUSY2 / $BUSY3."
  echo
  echo "| what | figure | target | |"
  echo "| --- | ---: | --- | --- |"
  echo "| allowance roll, 2020-12 ($LINES old-age lines) | $ROLL_S s | ≤ 1 s | $(verdict "$ROLL_S" 1) |"
  echo "| capability score API (wrk -t2 -c16 -d20s) | $(rps "$WORK/score.txt") requests/s, p50 $(pct "$WORK/score.txt" 50%), p99 $(pct "$WORK/score.txt" 99%), non-2xx $(non2xx "$WORK/score.txt") | p99 ≤ 5 ms at ≥ 2,000 requests/s | |"
  echo "| elderly lists, 8 lists round robin, city and town (wrk -t2 -c16 -d20s) | $(rps "$WORK/lists.txt") requests/s, p50 $(pct "$WORK/lists.txt" 50%), p99 $(pct "$WORK/lists.txt" 99%), non-2xx $(non2xx "$WORK/lists.txt") | p99 ≤ 20 ms | |"
  echo "| home care candidates, whole city, one call | $CAND_S s | — | |"
  echo
  echo "Roll answer: \`$(echo "$ROLL" | head -c 200)\`"
  echo
  echo "Score answer: \`$(echo "$SCORE_CHECK" | head -c 200)\`"
} >"$OUT"
cat "$OUT"
