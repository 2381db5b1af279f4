#!/usr/bin/env bash
# What SQLCipher encryption costs (README「安全（等保）」): the search benchmark (bench/foundation.sh, SQLite only) and
# the verification benchmark (bench/verification.sh, without its PostgreSQL and DuckDB comparisons), each run on the
# same city once plain and once encrypted, one after the other on the same machine; a summary goes to
# bench/results/encryption.md, each run's own figures to bench/results/encryption/.
#
# HOUSEHOLDS (default 100000, about 280,000 persons) scales both; WRK_DURATION (default 15s) the search runs.
# SKIP_BUILD=1 and MINZHENG_BIN=PATH as in the other scripts.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
HOUSEHOLDS=${HOUSEHOLDS:-100000}
export WRK_DURATION=${WRK_DURATION:-15s}
# the machine is shared: wait at most a minute for it to be idle before each measurement (the reports say how busy)
export IDLE_WAIT=${IDLE_WAIT:-60}
if [ "${SKIP_BUILD:-}" != 1 ]; then cargo build --release --locked --bin minzheng; fi
export MINZHENG_BIN=${MINZHENG_BIN:-$ROOT/target/release/minzheng}
export SKIP_BUILD=1
OUT=bench/results/encryption
mkdir -p "$OUT"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
openssl rand -hex 32 >"$WORK/db.key"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

for mode in plain keyed; do
  key=()
  [ "$mode" = keyed ] && key=(DB_KEY_FILE="$WORK/db.key")
  env "${key[@]}" -u MINZHENG_DB_KEY -u MINZHENG_DB_KEY_FILE HOUSEHOLDS="$HOUSEHOLDS" SKIP_PG=1 \
    RESULTS_DIR="$OUT/search-$mode" bench/foundation.sh >"$WORK/search-$mode.log" 2>&1 ||
    echo "search ($mode) failed: $(tail -n 3 "$WORK/search-$mode.log")"
  env "${key[@]}" -u MINZHENG_DB_KEY -u MINZHENG_DB_KEY_FILE HOUSEHOLDS="$HOUSEHOLDS" SKIP_COMPARE=1 \
    OUT="$OUT/verification-$mode.md" WORK="$WORK/v-$mode" bench/verification.sh >"$WORK/verification-$mode.log" 2>&1 ||
    echo "verification ($mode) failed: $(tail -n 3 "$WORK/verification-$mode.log")"
done

j() { jq -r "$2 // \"—\"" "$OUT/search-$1/foundation.json" 2>/dev/null || echo —; }
v() { grep -F "$2" "$OUT/verification-$1.md" 2>/dev/null | head -1 | cut -d'|' -f3 | sed 's/^ *//; s/ *$//' || echo —; }
{
  echo "# SQLCipher encryption: search and verification, plain and encrypted — $(date -u +%F)"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, shared with other engineers' builds and tests"
  echo "(load average $LOAD_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end): absolute figures are"
  echo "lower than on an idle machine; plain and encrypted ran one after the other under the same conditions."
  echo "\`bench/encryption.sh\` with HOUSEHOLDS=$HOUSEHOLDS (the same deterministic city both times); a raw 256-bit key."
  echo
  echo "| | plain | encrypted (SQLCipher) | target |"
  echo "| --- | ---: | ---: | --- |"
  echo "| persons | $(j plain .sqlite.generation.persons) | $(j keyed .sqlite.generation.persons) | |"
  for s in city chengjiang; do
    echo "| search as \`$s\`: requests/s (wrk, 64 connections) | $(j plain ".sqlite_$s.wrk.requests_per_s") | $(j keyed ".sqlite_$s.wrk.requests_per_s") | ≥ 2,000 |"
    echo "| search as \`$s\`: p99 ms | $(j plain ".sqlite_$s.wrk.p99_ms") | $(j keyed ".sqlite_$s.wrk.p99_ms") | ≤ 20 |"
    echo "| search as \`$s\`: one at a time, p50 / p99 ms | $(j plain ".sqlite_$s.serial.p50_ms") / $(j plain ".sqlite_$s.serial.p99_ms") | $(j keyed ".sqlite_$s.serial.p50_ms") / $(j keyed ".sqlite_$s.serial.p99_ms") | |"
  done
  echo "| encrypting the generated city (\`db rekey\`), s | — | $(j keyed .sqlite.encrypt_seconds) | |"
  echo "| source rows loaded | $(v plain 'source rows loaded') | $(v keyed 'source rows loaded') | |"
  echo "| CSV load rate, \`minzheng load\` | $(v plain 'CSV load rate') | $(v keyed 'CSV load rate') | ≥ 500,000 rows/s |"
  echo "| full dynamic verification (错保 + 人情保) | $(v plain 'full dynamic verification') | $(v keyed 'full dynamic verification') | ≤ 2 s |"
  echo "| 漏保 scan | $(v plain '漏保 scan') | $(v keyed '漏保 scan') | |"
  echo "| verify peak RSS | $(v plain 'verify peak RSS') | $(v keyed 'verify peak RSS') | ≤ 1 GiB |"
  echo "| planted anomalies / findings | $(v plain 'planted anomalies') | $(v keyed 'planted anomalies') | equal |"
  echo
  echo "Each run's own report: \`encryption/search-{plain,keyed}/foundation.md\`, \`encryption/verification-{plain,keyed}.md\`."
} >bench/results/encryption.md
cat bench/results/encryption.md
