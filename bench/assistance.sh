#!/usr/bin/env bash
# Social-assistance benchmarks (issue: assessment API requests/s on 2 cores; payment roll for 20,000 cases,
# target ≤ 1 s; ledger import of 100,000 rows, target ≤ 10 s). One run; figures to bench/results/assistance.md.
# Needs wrk (apt-get install -y wrk). SKIP_BUILD=1 reuses target/release.
set -euo pipefail
# the bench users log in with a password alone (a deployment requires a second factor; see 安全（等保）)
export MINZHENG_REQUIRE_TOTP=0
cd "$(dirname "$0")/.."
OUT=bench/results/assistance.md
mkdir -p bench/results
if [ "${SKIP_BUILD:-}" != 1 ]; then cargo build --release --bin minzheng --example ledger_file; fi
BIN=${MINZHENG_BIN:-target/release/minzheng}
GEN=target/release/examples/ledger_file
WORK=$(mktemp -d)
SERVER=
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
DB="sqlite://$WORK/bench.db"
PORT=18390
PW=Bench-pass-2020
export MINZHENG_ADMIN_PASSWORD=$PW
"$BIN" user add cj --role town_officer --area 320281001 --password "$PW" --database "$DB" >/dev/null
"$BIN" user add city --role city_officer --area 320281 --password "$PW" --database "$DB" >/dev/null
"$BIN" serve --database "$DB" --bind 127.0.0.1:$PORT >"$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 50); do curl -sf http://127.0.0.1:$PORT/healthz >/dev/null && break; sleep 0.2; done
token() { curl -sf -XPOST http://127.0.0.1:$PORT/api/v1/auth/token -H 'content-type: application/json' -d "{\"username\":\"$1\",\"password\":\"$PW\"}" | sed 's/.*"token":"\([^"]*\)".*/\1/'; }
CJ=$(token cj); CITY=$(token city)
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l | xargs printf '%.3f'; }

# 1. the assessment API under wrk (64 connections, 20 s)
cat >"$WORK/assess.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $CJ"
wrk.body = '{"as_of":"2020-06-15","household":{"area_code":"320281001001","members":[{"id_number":"320281195001010013","relation":"self","status":"normal","employed":false,"disability":{"kind":"limb","grade":2},"serious_illness":false,"self_care_unmet":0,"has_capable_supporter":false,"public_payroll":false,"monthly_income":{"wage":"0","business":"0","property":"0","transfer":"300","basic_pension":"400","excluded":"0"}},{"id_number":"320281198505050020","relation":"spouse","status":"normal","employed":true,"disability":null,"serious_illness":false,"self_care_unmet":0,"has_capable_supporter":true,"public_payroll":false,"monthly_income":{"wage":"900","business":"0","property":"0","transfer":"0","basic_pension":"0","excluded":"0"}}],"assets":{"financial":"5000","vehicles":[{"kind":"motorcycle"}],"residential_properties":1,"commercial_properties":0,"enterprise_roles":0},"annual_rigid_expenditure":"0"}}'
LUA
curl -sf -XPOST http://127.0.0.1:$PORT/api/v1/assessments -H "Authorization: Bearer $CJ" -H 'content-type: application/json' -d "$(sed -n "s/^wrk.body = '\(.*\)'$/\1/p" "$WORK/assess.lua")" >/dev/null
wrk -t2 -c64 -d20s --latency -s "$WORK/assess.lua" http://127.0.0.1:$PORT/api/v1/assessments >"$WORK/wrk.txt"
RPS=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")
P50=$(awk '$1=="50%" {print $2}' "$WORK/wrk.txt"); P99=$(awk '$1=="99%" {print $2}' "$WORK/wrk.txt")
NON2XX=$(awk '/Non-2xx/ {print $4}' "$WORK/wrk.txt"); NON2XX=${NON2XX:-0}

# 2. ledger import of 100,000 rows (50,000 households of 2)
"$GEN" "$WORK/ledger100k.xlsx" 50000 2 320281001 >/dev/null
T0=$(now)
IMPORT=$(curl -s -XPOST http://127.0.0.1:$PORT/api/v1/ledger/imports -H "Authorization: Bearer $CJ" --data-binary @"$WORK/ledger100k.xlsx" -H 'content-type: application/octet-stream')
T1=$(now)
IMPORT_S=$(secs "$T0" "$T1")

# 3. payment rolls: one over the 50,000 cases just imported, then one of exactly 20,000 cases on a fresh database
T0=$(now); ROLL=$(curl -s -XPOST http://127.0.0.1:$PORT/api/v1/payments/rolls -H "Authorization: Bearer $CITY" -H 'content-type: application/json' -d '{"month":"2020-02"}'); T1=$(now)
ROLL_ALL_S=$(secs "$T0" "$T1")
kill $SERVER; wait $SERVER 2>/dev/null || true

DB2="sqlite://$WORK/bench2.db"
"$BIN" user add cj --role town_officer --area 320281001 --password "$PW" --database "$DB2" >/dev/null
"$BIN" user add city --role city_officer --area 320281 --password "$PW" --database "$DB2" >/dev/null
"$BIN" serve --database "$DB2" --bind 127.0.0.1:$PORT >"$WORK/serve2.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 50); do curl -sf http://127.0.0.1:$PORT/healthz >/dev/null && break; sleep 0.2; done
CJ=$(token cj); CITY=$(token city)
"$GEN" "$WORK/ledger20k.xlsx" 20000 1 320281001 >/dev/null
curl -s -XPOST http://127.0.0.1:$PORT/api/v1/ledger/imports -H "Authorization: Bearer $CJ" --data-binary @"$WORK/ledger20k.xlsx" >/dev/null
T0=$(now); ROLL20=$(curl -s -XPOST http://127.0.0.1:$PORT/api/v1/payments/rolls -H "Authorization: Bearer $CITY" -H 'content-type: application/json' -d '{"month":"2020-03"}'); T1=$(now)
ROLL20_S=$(secs "$T0" "$T1")

verdict() { if [ "$(echo "$1 <= $2" | bc -l)" = 1 ]; then echo "met"; else echo "MISSED"; fi; }
{
  echo "# Social-assistance benchmark"
  echo
  echo "Run by \`bench/assistance.sh\` on $(date -u +%Y-%m-%dT%H:%M:%SZ); $(nproc) cores, $(free -m | awk '/Mem:/ {print $2}') MiB; SQLite; release build; client and server on the same machine."
  echo
  echo "| what | figure | target | |"
  echo "| --- | ---: | --- | --- |"
  echo "| assessment API (wrk -t2 -c64 -d20s) | $RPS requests/s, p50 $P50, p99 $P99, non-2xx $NON2XX | requests/s on 2 cores | |"
  if echo "$IMPORT" | grep -q '"cases_created":50000'; then IV=$(verdict "$IMPORT_S" 10); else IV="FAILED (see answer)"; fi
  echo "| ledger import, 100,000 rows (50,000 households) | $IMPORT_S s | ≤ 10 s | $IV |"
  echo "| payment roll, 20,000 cases | $ROLL20_S s | ≤ 1 s | $(verdict "$ROLL20_S" 1) |"
  echo "| payment roll, 50,000 cases | $ROLL_ALL_S s | — | |"
  echo
  echo "Import answer: \`$(echo "$IMPORT" | head -c 200)\`"
  echo
  echo "Roll answers: \`$(echo "$ROLL20" | head -c 200)\`, \`$(echo "$ROLL" | head -c 200)\`"
} >"$OUT"
cat "$OUT"
