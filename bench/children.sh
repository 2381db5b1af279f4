#!/usr/bin/env bash
# Children's welfare and the disability subsidies at the 2,000,000-person city (README "Benchmarks", issue 17).
#
#   1. `minzheng demo --registry-only` of HOUSEHOLDS households (700,000: about 1,950,000 persons) on SQLite.
#   2. Departmental files written from that city by bench/children_fixture.py (deterministic): the deaths and custody
#      terms of the parents of some children, and the 残联 register of the registry's disabled; loaded with
#      `minzheng load` (each load re-classifies the registry, as in production).
#   3. Classifying every child of the registry: POST /api/v1/children/classifications/run, RUNS times after a first
#      run on an empty result (the first run writes every classified child; later runs write only changes).
#      Target: <= 1 s.
#   4. The two subsidies' monthly roll: approved care grants for every grade 1-2 (and 3-4 intellectual/mental)
#      person and living grants for the disabled members of households given a dibao case, written by the fixture;
#      POST /api/v1/payments/rolls for a month, RUNS times (a draft roll is rebuilt each time). Target: <= 1 s.
#   5. POST /api/v1/children/classify under wrk (bench/classify.lua, bodies from the city's children).
#      Target: p99 <= 5 ms at >= 2,000 requests/s.
#   Writes bench/results/children.md.
#
# Environment: SKIP_BUILD=1 (use MINZHENG_BIN or $CARGO_TARGET_DIR/release/minzheng), HOUSEHOLDS=700000, SEED=2020,
#   RUNS=5, PORT=18471, WRK_DURATION=20s, WRK_CONNECTIONS=16, WRK_THREADS=2, KEEP=1 (keep the database).
set -uo pipefail
# the bench users log in with a password alone (a deployment requires a second factor; see 安全（等保）)
export MINZHENG_REQUIRE_TOTP=0

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
RESULTS="${RESULTS_DIR:-$BENCH/results}"
HOUSEHOLDS="${HOUSEHOLDS:-700000}"
SEED="${SEED:-2020}"
RUNS="${RUNS:-5}"
PORT="${PORT:-18471}"
WRK_DURATION="${WRK_DURATION:-20s}"
WRK_CONNECTIONS="${WRK_CONNECTIONS:-16}"
WRK_THREADS="${WRK_THREADS:-2}"
KEEP="${KEEP:-0}"
PASSWORD="minzheng2020"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

mkdir -p "$RESULTS"
WORK=$(mktemp -d /tmp/mz-children.XXXXXX)
DB="$WORK/city.db"
URL="sqlite://$DB"
SERVER_PID=""
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
cleanup() {
  [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null
  if [[ "$KEEP" != 1 ]]; then rm -rf "$WORK"; else log "kept $WORK"; fi
}
trap cleanup EXIT
# the other processes on the machine while we measure (the machine is shared)
busy() { ps -eo pcpu,comm --sort=-pcpu | awk 'NR>1 && $1 > 20 { printf "%s(%s%%) ", $2, $1 }'; }

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  log "cargo build --release"
  (cd "$ROOT" && cargo build --release --locked --bin minzheng) || exit 1
fi
SRC_BIN="${MINZHENG_BIN:-$TARGET_DIR/release/minzheng}"
BIN="$WORK/minzheng"
cp "$SRC_BIN" "$BIN" || exit 1

log "demo --registry-only --households $HOUSEHOLDS (busy: $(busy))"
T0=$(date +%s.%N)
"$BIN" demo --registry-only --database "$URL" --households "$HOUSEHOLDS" --seed "$SEED" >"$WORK/demo.log" 2>&1 || {
  cat "$WORK/demo.log"; exit 1; }
GEN_S=$(echo "$(date +%s.%N) - $T0" | bc)
PERSONS=$(sqlite3 "$DB" "SELECT COUNT(*) FROM persons")
CHILDREN=$(sqlite3 "$DB" "SELECT COUNT(*) FROM persons WHERE relation = 'child' AND birth_date > date('now', '-18 years')")
log "$PERSONS persons, $CHILDREN children under 18, in ${GEN_S}s"

log "fixture: departmental files and subsidy grants"
python3 "$BENCH/children_fixture.py" "$DB" "$WORK" || exit 1
for f in deaths custody disability; do
  T0=$(date +%s.%N)
  "$BIN" load --database "$URL" "$f" "$WORK/$f.csv" --as-of "$(date +%F)" >"$WORK/load-$f.log" 2>&1 || {
    cat "$WORK/load-$f.log"; exit 1; }
  log "loaded $f ($(wc -l <"$WORK/$f.csv") lines) in $(echo "$(date +%s.%N) - $T0" | bc)s, classification batch included"
done
python3 "$BENCH/children_fixture.py" "$DB" "$WORK" --grants || exit 1
sqlite3 "$DB" "ANALYZE"

log "serve"
MINZHENG_LOG=warn "$BIN" serve --database "$URL" --bind "127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/login" && break; sleep 0.2; done
TOKEN=$(curl -s -XPOST "http://127.0.0.1:$PORT/api/v1/auth/token" -H 'content-type: application/json' \
  -d "{\"username\":\"city\",\"password\":\"$PASSWORD\"}" | jq -r '.token // empty')
[[ -n "$TOKEN" ]] || { log "no token"; cat "$WORK/serve.log"; exit 1; }
post() { # PATH BODY -> "seconds http_code body"
  curl -s -m 600 -XPOST "http://127.0.0.1:$PORT$1" -H "Authorization: Bearer $TOKEN" \
    -H 'content-type: application/json' -d "$2" -o "$WORK/last.json" -w '%{time_total} %{http_code}'
}

# 3. classification: once on an empty result, then RUNS times
sqlite3 "$DB" "DELETE FROM child_classifications"
read -r FIRST_S CODE < <(post /api/v1/children/classifications/run '{}')
FIRST=$(cat "$WORK/last.json")
log "first classification: ${FIRST_S}s $CODE $FIRST"
CLASS_TIMES=()
for _ in $(seq 1 "$RUNS"); do
  read -r S CODE < <(post /api/v1/children/classifications/run '{}')
  [[ "$CODE" == 200 ]] || { log "run: $CODE $(cat "$WORK/last.json")"; exit 1; }
  CLASS_TIMES+=("$S")
done
STEADY=$(cat "$WORK/last.json")
CLASS_BUSY=$(busy)
log "classification runs: ${CLASS_TIMES[*]} ($STEADY)"

# 4. the roll (a draft is rebuilt each time)
MONTH=$(date -d "+1 month" +%Y-%m)
ROLL_TIMES=()
for _ in $(seq 1 "$RUNS"); do
  read -r S CODE < <(post /api/v1/payments/rolls "{\"month\":\"$MONTH\"}")
  [[ "$CODE" == 201 || "$CODE" == 200 ]] || { log "roll: $CODE $(cat "$WORK/last.json")"; exit 1; }
  ROLL_TIMES+=("$S")
done
ROLL_BUSY=$(busy)
ROLL_LINES=$(sqlite3 "$DB" "SELECT l.category || ' ' || COUNT(*) || ' ' || SUM(l.amount) FROM payment_lines l JOIN payment_rolls r ON r.id = l.roll_id WHERE r.month = '$MONTH' GROUP BY l.category" | tr '\n' ';')
log "roll runs: ${ROLL_TIMES[*]} lines: $ROLL_LINES"

# 5. the classify API under wrk
sqlite3 -separator ' ' "$DB" "SELECT p.id_number FROM persons p WHERE p.relation = 'child' AND p.birth_date > date('now', '-18 years') LIMIT 500" >"$WORK/children.txt"
WRK_OUT="$WORK/wrk.txt"
CLASSIFY_IDS="$WORK/children.txt" TOKEN="$TOKEN" wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d5s -s "$BENCH/classify.lua" \
  "http://127.0.0.1:$PORT" >/dev/null 2>&1
WRK_BUSY_BEFORE=$(busy)
CLASSIFY_IDS="$WORK/children.txt" TOKEN="$TOKEN" wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$WRK_DURATION" --latency \
  -s "$BENCH/classify.lua" "http://127.0.0.1:$PORT" >"$WRK_OUT" 2>&1
cat "$WRK_OUT" >&2
RPS=$(awk '/Requests\/sec/ { print $2 }' "$WRK_OUT")
P99=$(awk '$1 == "99%" { print $2 }' "$WRK_OUT")
P50=$(awk '$1 == "50%" { print $2 }' "$WRK_OUT")
NON2XX=$(awk '/Non-2xx/ { print $NF }' "$WRK_OUT")

ms() { # wrk latency (us/ms/s) -> ms
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}
max() { printf '%s\n' "$@" | sort -g | tail -1; }
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
verdict() { # VALUE OP TARGET
  awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN { ok = (op == "<=") ? (v <= t) : (v >= t); print ok ? "met" : "MISSED" }'
}
CLASS_MAX=$(max "${CLASS_TIMES[@]}")
ROLL_MAX=$(max "${ROLL_TIMES[@]}")
P99_MS=$(ms "$P99")

{
  echo "# Children's welfare and disability subsidies benchmark"
  echo
  echo "Generated by \`bench/children.sh\` on $(date -u +%FT%TZ) ($(nproc) cores, $(free -g | awk '/Mem/ { print $2 }') GiB;"
  echo "SQLite; the binary built with \`cargo build --release\`). The machine is shared with other engineers' builds and"
  echo "tests: the processes above 20 % CPU at each step are listed, and figures taken while they ran are pessimistic."
  echo
  echo "City: \`minzheng demo --registry-only --households $HOUSEHOLDS --seed $SEED\`: $PERSONS persons, $CHILDREN children under 18"
  echo "(generated in ${GEN_S}s). Departmental files from \`bench/children_fixture.py\`: $(cat "$WORK/fixture.txt")"
  echo
  echo "| measure | runs (s) | worst | target | verdict | other load |"
  echo "| --- | --- | --- | --- | --- | --- |"
  echo "| classify every child of the registry (\`POST /api/v1/children/classifications/run\`) | ${CLASS_TIMES[*]} | ${CLASS_MAX} s | ≤ 1 s | $(verdict "$CLASS_MAX" '<=' 1) | $CLASS_BUSY |"
  echo "| the same on an empty result (writes every classified child) | $FIRST_S | $FIRST_S s | — | — | |"
  echo "| the monthly roll with the two subsidies (\`POST /api/v1/payments/rolls\`, $MONTH) | ${ROLL_TIMES[*]} | ${ROLL_MAX} s | ≤ 1 s | $(verdict "$ROLL_MAX" '<=' 1) | $ROLL_BUSY |"
  echo "| \`POST /api/v1/children/classify\` p99 (wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION) | p50 $(ms "$P50") ms | p99 ${P99_MS} ms | ≤ 5 ms | $(verdict "$P99_MS" '<=' 5) | $WRK_BUSY_BEFORE |"
  echo "| \`POST /api/v1/children/classify\` throughput | | $RPS req/s | ≥ 2,000 | $(verdict "${RPS:-0}" '>=' 2000) | |"
  echo
  echo "- First classification: \`$FIRST\`; steady runs: \`$STEADY\`."
  echo "- Roll lines by category (count, fen): \`$ROLL_LINES\`."
  echo "- wrk non-2xx responses: ${NON2XX:-0}. Client and server share the same cores."
  echo
  echo '```'
  cat "$WRK_OUT"
  echo '```'
} >"$RESULTS/children.md"
log "wrote $RESULTS/children.md"
