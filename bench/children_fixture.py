#!/usr/bin/env python3
"""Fixtures of bench/children.sh, written from a demo city's SQLite database (deterministic, seed 2020).

  children_fixture.py DB WORK            departmental files in WORK: deaths.csv, custody.csv, disability.csv
                                         (and WORK/fixture.txt, what they hold)
  children_fixture.py DB WORK --grants   the subsidies in payment: standards, a dibao case for 2 % of the
                                         households with a disabled member, an approved living grant for each of
                                         their disabled members, an approved care grant for every grade 1-2 (and
                                         grade 3-4 intellectual or mental) person; appended to WORK/fixture.txt

The files are what the departments would send: the parents of some children dead (deaths), in prison for five
years (custody), or severely disabled (the 残联 register, which also lists every disabled person of the registry).
"""
import datetime
import random
import sqlite3
import sys
import uuid

db, work = sys.argv[1], sys.argv[2]
grants = "--grants" in sys.argv
con = sqlite3.connect(db)
rnd = random.Random(2020)
today = datetime.date.today()
now = datetime.datetime.now(datetime.timezone.utc).isoformat()


def uid():
    return str(uuid.UUID(int=rnd.getrandbits(128)))


def files():
    # children under 18 with both parents in the household (户主 and 配偶, a man and a woman)
    pairs = con.execute(
        """SELECT DISTINCT f.id_number, f.name, m.id_number, m.name
           FROM persons c
           JOIN persons f ON f.household_id = c.household_id AND f.relation IN ('self', 'spouse') AND f.sex = 'male'
           JOIN persons m ON m.household_id = c.household_id AND m.relation IN ('self', 'spouse') AND m.sex = 'female'
           WHERE c.relation = 'child' AND c.birth_date > date('now', '-18 years')
           ORDER BY c.household_id"""
    ).fetchall()
    deaths, custody, severe = [], [], []
    for f_idn, f_name, m_idn, m_name in pairs:
        r = rnd.random()
        if r < 0.005:  # both dead: orphans
            deaths += [(f_idn, f_name), (m_idn, m_name)]
        elif r < 0.02:  # father dead, mother in prison for five years: 事实无人抚养
            deaths.append((f_idn, f_name))
            custody.append(m_idn)
        elif r < 0.025:  # father dead, mother grade 1: 事实无人抚养
            deaths.append((f_idn, f_name))
            severe.append(m_idn)
        elif r < 0.03:  # the father in prison, the mother present and able: no category
            custody.append(f_idn)
    died = (today - datetime.timedelta(days=400)).isoformat()
    with open(f"{work}/deaths.csv", "w") as out:
        out.write("id_number,name,date_of_death\n")
        for idn, name in deaths:
            out.write(f"{idn},{name},{died}\n")
    start = (today - datetime.timedelta(days=300)).isoformat()
    long_end = (today + datetime.timedelta(days=1500)).isoformat()
    with open(f"{work}/custody.csv", "w") as out:
        out.write("id_number,kind,from,to\n")
        for idn in custody:
            out.write(f"{idn},prison,{start},{long_end}\n")
    registry = con.execute(
        "SELECT id_number, disability_kind, disability_grade FROM persons "
        "WHERE disability_grade IS NOT NULL AND status = 'normal'"
    ).fetchall()
    with open(f"{work}/disability.csv", "w") as out:
        out.write("id_number,kind,grade,certified_on\n")
        listed = set()
        for idn, kind, grade in registry:
            out.write(f"{idn},{kind},{grade},2015-06-01\n")
            listed.add(idn)
        for idn in severe:
            if idn not in listed:
                out.write(f"{idn},limb,1,{start}\n")
    with open(f"{work}/fixture.txt", "w") as out:
        out.write(
            f"{len(pairs)} households with children and both parents; {len(deaths)} deaths, "
            f"{len(custody)} custody terms, {len(registry) + len(severe)} rows in the 残联 register. "
        )


def grant_rows():
    cur = con.cursor()
    for tier, amount in [("standard", 12000), ("severe", 15000), ("moderate", 9000)]:
        cur.execute(
            "INSERT OR IGNORE INTO subsidy_standards (id, tier, effective_from, monthly_amount, reason, created_by, created_at) "
            "VALUES (?, ?, '2016-01', ?, '基准测试', '系统', ?)",
            (uid(), tier, amount, now),
        )
    disabled = cur.execute(
        "SELECT id, household_id, area_code, town_code, hukou_area_code, disability_kind, disability_grade "
        "FROM persons WHERE disability_grade IS NOT NULL AND status = 'normal' AND household_id IS NOT NULL "
        "ORDER BY household_id, id"
    ).fetchall()
    households = sorted({d[1] for d in disabled})
    dibao = set(h for h in households if rnd.random() < 0.02)
    apps, cases, members, grant = [], [], [], []
    seq = {}
    start = "2020-01"

    def number(town):
        seq[town] = seq.get(town, 0) + 1
        return f"基准{town[-3:]}残补-2020-{seq[town]:06d}"

    seen_case = set()
    for pid, hh, area, town, hukou, kind, grade in disabled:
        if hh in dibao and hh not in seen_case:
            seen_case.add(hh)
            app_id, case_id = uid(), uid()
            apps.append((app_id, "dibao", hh, pid, area, town, hukou, "approved", "2019-12-01", "2019-11-01",
                         "2019-11-01", "{}", "6228480000000000000", 0, 0, 1, 1, 0, "系统", now, now))
            cases.append((case_id, app_id, "dibao", hh, area, town, "active", 50000, "2020-01",
                          "6228480000000000000", now))
        facts = (
            '{"disability_kind":"%s","disability_grade":%d,"disability_basis":"残联残疾人登记","household_category":%s,'
            '"needs_long_term_care":true,"exclusions":{"work_injury_care":false,"orphan_allowance":false}}'
            % (kind, grade, '"dibao"' if hh in dibao else "null")
        )
        if hh in dibao:
            grant.append((uid(), number(town), "living", pid, hh, area, town, "approved", "standard", facts))
        if grade <= 2 or kind in ("intellectual", "mental"):
            grant.append((uid(), number(town), "care", pid, hh, area, town, "approved",
                          "severe" if grade <= 2 else "moderate", facts))
    cur.executemany(
        "INSERT INTO applications (id, category, household_id, applicant_id, area_code, town_code, hukou_area_code, "
        "stage, stage_since, applied_on, authorisation_on, household_json, bank_account, staff_relative, "
        "spot_check_required, visited, checked, spot_checked, created_by, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        apps,
    )
    cur.executemany(
        "INSERT INTO cases (id, application_id, category, household_id, area_code, town_code, status, monthly_amount, "
        "start_month, bank_account, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        cases,
    )
    cur.executemany(
        "INSERT INTO subsidy_grants (id, number, programme, person_id, household_id, area_code, town_code, stage, tier, "
        "facts_json, bank_account, filed_by, filed_on, decided_by, decided_on, start_month, created_at) "
        f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '6228480000000000000', '系统', '2019-11-01', '系统', '2019-12-01', '{start}', '{now}')",
        grant,
    )
    con.commit()
    living = sum(1 for g in grant if g[2] == "living")
    with open(f"{work}/fixture.txt", "a") as out:
        out.write(
            f"Grants in payment: {living} living (in {len(cases)} dibao households given a case), "
            f"{len(grant) - living} care."
        )


if grants:
    grant_rows()
else:
    files()
