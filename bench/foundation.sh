#!/usr/bin/env bash
# Foundation benchmark (README "Benchmarks").
#
#   1. Demo generation of a ~2,000,000-person city (700,000 households at ~2.88 persons each) on SQLite and on
#      PostgreSQL: wall time, persons/s, peak RSS (/usr/bin/time -v).
#      Targets: >= 200,000 persons/s, peak RSS <= 1 GiB.
#   2. Person search (GET /api/v1/persons?q=...) under wrk (2 threads, 64 connections) on that database, as the
#      city-wide officer `city` on SQLite and PostgreSQL, and as the town officer `chengjiang` on SQLite.
#      The query mix is real names, identity-number last-4 suffixes and full identity numbers taken from the
#      generated data (bench/results/queries-*.txt, read by bench/search.lua).
#      Targets: p99 <= 20 ms and >= 2,000 requests/s on 2 cores.
#   3. Writes bench/results/foundation.json and bench/results/foundation.md.
#
# Usage:  bench/foundation.sh
# Environment:
#   SKIP_BUILD=1        do not run `cargo build --release` (use an existing binary)
#   MINZHENG_BIN=PATH   the binary to measure (default target/release/minzheng); it is copied first so that a
#                       rebuild during the run cannot change it
#   HOUSEHOLDS=700000   households to generate       SEED=2020
#   PG_URL=postgres://postgres@127.0.0.1:5432        server; database $PG_DB (default mz_bench) is DROPPED and recreated
#   PG_ADMIN_DB=test    database psql connects to for DROP/CREATE
#   SKIP_PG=1           SQLite only
#   WRK_DURATION=20s WRK_CONNECTIONS=64 WRK_THREADS=2 WRK_WARMUP=5s
#   PORT=18431          first port used on 127.0.0.1 (one server at a time: PORT, PORT+1, PORT+2)
#   GEN_TIMEOUT=3600    seconds before a generation is abandoned
#   KEEP=1              keep the SQLite file and the PostgreSQL database afterwards (default: removed)
#   RESULTS_DIR=bench/results
#   DB_KEY_FILE=FILE    SQLite encrypted (SQLCipher) with this key: the city is generated plain (the sqlite3 CLI samples
#                       the queries and plans from it), then encrypted with `minzheng db rekey`, and the servers run
#                       with MINZHENG_DB_KEY_FILE. Use another RESULTS_DIR to keep the plain figures.
#
# All load stays on 127.0.0.1; every step is time-bounded; servers are stopped on exit.
set -uo pipefail
# the bench users log in with a password alone (a deployment requires a second factor; see 安全（等保）)
export MINZHENG_REQUIRE_TOTP=0

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
RESULTS="${RESULTS_DIR:-$BENCH/results}"
HOUSEHOLDS="${HOUSEHOLDS:-700000}"
SEED="${SEED:-2020}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
PG_URL="${PG_URL%/}"
PG_DB="${PG_DB:-mz_bench}"
PG_ADMIN_DB="${PG_ADMIN_DB:-test}"
SKIP_PG="${SKIP_PG:-0}"
WRK_DURATION="${WRK_DURATION:-20s}"
WRK_CONNECTIONS="${WRK_CONNECTIONS:-64}"
WRK_THREADS="${WRK_THREADS:-2}"
WRK_WARMUP="${WRK_WARMUP:-5s}"
WRK_TIMEOUT="${WRK_TIMEOUT:-10s}"
PORT="${PORT:-18431}"
GEN_TIMEOUT="${GEN_TIMEOUT:-3600}"
KEEP="${KEEP:-0}"
DEMO_PASSWORD="minzheng2020"

# Targets (issue: foundation benchmark)
T_GEN_RATE=200000   # persons/s, at least
T_GEN_RSS=1024      # MiB peak RSS, at most
T_P99=20            # ms, at most
T_RPS=2000          # requests/s, at least

mkdir -p "$RESULTS"
WORK=$(mktemp -d /tmp/mz-bench.XXXXXX)
TSV="$WORK/results.tsv"
PROBLEMS="$WORK/problems.txt"
: >"$TSV"
: >"$PROBLEMS"
SERVER_PID=""

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
# rec KEY VALUE (number) / recs KEY VALUE (string): one result, dotted key -> nested JSON
rec() { printf '%s\tn\t%s\n' "$1" "$2" >>"$TSV"; }
recs() { printf '%s\ts\t%s\n' "$1" "$(printf '%s' "$2" | tr '\t\n' '  ')" >>"$TSV"; }
get() { awk -F'\t' -v k="$1" '$1 == k { v = $3 } END { print v }' "$TSV"; }
problem() {
  log "PROBLEM: $*"
  printf '%s\n' "$*" | tr '\t\n' '  ' >>"$PROBLEMS"
  printf '\n' >>"$PROBLEMS"
}

stop_server() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
  SERVER_PID=""
}

cleanup() {
  [[ -n "$SAMPLER_PID" ]] && kill "$SAMPLER_PID" 2>/dev/null
  stop_server
  if [[ "$KEEP" != 1 ]]; then
    rm -f "$WORK"/bench.db "$WORK"/bench.db-wal "$WORK"/bench.db-shm
    if [[ "$SKIP_PG" != 1 ]] && command -v psql >/dev/null; then
      psql "$PG_URL/$PG_ADMIN_DB" -qAtc "DROP DATABASE IF EXISTS $PG_DB" >/dev/null 2>&1
    fi
  else
    log "kept: $WORK/bench.db and PostgreSQL database $PG_DB"
  fi
  log "work files (logs, raw wrk output): $WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- tools -----------------------------------------------------------------------------------------------------
need_pkgs=()
[[ -x /usr/bin/time ]] || need_pkgs+=(time)
command -v wrk >/dev/null || need_pkgs+=(wrk)
command -v sqlite3 >/dev/null || need_pkgs+=(sqlite3)
command -v curl >/dev/null || need_pkgs+=(curl)
command -v jq >/dev/null || need_pkgs+=(jq)
[[ "$SKIP_PG" == 1 ]] || command -v psql >/dev/null || need_pkgs+=(postgresql-client)
if ((${#need_pkgs[@]})); then
  log "installing ${need_pkgs[*]}"
  if [[ $(id -u) == 0 ]]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}") >&2 \
      || { log "apt-get install ${need_pkgs[*]} failed"; exit 2; }
  else
    log "missing tools: ${need_pkgs[*]} (install them: apt-get install -y ${need_pkgs[*]})"
    exit 2
  fi
fi

# --- binary ----------------------------------------------------------------------------------------------------
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  log "cargo build --release"
  (cd "$ROOT" && cargo build --release) || { log "cargo build --release failed"; exit 2; }
fi
SRC_BIN="${MINZHENG_BIN:-$ROOT/target/release/minzheng}"
[[ -x "$SRC_BIN" ]] || { log "no binary at $SRC_BIN (build it, or set MINZHENG_BIN)"; exit 2; }
BIN="$WORK/minzheng"
cp "$SRC_BIN" "$BIN" || { log "cannot copy $SRC_BIN"; exit 2; }

# --- machine ---------------------------------------------------------------------------------------------------
recs date "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
rec machine.nproc "$(nproc)"
rec machine.memory_mib "$(awk '/MemTotal/ { printf "%d", $2 / 1024 }' /proc/meminfo)"
recs machine.cpu "$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
recs machine.kernel "$(uname -r)"
recs machine.loadavg_at_start "$(cut -d' ' -f1-3 /proc/loadavg)"
recs binary.source "$SRC_BIN"
recs binary.sha256 "$(sha256sum "$BIN" | cut -c1-16)"
recs binary.mtime "$(date -u -r "$SRC_BIN" +%Y-%m-%dT%H:%M:%SZ)"
recs binary.version "$("$BIN" --version 2>/dev/null)"
# Which source the binary is: the repository may have moved on since it was built.
recs git.head "$(git -C "$ROOT" log -1 --format='%h %cI' 2>/dev/null || echo unknown)"
rec git.uncommitted_files "$(git -C "$ROOT" status --porcelain -- . ':!bench' 2>/dev/null | wc -l)"
recs git.last_commit_before_binary "$(git -C "$ROOT" log -1 --until="@$(stat -c %Y "$SRC_BIN")" --format='%h %cI' 2>/dev/null)"
rec git.commits_after_binary "$(git -C "$ROOT" log --since="@$(stat -c %Y "$SRC_BIN")" --format=%h 2>/dev/null | wc -l)"
recs tools.wrk "$(wrk --version 2>&1 | head -1 | awk '{ print $2 }')"
rec params.households "$HOUSEHOLDS"
rec params.seed "$SEED"
rec params.wrk_threads "$WRK_THREADS"
rec params.wrk_connections "$WRK_CONNECTIONS"
recs params.wrk_duration "$WRK_DURATION"
rec targets.gen_persons_per_s_min "$T_GEN_RATE"
rec targets.gen_peak_rss_mib_max "$T_GEN_RSS"
rec targets.search_p99_ms_max "$T_P99"
rec targets.search_rps_min "$T_RPS"

# Waits (up to IDLE_WAIT seconds, default 600) until the machine is idle — no compiler running and under 25% CPU
# busy over 3 s — so that work elsewhere (a build, a test run) does not take the cores in the middle of a
# measurement; measures anyway after that, and says so.
IDLE_WAIT="${IDLE_WAIT:-600}"
compilers() { (pgrep -x rustc; pgrep -x cargo; pgrep -x cc; pgrep -x cc1; pgrep -x ld; pgrep -x rust-lld) 2>/dev/null | wc -l; }
cpu_busy() { # percent of all cores busy over 3 s
  local a b
  a=$(head -1 /proc/stat)
  sleep 3
  b=$(head -1 /proc/stat)
  printf '%s\n%s\n' "$a" "$b" | awk '{ idle = $5 + $6; tot = 0; for (i = 2; i <= NF; i++) tot += $i;
    if (NR == 1) { i0 = idle; t0 = tot } else printf "%d", (tot - t0 > 0) ? 100 * (1 - (idle - i0) / (tot - t0)) : 0 }'
}
wait_idle() { # KEY
  local waited=0 busy
  while :; do
    busy=$(cpu_busy)
    (($(compilers) == 0 && busy < 25)) && break
    ((waited >= IDLE_WAIT)) && break
    ((waited == 0)) && log "[$1] waiting for the machine to be idle (CPU ${busy}% busy, $(compilers) compiler processes; up to ${IDLE_WAIT}s)"
    sleep 7
    waited=$((waited + 10))
  done
  rec "$1.waited_for_idle_s" "$waited"
  rec "$1.cpu_busy_before_percent" "$busy"
  if (($(compilers) > 0 || busy >= 25)); then
    problem "$1 measured on a busy machine (CPU ${busy}% busy before; $(busy_note))"
  fi
}

# Other CPU users at a moment (e.g. a compiler on the same 2 cores) skew every figure: note them.
busy_note() {
  local n
  n=$(compilers)
  printf 'load %s, compiler processes %s' "$(cut -d' ' -f1-3 /proc/loadavg)" "$n"
}

# CPU accounting over a measured step: every 2 s a snapshot of every process's CPU ticks. At the end, CPU-seconds
# are split into this script's own processes (the server or demo, wrk), PostgreSQL, and everything else; "others"
# is what competed for the cores (a build, a test run).
CLK_TCK=$(getconf CLK_TCK)
SAMPLER_PID=""
snapshot() {
  local t f line
  t=$(date +%s.%N)
  for f in /proc/[0-9]*/stat; do
    read -r line <"$f" 2>/dev/null && printf '%s %s\n' "$t" "$line"
  done | awk '{ o = index($0, "("); c = 0; for (i = length($0); i > 0; i--) if (substr($0, i, 1) == ")") { c = i; break }
    comm = substr($0, o + 1, c - o - 1); gsub(/ /, "_", comm); n = split(substr($0, c + 2), r, " ")
    print $1, $2, r[2], comm, r[12] + r[13] }'
}
sampler_start() { # KEY
  ( while :; do snapshot; sleep 2; done ) >"$WORK/samples-$1.txt" 2>/dev/null &
  SAMPLER_PID=$!
}
sampler_stop() { # KEY
  [[ -n "$SAMPLER_PID" ]] || return 0
  kill "$SAMPLER_PID" 2>/dev/null
  wait "$SAMPLER_PID" 2>/dev/null
  SAMPLER_PID=""
  snapshot >>"$WORK/samples-$1.txt"
  local res
  res=$(awk -v root=$$ -v hz="$CLK_TCK" -v cores="$(nproc)" '
    { t = $1; pid = $2; parent[pid] = $3; comm[pid] = $4
      if (t0 == "") t0 = t
      if (t == t0) base[pid] = $5; else if (!(pid in base)) base[pid] = 0
      if ($5 > last[pid]) last[pid] = $5; t1 = t }
    END {
      mine[root] = 1
      do { grew = 0; for (p in parent) if (!(p in mine) && (parent[p] in mine)) { mine[p] = 1; grew = 1 } } while (grew)
      for (p in last) {
        d = (last[p] - base[p]) / hz; if (d <= 0) continue
        if (p in mine) own[comm[p]] += d
        else if (comm[p] == "postgres") pg += d
        else { other += d; oc[comm[p]] += d }
      }
      win = t1 - t0; if (win <= 0) win = 1
      ownt = ""; for (c in own) ownt = ownt sprintf("%s %.1f s, ", c, own[c])
      top = ""; for (k = 0; k < 3; k++) { best = ""; for (c in oc) if (best == "" || oc[c] > oc[best]) best = c
        if (best == "") break; top = top sprintf("%s %.1f s, ", best, oc[best]); delete oc[best] }
      printf "%.1f\t%.1f\t%.1f\t%.1f\t%s\t%s\n", win, pg, other, 100 * other / (cores * win), ownt, top }' "$WORK/samples-$1.txt")
  local win pg other share own top
  IFS=$'\t' read -r win pg other share own top <<<"$res"
  rec "$1.cpu.window_s" "$win"
  rec "$1.cpu.postgres_s" "$pg"
  rec "$1.cpu.others_s" "$other"
  rec "$1.cpu.others_share_percent" "$share"
  recs "$1.cpu.own" "${own%, }"
  recs "$1.cpu.others_top" "${top%, }"
  if awk -v s="$share" 'BEGIN { exit !(s >= 10) }'; then
    problem "$1: other processes on the machine used ${share}% of the $(nproc) cores during the measurement (${other} CPU-s of ${win} s; ${top%, }) — the figure is pessimistic"
  fi
}

# "1:23.45" or "1:02:03" -> seconds
elapsed_s() { awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s }' <<<"$1"; }
# wrk duration "12.3us" / "4.56ms" / "1.2s" / "1.00m" -> milliseconds
to_ms() {
  awk '{ v = $1; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
         f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : (u == "h") ? 3600000 : 1;
         printf "%.2f", v * f }' <<<"$1"
}

# --- 1. generation ---------------------------------------------------------------------------------------------
# generate KEY URL
generate() {
  local key=$1 url=$2 out="$WORK/gen-$1.out" err="$WORK/gen-$1.err" tm="$WORK/gen-$1.time" rc line
  wait_idle "$key.generation"
  log "[$key] minzheng demo --households $HOUSEHOLDS --seed $SEED ($(busy_note))"
  recs "$key.generation.conditions" "$(busy_note)"
  sampler_start "$key.generation"
  timeout "$GEN_TIMEOUT" /usr/bin/time -v -o "$tm" "$BIN" demo --registry-only --database "$url" --households "$HOUSEHOLDS" \
    --seed "$SEED" >"$out" 2>"$err"
  rc=$?
  sampler_stop "$key.generation"
  if ((rc != 0)); then
    local why="exit $rc"
    ((rc == 124)) && why="timed out after ${GEN_TIMEOUT}s"
    recs "$key.generation.status" "failed: $why: $(tail -n 3 "$err" | tr '\n' ' ')"
    problem "$key generation failed ($why): $(tail -n 3 "$err" | tr '\n' ' ')"
    return 1
  fi
  line=$(grep '演示城市已生成' "$out" | tail -1)
  # 演示城市已生成: N 户, M 人, 用时 S 秒 (R 人/秒)
  local hh persons secs rate wall rss
  hh=$(sed -n 's/.*已生成: \([0-9]*\) 户.*/\1/p' <<<"$line")
  persons=$(sed -n 's/.*户, \([0-9]*\) 人.*/\1/p' <<<"$line")
  secs=$(sed -n 's/.*用时 \([0-9.]*\) 秒.*/\1/p' <<<"$line")
  rate=$(sed -n 's/.*(\([0-9.]*\) 人\/秒).*/\1/p' <<<"$line")
  wall=$(elapsed_s "$(awk -F': ' '/Elapsed \(wall clock\)/ { print $NF }' "$tm")")
  rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$tm")
  if [[ -z "$persons" || -z "$secs" ]]; then
    recs "$key.generation.status" "failed: no summary line in output"
    problem "$key generation printed no summary line: $(tail -n 3 "$out" "$err" | tr '\n' ' ')"
    return 1
  fi
  recs "$key.generation.status" ok
  rec "$key.generation.households" "$hh"
  rec "$key.generation.persons" "$persons"
  rec "$key.generation.reported_seconds" "$secs"
  rec "$key.generation.reported_persons_per_s" "$rate"
  rec "$key.generation.wall_seconds" "$wall"
  rec "$key.generation.wall_persons_per_s" "$(awk -v p="$persons" -v w="$wall" 'BEGIN { printf "%.0f", p / w }')"
  rec "$key.generation.peak_rss_mib" "$rss"
  rec "$key.generation.user_cpu_s" "$(awk -F': ' '/User time/ { print $2 }' "$tm")"
  rec "$key.generation.system_cpu_s" "$(awk -F': ' '/System time/ { print $2 }' "$tm")"
  recs "$key.generation.cpu_percent" "$(awk -F': ' '/Percent of CPU/ { print $2 }' "$tm")"
  log "[$key] $line; wall ${wall}s, peak RSS ${rss} MiB"
  if grep -qiE 'warn|error|panic' "$err"; then
    problem "$key generation stderr: $(grep -iE 'warn|error|panic' "$err" | head -n 3 | tr '\n' ' ')"
  fi
}

# --- 2. search -------------------------------------------------------------------------------------------------
start_server() { # KEY URL PORT
  local key=$1 url=$2 port=$3
  SERVER_LOG="$WORK/serve-$key.log"
  "$BIN" serve --database "$url" --bind "127.0.0.1:$port" >"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 240); do
    if curl -fs -m 2 -o /dev/null "http://127.0.0.1:$port/healthz"; then return 0; fi
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.5
  done
  problem "$key: server did not start on 127.0.0.1:$port: $(tail -n 5 "$SERVER_LOG" | tr '\n' ' ')"
  stop_server
  return 1
}

token_for() { # PORT USER
  curl -s -m 30 -XPOST "http://127.0.0.1:$1/api/v1/auth/token" -H 'content-type: application/json' \
    -d "{\"username\":\"$2\",\"password\":\"$DEMO_PASSWORD\"}" | jq -r '.token // empty'
}

urlencode() {
  local LC_ALL=C s=$1 i c out=""
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case $c in
      [a-zA-Z0-9.~_-]) out+=$c ;;
      *) out+=$(printf '%%%02X' "'$c") ;;
    esac
  done
  printf '%s' "$out"
}

# Writes the query list for a scope ("" = whole city, else a town code) from the SQLite database:
# 200 distinct real names, 200 distinct last-4 suffixes, 10 full identity numbers, spread over the table.
make_queries() { # FILE TOWN
  local file=$1 town=$2 where="1 = 1" db="$WORK/bench.db" step
  [[ -n "$town" ]] && where="town_code = '$town'"
  # about 1,000 rows sampled evenly over the scope for each kind
  step=$(sqlite3 "$db" "SELECT MAX(1, COUNT(*) / 1000) FROM persons WHERE $where")
  {
    printf '# person-search queries for bench/search.lua (%s; seed %s, %s households)\n' \
      "${town:-whole city}" "$SEED" "$HOUSEHOLDS"
    sqlite3 "$db" "SELECT name FROM (SELECT name, MIN(rowid) r FROM persons WHERE $where AND rowid % $step = 0
                   GROUP BY name) ORDER BY r LIMIT 200" | while IFS= read -r v; do
      printf '/api/v1/persons?q=%s\n' "$(urlencode "$v")"
    done
    sqlite3 "$db" "SELECT id_last4 FROM (SELECT id_last4, MIN(rowid) r FROM persons WHERE $where AND rowid % $step = $step / 3
                   GROUP BY id_last4) ORDER BY r LIMIT 200" | while IFS= read -r v; do
      printf '/api/v1/persons?q=%s\n' "$v"
    done
    sqlite3 "$db" "SELECT id_number FROM persons WHERE $where AND rowid % ($step * 50) = $step / 2 ORDER BY rowid LIMIT 10" |
      while IFS= read -r v; do printf '/api/v1/persons?q=%s\n' "$v"; done
  } >"$file.tmp"
  # interleave the three kinds so any stretch of the rotation has the same mix
  grep -v '^#' "$file.tmp" | awk '{ a[NR] = $0 } END { n = NR; for (i = 1; i <= n; i++) { k = (i * 7919) % n + 1; print a[k] } }' >"$file.body"
  { head -n 1 "$file.tmp"; cat "$file.body"; } >"$file"
  rm -f "$file.tmp" "$file.body"
}

# nearest-rank percentile of numbers on stdin
pct() { sort -g | awk -v p="$1" '{ a[NR] = $1 } END { if (NR == 0) exit; i = int(NR * p / 100); if (i < NR * p / 100) i++; if (i < 1) i = 1; printf "%.2f", a[i] }'; }

# Serial timing of every query in a list (no concurrency): the slow ones, and any non-200.
serial_pass() { # KEY PORT TOKEN FILE
  local key=$1 port=$2 token=$3 file=$4 cfg="$WORK/serial-$1.curl" out="$WORK/serial-$1.txt"
  : >"$cfg"
  grep -v '^#' "$file" | while IFS= read -r p; do
    printf 'url = "http://127.0.0.1:%s%s"\noutput = "/dev/null"\n' "$port" "$p" >>"$cfg"
  done
  curl -s -m 600 -K "$cfg" -H "Authorization: Bearer $token" \
    -w '%{http_code} %{time_total} %{url_effective}\n' >"$out" 2>/dev/null
  local n bad
  n=$(wc -l <"$out")
  bad=$(awk '$1 != 200' "$out" | wc -l)
  rec "$key.serial.requests" "$n"
  rec "$key.serial.non_200" "$bad"
  rec "$key.serial.p50_ms" "$(awk '{ print $2 * 1000 }' "$out" | pct 50)"
  rec "$key.serial.p99_ms" "$(awk '{ print $2 * 1000 }' "$out" | pct 99)"
  rec "$key.serial.max_ms" "$(awk '{ print $2 * 1000 }' "$out" | sort -n | tail -1)"
  recs "$key.serial.slowest" "$(sort -k2 -gr "$out" | head -n 3 | awk '{ u = $3; sub(/.*q=/, "q=", u); printf "%s %.1fms; ", u, $2 * 1000 }')"
  ((bad > 0)) && problem "$key: $bad of $n serial search requests did not answer 200 (e.g. $(awk '$1 != 200 { print $1, $3; exit }' "$out"))"
}

# Single requests for query kinds outside the wrk mix (the person list page opens with an empty query).
probes() { # KEY PORT TOKEN QUERYFILE
  local key=$1 port=$2 token=$3 name surname prefix2 i
  name=$(grep -v '^#' "$4" | grep -m1 '%' | sed 's/.*q=//')
  surname=$(urlencode 王)
  prefix2=$(urlencode 王建)
  local -a kinds=(empty surname_wang prefix_wangjian full_name surname_wang_page50)
  local -a qs=("" "$surname" "$prefix2" "$name" "$surname&page=50")
  for i in "${!kinds[@]}"; do
    local k=${kinds[$i]} url="http://127.0.0.1:$port/api/v1/persons?q=${qs[$i]}" times=() total code body
    for _ in 1 2 3; do
      body=$(curl -s -m 60 -H "Authorization: Bearer $token" -w '\n%{http_code} %{time_total}' "$url")
      code=$(tail -n1 <<<"$body" | cut -d' ' -f1)
      times+=("$(tail -n1 <<<"$body" | awk '{ printf "%.1f", $2 * 1000 }')")
      total=$(head -n -1 <<<"$body" | jq -r '.total // empty' 2>/dev/null)
    done
    local med
    med=$(printf '%s\n' "${times[@]}" | sort -g | sed -n 2p)
    rec "$key.probes.$k.median_ms" "$med"
    rec "$key.probes.$k.total" "${total:-0}"
    rec "$key.probes.$k.http" "$code"
    [[ "$code" == 200 ]] || problem "$key probe $k (q=${qs[$i]}) answered HTTP $code"
  done
}

run_wrk() { # KEY PORT TOKEN QUERYFILE
  local key=$1 port=$2 token=$3 qfile=$4 out="$WORK/wrk-$1.txt"
  wait_idle "$key.wrk"
  MZ_QUERIES="$qfile" wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$WRK_WARMUP" --timeout "$WRK_TIMEOUT" \
    -H "Authorization: Bearer $token" -s "$BENCH/search.lua" "http://127.0.0.1:$port" >"$WORK/wrk-$key-warmup.txt" 2>&1
  recs "$key.wrk.conditions" "$(busy_note)"
  log "[$key] wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION ($(busy_note))"
  local ticks0 ticks1 rc
  ticks0=$(awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat")
  sampler_start "$key.wrk"
  MZ_QUERIES="$qfile" timeout 600 wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$WRK_DURATION" --timeout "$WRK_TIMEOUT" \
    --latency -H "Authorization: Bearer $token" -s "$BENCH/search.lua" "http://127.0.0.1:$port" >"$out" 2>&1
  rc=$?
  sampler_stop "$key.wrk"
  ticks1=$(awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat")
  if ((rc != 0)) || ! grep -q 'Requests/sec' "$out"; then
    recs "$key.wrk.status" "failed: exit $rc: $(tail -n 3 "$out" | tr '\n' ' ')"
    problem "$key wrk failed (exit $rc): $(tail -n 3 "$out" | tr '\n' ' ')"
    return 1
  fi
  recs "$key.wrk.status" ok
  rec "$key.wrk.requests_per_s" "$(awk '/Requests\/sec/ { print $2 }' "$out")"
  rec "$key.wrk.requests" "$(awk '/requests in/ { print $1 }' "$out")"
  rec "$key.wrk.p50_ms" "$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")"
  rec "$key.wrk.p75_ms" "$(to_ms "$(awk '$1 == "75%" { print $2 }' "$out")")"
  rec "$key.wrk.p90_ms" "$(to_ms "$(awk '$1 == "90%" { print $2 }' "$out")")"
  rec "$key.wrk.p99_ms" "$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")"
  rec "$key.wrk.mean_ms" "$(to_ms "$(awk '$1 == "Latency" && NF >= 4 { print $2; exit }' "$out")")"
  rec "$key.wrk.max_ms" "$(to_ms "$(awk '$1 == "Latency" && NF >= 4 { print $4; exit }' "$out")")"
  local server_cpu dur
  server_cpu=$(awk -v a="$ticks0" -v b="$ticks1" -v hz="$CLK_TCK" 'BEGIN { printf "%.1f", (b - a) / hz }')
  dur=$(awk '/requests in/ { v = $4; sub(/s,?$/, "", v); print v }' "$out")
  rec "$key.wrk.server_cpu_s" "$server_cpu"
  rec "$key.wrk.server_cores_used" "$(awk -v c="$server_cpu" -v d="$dur" 'BEGIN { printf "%.2f", c / d }')"
  rec "$key.wrk.server_cpu_ms_per_request" "$(awk -v c="$server_cpu" -v n="$(awk '/requests in/ { print $1 }' "$out")" 'BEGIN { printf "%.2f", 1000 * c / n }')"
  local non2xx sock
  non2xx=$(awk -F': ' '/Non-2xx/ { print $2 }' "$out")
  sock=$(sed -n 's/.*Socket errors: //p' "$out")
  rec "$key.wrk.non_2xx" "${non2xx:-0}"
  recs "$key.wrk.socket_errors" "${sock:-none}"
  [[ -n "$non2xx" ]] && problem "$key wrk: $non2xx non-2xx responses"
  [[ -n "$sock" ]] && problem "$key wrk socket errors: $sock"
  log "[$key] $(awk '/Requests\/sec/' "$out"), p50 $(get "$key.wrk.p50_ms") ms, p99 $(get "$key.wrk.p99_ms") ms"
}

search_bench() { # KEY URL PORT USER QUERYFILE
  local key=$1 url=$2 port=$3 user=$4 qfile=$5 token
  start_server "$key" "$url" "$port" || { recs "$key.wrk.status" "failed: server did not start"; return 1; }
  token=$(token_for "$port" "$user")
  if [[ -z "$token" ]]; then
    recs "$key.wrk.status" "failed: no token for $user"
    problem "$key: POST /api/v1/auth/token for $user gave no token: $(tail -n 3 "$SERVER_LOG" | tr '\n' ' ')"
    stop_server
    return 1
  fi
  recs "$key.user" "$user"
  log "[$key] serial pass over $(grep -vc '^#' "$qfile") queries"
  serial_pass "$key" "$port" "$token" "$qfile"
  probes "$key" "$port" "$token" "$qfile"
  run_wrk "$key" "$port" "$token" "$qfile"
  rec "$key.server_peak_rss_mib" "$(awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$SERVER_PID/status" 2>/dev/null)"
  # SQLite reads its file through mmap: those pages are the OS page cache, counted in RSS but not the server's own
  rec "$key.server_rss_anon_mib" "$(awk '/RssAnon/ { printf "%.1f", $2 / 1024 }' "/proc/$SERVER_PID/status" 2>/dev/null)"
  rec "$key.server_rss_file_mib" "$(awk '/RssFile/ { printf "%.1f", $2 / 1024 }' "/proc/$SERVER_PID/status" 2>/dev/null)"
  stop_server
  local warn
  warn=$(grep -ciE 'warn|error|panic' "$SERVER_LOG")
  rec "$key.server_log_warnings" "$warn"
  ((warn > 0)) && problem "$key server log: $warn warning/error lines, e.g. $(grep -iE 'warn|error|panic' "$SERVER_LOG" | head -n 2 | cut -c1-300 | tr '\n' ' ')"
  cp "$SERVER_LOG" "$WORK/wrk-$key.txt" "$RESULTS/" 2>/dev/null
  return 0
}

# Query plans and single-query times of the search SQL (as the application writes it), per kind and scope.
PLAN_CASES=(
  "city, name prefix 王建|name >= '王建' AND name < '王廻' AND area_code LIKE '320281%'"
  "city, last-4 0042|id_last4 = '0042' AND area_code LIKE '320281%'"
  "city, empty query|area_code LIKE '320281%'"
  "澄江街道, name prefix 王建|name >= '王建' AND name < '王廻' AND town_code = '320281001'"
  "澄江街道, last-4 0042|id_last4 = '0042' AND town_code = '320281001'"
  "澄江街道, empty query|town_code = '320281001'"
)
plans() { # sqlite|postgres URL
  local b=$1 url=$2 out="$RESULTS/plans-$1.txt" c label w
  {
    echo "# $b: plan and time of the two statements behind GET /api/v1/persons (COUNT, then the first page)"
    [[ $b == sqlite ]] && echo "# sqlite3 CLI $(sqlite3 --version | cut -d" " -f1) (the server uses the SQLite bundled with sqlx)"
    for c in "${PLAN_CASES[@]}"; do
      label=${c%%|*}
      w=${c#*|}
      echo
      echo "## $label"
      for q in "SELECT COUNT(*) FROM persons WHERE $w" "SELECT id, name FROM persons WHERE $w ORDER BY name, id LIMIT 20 OFFSET 0"; do
        echo "$q"
        if [[ $b == sqlite ]]; then
          timeout 120 sqlite3 "$WORK/bench.db" "EXPLAIN QUERY PLAN $q" 2>&1 | sed 's/^/    /'
          printf '.timer on\n%s;\n' "$q" | timeout 120 sqlite3 "$WORK/bench.db" 2>&1 | grep 'Run Time' | sed 's/^/    /'
        else
          timeout 120 psql "$url" -qAt -c "EXPLAIN (ANALYZE, BUFFERS) $q" 2>&1 | sed 's/^/    /'
        fi
      done
    done
  } >"$out"
}

# --- run -------------------------------------------------------------------------------------------------------
SQLITE_URL="sqlite://$WORK/bench.db"
PG_BENCH_URL="$PG_URL/$PG_DB"

if generate sqlite "$SQLITE_URL"; then
  rec sqlite.db_size_mib "$(du -cm "$WORK"/bench.db* | awk 'END { print $1 }')"
  plans sqlite "$SQLITE_URL"
  # how selective a last-4 search is on this data (real numbers spread over 10,000 endings)
  IFS='|' read -r dl4 al4 ml4 < <(sqlite3 "$WORK/bench.db" \
    "SELECT COUNT(*), ROUND(AVG(c), 1), MAX(c) FROM (SELECT COUNT(*) c FROM persons GROUP BY id_last4)")
  rec data.distinct_last4 "$dl4"
  rec data.persons_per_last4_avg "$al4"
  rec data.persons_per_last4_max "$ml4"
  make_queries "$WORK/q-city.txt" ""
  town=$(sqlite3 "$WORK/bench.db" "SELECT area_code FROM users WHERE username = 'chengjiang'")
  make_queries "$WORK/q-chengjiang.txt" "$town"
  cp "$WORK/q-city.txt" "$RESULTS/queries-city.txt"
  cp "$WORK/q-chengjiang.txt" "$RESULTS/queries-chengjiang.txt"
  if [[ -n "${DB_KEY_FILE:-}" ]]; then
    t0=$(date +%s.%N)
    env -u MINZHENG_DB_KEY -u MINZHENG_DB_KEY_FILE "$BIN" db rekey --database "$SQLITE_URL" --new-key-file "$DB_KEY_FILE" >&2 \
      || problem "sqlite: minzheng db rekey failed"
    rec sqlite.encrypt_seconds "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')"
    recs sqlite.encryption "SQLCipher, key from DB_KEY_FILE"
    export MINZHENG_DB_KEY_FILE="$DB_KEY_FILE"
  fi
  search_bench sqlite_city "$SQLITE_URL" "$PORT" city "$WORK/q-city.txt"
  search_bench sqlite_chengjiang "$SQLITE_URL" "$((PORT + 1))" chengjiang "$WORK/q-chengjiang.txt"
else
  recs sqlite_city.wrk.status "skipped: generation failed"
  recs sqlite_chengjiang.wrk.status "skipped: generation failed"
fi

if [[ "$SKIP_PG" != 1 ]]; then
  if ! pg_out=$(psql "$PG_URL/$PG_ADMIN_DB" -v ON_ERROR_STOP=1 -qAt -c "DROP DATABASE IF EXISTS $PG_DB" \
    -c "CREATE DATABASE $PG_DB" 2>&1); then
    recs postgres.generation.status "failed: cannot create database $PG_DB: $pg_out"
    problem "postgres: cannot (re)create database $PG_DB at $PG_URL: $pg_out"
  elif generate postgres "$PG_BENCH_URL"; then
    rec postgres.db_size_mib "$(psql "$PG_BENCH_URL" -qAtc "SELECT pg_database_size(current_database()) / 1048576")"
    recs postgres.server_version "$(psql "$PG_BENCH_URL" -qAtc 'SHOW server_version')"
    recs postgres.shared_buffers "$(psql "$PG_BENCH_URL" -qAtc 'SHOW shared_buffers')"
    recs postgres.autoanalyzed_before_search "$(psql "$PG_BENCH_URL" -qAtc \
      "SELECT COALESCE(MAX(last_autoanalyze)::text, 'no') FROM pg_stat_user_tables WHERE relname = 'persons'")"
    # Steady state, as autovacuum would leave the table after a bulk load (statistics, visibility map); done
    # here so that autovacuum does not start in the middle of the measurement.
    t0=$(date +%s.%N)
    psql "$PG_BENCH_URL" -qAtc 'VACUUM (ANALYZE) persons' -c 'VACUUM (ANALYZE) households' >/dev/null 2>&1 \
      || problem "postgres: VACUUM ANALYZE failed"
    rec postgres.vacuum_analyze_seconds "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')"
    plans postgres "$PG_BENCH_URL"
    [[ -s "$WORK/q-city.txt" ]] || problem "postgres search: no query list (it is taken from the SQLite database)"
    pg_persons=$(psql "$PG_BENCH_URL" -qAtc 'SELECT COUNT(*) FROM persons')
    [[ "$pg_persons" == "$(get sqlite.generation.persons)" ]] ||
      problem "postgres has $pg_persons persons, SQLite $(get sqlite.generation.persons): the query lists may not match"
    search_bench postgres_city "$PG_BENCH_URL" "$((PORT + 2))" city "$WORK/q-city.txt"
  else
    recs postgres_city.wrk.status "skipped: generation failed"
  fi
fi

# --- 3. report -------------------------------------------------------------------------------------------------
# verdict VALUE TARGET ge|le UNIT -> "met" / "MISSED by …"
verdict() {
  awk -v v="$1" -v t="$2" -v d="$3" -v u="$4" 'BEGIN {
    if (v == "") { print "not measured"; exit }
    if (d == "ge") { if (v + 0 >= t + 0) print "met"; else printf "MISSED by %s %s (%.1f%% below)\n", t - v, u, (t - v) * 100 / t }
    else { if (v + 0 <= t + 0) print "met"; else printf "MISSED by %s %s (%.1fx the target)\n", v - t, u, v / t } }'
}
for b in sqlite postgres; do
  [[ "$(get "$b.generation.status")" == ok ]] || continue
  recs "verdicts.$b.gen_rate" "$(verdict "$(get "$b.generation.wall_persons_per_s")" "$T_GEN_RATE" ge persons/s)"
  recs "verdicts.$b.gen_rss" "$(verdict "$(get "$b.generation.peak_rss_mib")" "$T_GEN_RSS" le MiB)"
done
for k in sqlite_city sqlite_chengjiang postgres_city; do
  [[ "$(get "$k.wrk.status")" == ok ]] || continue
  recs "verdicts.$k.p99" "$(verdict "$(get "$k.wrk.p99_ms")" "$T_P99" le ms)"
  recs "verdicts.$k.rps" "$(verdict "$(get "$k.wrk.requests_per_s")" "$T_RPS" ge requests/s)"
done

jq -Rn '
  [inputs | split("\t") | {k: .[0], t: .[1], v: .[2]}]
  | reduce .[] as $r ({}; setpath($r.k | split("."); if $r.t == "n" then ($r.v | tonumber? // $r.v) else $r.v end))
' <"$TSV" >"$WORK/foundation.json.tmp" &&
  jq --slurpfile p <(jq -R . <"$PROBLEMS" | jq -s 'map(select(. != ""))') '. + {problems: $p[0]}' \
    "$WORK/foundation.json.tmp" >"$RESULTS/foundation.json"

v() { local x; x=$(get "$1"); printf '%s' "${x:--}"; }
{
  echo "# Foundation benchmark"
  echo
  echo "Generated by \`bench/foundation.sh\` on $(v date). Raw figures: \`foundation.json\`; queries: \`queries-city.txt\`,"
  echo "\`queries-chengjiang.txt\`; raw wrk output and server logs: \`wrk-*.txt\`, \`serve-*.log\`; query plans: \`plans-*.txt\`."
  echo
  echo "- Machine: $(v machine.nproc) cores ($(v machine.cpu)), $(v machine.memory_mib) MiB memory, Linux $(v machine.kernel); load at start $(v machine.loadavg_at_start)"
  echo "- Binary: \`$(v binary.source)\` ($(v binary.version), sha256 $(v binary.sha256)…, built $(v binary.mtime)); repository HEAD $(v git.head) with $(v git.uncommitted_files) uncommitted files outside bench/; last commit before the binary was built: $(v git.last_commit_before_binary), $(v git.commits_after_binary) commits since (a binary older than HEAD does not measure HEAD)"
  echo "- Demo: \`minzheng demo --registry-only --households $(v params.households) --seed $(v params.seed)\`; wrk $(v tools.wrk): \`-t$(v params.wrk_threads) -c$(v params.wrk_connections) -d$(v params.wrk_duration) --latency\` after a $WRK_WARMUP warm-up, on 127.0.0.1, client and server on the same $(v machine.nproc) cores"
  echo "- PostgreSQL $(v postgres.server_version) (shared_buffers $(v postgres.shared_buffers)), local; \`VACUUM (ANALYZE)\` after generation ($(v postgres.vacuum_analyze_seconds) s; autoanalyzed before: $(v postgres.autoanalyzed_before_search))"
  echo
  echo "- Data: $(v sqlite.generation.persons) persons; $(v data.distinct_last4) distinct identity-number last-4 endings, $(v data.persons_per_last4_avg) persons per ending on average (max $(v data.persons_per_last4_max))"
  echo
  echo "## Generation (target ≥ $T_GEN_RATE persons/s, peak RSS ≤ $T_GEN_RSS MiB)"
  echo
  echo "| backend | persons | households | wall s | persons/s (wall) | persons/s (reported) | peak RSS MiB | demo CPU | PostgreSQL CPU s | others' CPU share | DB size MiB | rate | memory |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"
  for b in sqlite postgres; do
    if [[ "$(get "$b.generation.status")" == ok ]]; then
      echo "| $b | $(v $b.generation.persons) | $(v $b.generation.households) | $(v $b.generation.wall_seconds) | $(v $b.generation.wall_persons_per_s) | $(v $b.generation.reported_persons_per_s) | $(v $b.generation.peak_rss_mib) | $(v $b.generation.cpu_percent) | $(v $b.generation.cpu.postgres_s) | $(v $b.generation.cpu.others_share_percent)% | $(v $b.db_size_mib) | $(v verdicts.$b.gen_rate) | $(v verdicts.$b.gen_rss) |"
    else
      echo "| $b | $(v $b.generation.status) | | | | | | | | | | | |"
    fi
  done
  echo
  echo "\"wall\" is the whole \`minzheng demo\` command (open, migrate, generate, demo users); \"reported\" is the"
  echo "command's own 用时 figure. The target is judged on wall. \"demo CPU\" is the demo process's CPU use as /usr/bin/time"
  echo "reports it (100% = one core); \"others' CPU share\" is the share of all $(v machine.nproc) cores used by processes other than"
  echo "this benchmark and PostgreSQL during the run (top: sqlite — $(v sqlite.generation.cpu.others_top); postgres — $(v postgres.generation.cpu.others_top))."
  echo
  echo "## Person search under wrk (target p99 ≤ $T_P99 ms, ≥ $T_RPS requests/s)"
  echo
  echo "| run | user | requests/s | p50 ms | p75 ms | p90 ms | p99 ms | max ms | requests | non-2xx | socket errors | server cores used | server CPU ms/request | PostgreSQL CPU s | others' CPU share | server peak RSS MiB (at the end: own + mapped file) | p99 | throughput |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |"
  for k in sqlite_city sqlite_chengjiang postgres_city; do
    if [[ "$(get "$k.wrk.status")" == ok ]]; then
      echo "| $k | $(v $k.user) | $(v $k.wrk.requests_per_s) | $(v $k.wrk.p50_ms) | $(v $k.wrk.p75_ms) | $(v $k.wrk.p90_ms) | $(v $k.wrk.p99_ms) | $(v $k.wrk.max_ms) | $(v $k.wrk.requests) | $(v $k.wrk.non_2xx) | $(v $k.wrk.socket_errors) | $(v $k.wrk.server_cores_used) | $(v $k.wrk.server_cpu_ms_per_request) | $(v $k.wrk.cpu.postgres_s) | $(v $k.wrk.cpu.others_share_percent)% | $(v $k.server_peak_rss_mib) ($(v $k.server_rss_anon_mib) + $(v $k.server_rss_file_mib)) | $(v verdicts.$k.p99) | $(v verdicts.$k.rps) |"
    elif [[ -n "$(get "$k.wrk.status")" ]]; then
      echo "| $k | $(v $k.wrk.status) | | | | | | | | | | | | | | | | |"
    fi
  done
  echo
  echo "Query mix: 200 real names, 200 identity-number last-4 suffixes, 10 full identity numbers from the generated"
  echo "data (city-wide for \`city\`, from 澄江街道 for \`chengjiang\`), interleaved; each wrk thread rotates through them."
  echo "wrk runs on the same cores as the server (and PostgreSQL). Other processes during the runs: $(for k in sqlite_city sqlite_chengjiang postgres_city; do printf '%s — %s; ' "$k" "$(v $k.wrk.cpu.others_top)"; done)"
  echo
  echo "### Same queries one at a time (no concurrency)"
  echo
  echo "| run | requests | non-200 | p50 ms | p99 ms | max ms | slowest |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | --- |"
  for k in sqlite_city sqlite_chengjiang postgres_city; do
    [[ -n "$(get "$k.serial.requests")" ]] || continue
    echo "| $k | $(v $k.serial.requests) | $(v $k.serial.non_200) | $(v $k.serial.p50_ms) | $(v $k.serial.p99_ms) | $(v $k.serial.max_ms) | $(v $k.serial.slowest) |"
  done
  echo
  echo "### Queries outside the mix (median of 3 single requests, ms; matches in parentheses)"
  echo
  echo "| run | empty q (list page) | q=王 | q=王建 | one full name | q=王 page 50 |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: |"
  for k in sqlite_city sqlite_chengjiang postgres_city; do
    [[ -n "$(get "$k.probes.empty.median_ms")" ]] || continue
    printf '| %s |' "$k"
    for p in empty surname_wang prefix_wangjian full_name surname_wang_page50; do
      printf ' %s (%s) |' "$(v $k.probes.$p.median_ms)" "$(v $k.probes.$p.total)"
    done
    echo
  done
  echo
  echo "## Problems seen by the script"
  echo
  if [[ -s "$PROBLEMS" ]] && grep -q . "$PROBLEMS"; then grep . "$PROBLEMS" | sed 's/^/- /'; else echo "- none"; fi
} >"$RESULTS/foundation.md"

log "wrote $RESULTS/foundation.md and $RESULTS/foundation.json"
