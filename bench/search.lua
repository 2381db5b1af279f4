-- wrk script for bench/foundation.sh: person search under load.
--
-- Rotates through request paths read from the file named by $MZ_QUERIES (default bench/results/queries-city.txt),
-- one already URL-encoded path per line, e.g.
--   /api/v1/persons?q=%E7%8E%8B%E5%BB%BA%E5%9B%BD
--   /api/v1/persons?q=123X
-- The Authorization header comes from wrk's -H option.
-- Each wrk thread starts at a different offset so the threads do not ask the same thing at the same time.

local paths = {}
local i = 0

local function load(file)
  local f = io.open(file, "r")
  if f == nil then
    error("search.lua: cannot open query file " .. file .. " (set MZ_QUERIES)")
  end
  for line in f:lines() do
    if line ~= "" and line:sub(1, 1) ~= "#" then
      paths[#paths + 1] = line
    end
  end
  f:close()
  if #paths == 0 then
    error("search.lua: no queries in " .. file)
  end
end

load(os.getenv("MZ_QUERIES") or "bench/results/queries-city.txt")

local threads = 0
function setup(thread)
  thread:set("offset", threads * 7919)
  threads = threads + 1
end

function init(args)
  i = (offset or 0) % #paths
end

function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
