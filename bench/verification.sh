#!/usr/bin/env bash
# Verification benchmark (issue 4), one run, figures to bench/results/verification.md:
#  - a demo city of about 2,000,000 persons with its assisted households (SQLite, the default backend);
#  - synthetic departmental files of the same city (≥ 5,000,000 rows), loaded with `minzheng load`: rows/s, peak RSS;
#  - `minzheng verify --all`: full dynamic verification time (错保), 人情保 and 漏保 scan times, peak RSS;
#  - the same joins (recipients × every source) on the same files by PostgreSQL SQL and by DuckDB, with the ratios.
# HOUSEHOLDS (default 740000 ≈ 2M persons) and WORKERS (percent of working-age residents with monthly
# insurance rows, default 25) scale it. SKIP_BUILD=1 reuses target/release; WORK=DIR keeps the files; REUSE=1 with
# the same WORK starts from the city generated last time. DB_KEY_FILE=FILE measures an SQLCipher-encrypted database:
# the city is generated plain (the sqlite3 CLI counts it), encrypted with `minzheng db rekey`, then loaded and
# verified with that key; the figures go to verification-encrypted.md.
set -euo pipefail
cd "$(dirname "$0")/.."
# OUT=FILE writes the figures elsewhere; SKIP_COMPARE=1 leaves out the PostgreSQL and DuckDB comparisons.
OUT=${OUT:-bench/results/verification${DB_KEY_FILE:+-encrypted}.md}
mkdir -p bench/results
if [ "${SKIP_BUILD:-}" != 1 ]; then cargo build --release --bin minzheng; fi
BIN=${MINZHENG_BIN:-$PWD/target/release/minzheng}
HOUSEHOLDS=${HOUSEHOLDS:-740000}
WORKERS=${WORKERS:-25}
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$WORK"
DB="sqlite://$WORK/v.db"
export MINZHENG_ADMIN_PASSWORD=Bench-pass-2020
if [ "${SKIP_COMPARE:-}" != 1 ]; then
  python3 -c 'import duckdb' 2>/dev/null || pip install -q duckdb
  # DuckDB hands its matching rows over as Arrow tables, which costs it no Python object per value
  python3 -c 'import pyarrow' 2>/dev/null || pip install -q pyarrow
fi
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l | xargs printf '%.2f'; }
rss() { awk '/Maximum resident set size/ {printf "%.0f", $6/1024}' "$1"; }

# REUSE=1 starts again from the city a previous run kept ($WORK/city.db), skipping its generation
if [ "${REUSE:-}" = 1 ] && [ -f "$WORK/city.db" ]; then
  echo "== reusing $WORK/city.db =="
  rm -rf "$WORK/v.db" "$WORK/v.db-wal" "$WORK/v.db-shm" "$WORK/src"; cp "$WORK/city.db" "$WORK/v.db"; GEN_S="(reused)"
else
  echo "== demo city ($HOUSEHOLDS households) =="
  rm -rf "$WORK/v.db" "$WORK/v.db-wal" "$WORK/v.db-shm" "$WORK/src"
  T0=$(now); "$BIN" demo --no-sources --database "$DB" --households "$HOUSEHOLDS" --seed 2020 | tail -1; T1=$(now)
  GEN_S=$(secs "$T0" "$T1")
  sqlite3 "$WORK/v.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null; cp "$WORK/v.db" "$WORK/city.db"
fi
PERSONS=$(sqlite3 "$WORK/v.db" "SELECT COUNT(*) FROM persons")
CASES=$(sqlite3 "$WORK/v.db" "SELECT COUNT(*) FROM cases WHERE status = 'active'")
# the recipients whose rows the verification joins: members of active cases (the loads and the run change no case)
sqlite3 -csv "$WORK/v.db" "SELECT p.id_number FROM case_members m JOIN cases c ON c.id = m.case_id AND c.status = 'active' JOIN persons p ON p.id = m.person_id" >"$WORK/recipients.csv"
ENCRYPTION="none"
if [ -n "${DB_KEY_FILE:-}" ]; then
  T0=$(now); env -u MINZHENG_DB_KEY -u MINZHENG_DB_KEY_FILE "$BIN" db rekey --database "$DB" --new-key-file "$DB_KEY_FILE"; T1=$(now)
  ENCRYPTION="SQLCipher (whole file; encrypting the city took $(secs "$T0" "$T1") s)"
  export MINZHENG_DB_KEY_FILE="$DB_KEY_FILE"
fi

echo "== departmental files =="
ON=$(date +%F)
T0=$(now); "$BIN" demo-sources --database "$DB" --on "$ON" --workers-percent "$WORKERS" --per-kind 20 "$WORK/src"; T1=$(now)
SRC_S=$(secs "$T0" "$T1")
# the copied city and the generated files go to disk before any load is timed (their write-back slowed the first)
sync
ROWS=0; LOAD_S=0; LOAD_RSS=0; LOAD_LINES=""
for f in "$WORK"/src/*.csv; do
  s=$(basename "$f" .csv); [ "$s" = ground_truth ] && continue
  n=$(($(wc -l <"$f") - 1))
  T0=$(now); /usr/bin/time -v "$BIN" load --database "$DB" "$s" "$f" --as-of "$ON" >/dev/null 2>"$WORK/load-$s.time"; T1=$(now)
  t=$(secs "$T0" "$T1"); r=$(rss "$WORK/load-$s.time")
  ROWS=$((ROWS + n)); LOAD_S=$(echo "$LOAD_S + $t" | bc -l); [ "$r" -gt "$LOAD_RSS" ] && LOAD_RSS=$r
  LOAD_LINES="$LOAD_LINES| $s | $n | $t | $(echo "$n / $t" | bc -l | xargs printf '%.0f') | $r |
"
done
LOAD_RATE=$(echo "$ROWS / $LOAD_S" | bc -l | xargs printf '%.0f')

echo "== verify --all =="
T0=$(now); /usr/bin/time -v "$BIN" verify --database "$DB" --all --on "$ON" >"$WORK/verify.out" 2>"$WORK/verify.time"; T1=$(now)
cat "$WORK/verify.out"
VERIFY_S=$(secs "$T0" "$T1"); VERIFY_RSS=$(rss "$WORK/verify.time")
CASES_MS=$(sed -n 's/.*错保 \([0-9]*\) 毫秒.*/\1/p' "$WORK/verify.out")
REL_MS=$(sed -n 's/.*人情保 \([0-9]*\) 毫秒.*/\1/p' "$WORK/verify.out")
HH_MS=$(sed -n 's/.*读取家庭 \([0-9]*\) 毫秒.*/\1/p' "$WORK/verify.out")
GATHER_MS=$(sed -n 's/.*查询部门数据 \([0-9]*\) 毫秒.*/\1/p' "$WORK/verify.out")
MISSED_MS=$(sed -n 's/.*漏保 \([0-9]*\) 毫秒.*/\1/p' "$WORK/verify.out")
FINDINGS=$(sed -n 's/.*疑点 \([0-9]*\) 条.*/\1/p' "$WORK/verify.out")
PLANTED=$(($(wc -l <"$WORK/src/ground_truth.csv") - 1))

RECIPIENTS=$(wc -l <"$WORK/recipients.csv")

if [ "${SKIP_COMPARE:-}" != 1 ]; then
echo "== PostgreSQL SQL =="
PGDB=mz_bench_verification
psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS $PGDB" -c "CREATE DATABASE $PGDB"
PSQL="psql -q -h 127.0.0.1 -U postgres -d $PGDB -v ON_ERROR_STOP=1"
SOURCES="deaths vehicles real_estate business social_insurance housing_fund public_payroll deposits disability serious_illness custody hukou_moves"
T0=$(now)
$PSQL -c "CREATE TABLE recipients (id_number text)" -c "\\copy recipients FROM '$WORK/recipients.csv' CSV"
for s in $SOURCES; do
  cols=$(head -1 "$WORK/src/$s.csv" | sed 's/\r//; s/,/ text, "/g; s/^/"/; s/$/ text/; s/ text/" text/g')
  $PSQL -c "CREATE TABLE src_$s ($cols)" -c "\\copy src_$s FROM '$WORK/src/$s.csv' CSV HEADER" -c "CREATE INDEX ON src_$s (id_number)"
done
$PSQL -c "ANALYZE"
T1=$(now); PG_LOAD_S=$(secs "$T0" "$T1")
JOIN_SQL=$(for s in $SOURCES; do echo "SELECT '$s' AS source, COUNT(*) AS n FROM recipients r JOIN src_$s s ON s.id_number = r.id_number"; done | paste -sd'|' | sed 's/|/ UNION ALL /g')
T0=$(now); $PSQL -At -c "$JOIN_SQL" >"$WORK/pg.out"; T1=$(now)
PG_JOIN_S=$(secs "$T0" "$T1")

echo "== DuckDB =="
cat >"$WORK/duck.py" <<PY
import duckdb, os, time, sys
src = "$SOURCES".split()
def load(con):
    con.execute("CREATE TABLE recipients AS SELECT * FROM read_csv('$WORK/recipients.csv', header=false, columns={'id_number': 'VARCHAR'})")
    for s in src:
        con.execute(f"CREATE TABLE src_{s} AS SELECT * FROM read_csv('$WORK/src/{s}.csv', header=true, all_varchar=true)")
def count(con):
    q = " UNION ALL ".join(f"SELECT '{s}' AS source, COUNT(*) AS n FROM recipients r JOIN src_{s} s ON s.id_number = r.id_number" for s in src)
    return con.execute(q).fetchall()
def rows(con):
    return sum(con.sql(f"SELECT s.* FROM recipients r JOIN src_{s} s ON s.id_number = r.id_number").to_arrow_table().num_rows for s in src)
if sys.argv[1] == "memory":
    # in memory and warm: the files read, the joins counted, then the matching rows fetched
    con = duckdb.connect()
    t0 = time.time(); load(con); t1 = time.time()
    count(con); t2 = time.time()
    n = rows(con); t3 = time.time()
    print(f"{t1 - t0:.2f} {t2 - t1:.3f} {t3 - t2:.3f} {n}")
elif sys.argv[1] == "file":
    # its own database file, as minzheng keeps its own
    if os.path.exists("$WORK/duck.db"): os.remove("$WORK/duck.db")
    con = duckdb.connect("$WORK/duck.db")
    t0 = time.time(); load(con); con.execute("CHECKPOINT"); con.close(); t1 = time.time()
    print(f"{t1 - t0:.2f}")
elif sys.argv[1] == "csv":
    # straight on the same files: each join reads its file (no load step), fetching the matching rows
    con = duckdb.connect()
    t0 = time.time()
    n = sum(con.sql(f"SELECT s.* FROM read_csv('$WORK/recipients.csv', header=false, columns={{'id_number': 'VARCHAR'}}) r JOIN read_csv('$WORK/src/{s}.csv', header=true, all_varchar=true) s ON s.id_number = r.id_number").to_arrow_table().num_rows for s in src)
    print(f"{time.time() - t0:.2f} {n}")
else:
    # a new process opens that file and fetches the matching rows, as minzheng verify does
    t0 = time.time(); con = duckdb.connect("$WORK/duck.db", read_only=True); n = rows(con); t1 = time.time()
    print(f"{t1 - t0:.3f} {n}")
PY
read -r DUCK_LOAD_S DUCK_JOIN_S DUCK_ROWS_S DUCK_ROWS < <(python3 "$WORK/duck.py" memory)
read -r DUCK_FILE_LOAD_S < <(python3 "$WORK/duck.py" file)
read -r DUCK_FILE_ROWS_S _ < <(python3 "$WORK/duck.py" open)
read -r DUCK_CSV_S _ < <(python3 "$WORK/duck.py" csv)
rm -f "$WORK/duck.db" "$WORK/duck.db.wal"
psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS $PGDB"

DUCK_V=$(python3 -c 'import duckdb; print(duckdb.__version__)')
else
  PG_LOAD_S=—; PG_JOIN_S=—; DUCK_V=—; DUCK_CSV_S=—; DUCK_FILE_LOAD_S=—; DUCK_FILE_ROWS_S=—
  DUCK_LOAD_S=—; DUCK_ROWS_S=—; DUCK_ROWS=—; DUCK_JOIN_S=—
fi
ratio() { if [ "$2" = — ]; then echo —; else echo "$1 / $2" | bc -l | xargs printf '%.2f'; fi; }
VERIFY_CORE_S=$(echo "$CASES_MS / 1000" | bc -l | xargs printf '%.3f')
GATHER_S=$(echo "$GATHER_MS / 1000" | bc -l | xargs printf '%.3f')
DYN_S=$(echo "($CASES_MS + $REL_MS) / 1000" | bc -l | xargs printf '%.3f')
cat >"$OUT" <<MD
# Verification benchmark — $(date -u +%F)

Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB. One run of \`bench/verification.sh\` (HOUSEHOLDS=$HOUSEHOLDS, WORKERS=$WORKERS %).
The demo city and its files are synthetic and deterministic; SQLite (the default backend), release build.
Database encryption: $ENCRYPTION. Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other builds and tests share the 2 cores).

| | figure | target |
| --- | --- | --- |
| persons in the registry | $PERSONS | 2,000,000 |
| active cases | $CASES ($RECIPIENTS recipients) | 20,000 |
| source rows loaded (12 files) | $ROWS | ≥ 5,000,000 |
| CSV load rate, \`minzheng load\` | **$LOAD_RATE rows/s** ($(printf '%.1f' "$LOAD_S") s in all) | ≥ 500,000 rows/s |
| load peak RSS (largest file) | $LOAD_RSS MiB | ≤ 1 GiB |
| full dynamic verification: every active case × every source (错保) + 人情保 scans | **$DYN_S s** ($VERIFY_CORE_S s + $(echo "$REL_MS / 1000" | bc -l | xargs printf '%.2f') s) | ≤ 2 s |
| of which: reading and parsing the cases' frozen households / gathering their source rows | $HH_MS ms / $GATHER_MS ms | |
| 漏保 scan | $MISSED_MS ms | |
| \`verify --all\` wall time incl. writing $FINDINGS findings and warnings | $VERIFY_S s | |
| verify peak RSS | $VERIFY_RSS MiB | ≤ 1 GiB |
| planted anomalies (ground truth) / findings | $PLANTED / $FINDINGS | equal |

The same joins on the same files (recipients × each of the 12 sources), in four ways. Ours read every matching
row (asking each source only about the recipients its loads' filters may hold, the reading of those filters
included) from the database \`minzheng load\` wrote, in a new process; our full dynamic verification also reads
and parses each case's frozen household, applies every rule and runs the 人情保 scans (漏保, timed above, is not
in it). DuckDB hands the matching rows over as Arrow tables. A ratio under 1 means ours took less time.

| engine | load the files | the joins | our full dynamic verification (错保 + 人情保) to it | our joins to it |
| --- | --- | --- | --- | --- |
| minzheng (SQLite) | $(printf '%.1f' "$LOAD_S") s | $GATHER_S s (every source's rows for the recipients) | — | 1 |
| PostgreSQL SQL (\\copy, index on id_number; count) | $PG_LOAD_S s | $PG_JOIN_S s | $(ratio "$DYN_S" "$PG_JOIN_S") | $(ratio "$GATHER_S" "$PG_JOIN_S") |
| DuckDB $DUCK_V straight on the CSV files (read_csv in each join), fetching the matching rows | — | $DUCK_CSV_S s | $(ratio "$DYN_S" "$DUCK_CSV_S") | $(ratio "$GATHER_S" "$DUCK_CSV_S") |
| DuckDB $DUCK_V, its own database file opened by a new process, fetching the matching rows (as \`minzheng verify\` does) | $DUCK_FILE_LOAD_S s | $DUCK_FILE_ROWS_S s | $(ratio "$DYN_S" "$DUCK_FILE_ROWS_S") | $(ratio "$GATHER_S" "$DUCK_FILE_ROWS_S") |
| DuckDB $DUCK_V in memory, warm (read_csv into tables, then the joins), fetching the $DUCK_ROWS matching rows | $DUCK_LOAD_S s | $DUCK_ROWS_S s | $(ratio "$DYN_S" "$DUCK_ROWS_S") | $(ratio "$GATHER_S" "$DUCK_ROWS_S") |
| DuckDB $DUCK_V in memory, warm, counting only | (the same) | $DUCK_JOIN_S s | $(ratio "$DYN_S" "$DUCK_JOIN_S") | $(ratio "$GATHER_S" "$DUCK_JOIN_S") |

Demo generation: $GEN_S s; file generation: $SRC_S s (not targets).

Per file:

| source | rows | seconds | rows/s | peak RSS MiB |
| --- | --- | --- | --- | --- |
$LOAD_LINES
MD
cat "$OUT"
