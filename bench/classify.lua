-- wrk script of bench/children.sh: POST /api/v1/children/classify (LINES-API §2) with the identity numbers of the
-- city's children (CLASSIFY_IDS, one a line) and a mix of parents' situations; TOKEN is the bearer token.
local ids = {}
for line in io.lines(os.getenv("CLASSIFY_IDS")) do ids[#ids + 1] = line end
local token = os.getenv("TOKEN")
local situations = {
  '[]',
  '[{"kind": "dead", "since": "2018-05-01"}]',
  '[{"kind": "custody", "since": "2020-01-10", "until": "2027-01-09"}]',
  '[{"kind": "lost_contact", "since": "2026-09-01"}]',
  '[{"kind": "severe_disability", "since": "2015-01-01"}]',
}
local i = 0
request = function()
  i = i + 1
  local id = ids[(i % #ids) + 1]
  local f = situations[(i % #situations) + 1]
  local m = situations[(math.floor(i / 3) % #situations) + 1]
  local body = '{"as_of": "2026-12-01", "child": {"id_number": "' .. id .. '", "in_full_time_education": false}, '
    .. '"parents": [{"role": "father", "situations": ' .. f .. '}, {"role": "mother", "situations": ' .. m .. '}]}'
  return wrk.format("POST", "/api/v1/children/classify",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }, body)
end
