-- workload.lua - the Lua program `make bench-real` profiles: recursive
-- calls, string formatting and table sorting, in fixed proportions and
-- with deterministic data, so that every run makes exactly the same calls.
-- Argument: the number of rounds (default 10). Prints one checksum line.
local rounds = tonumber(arg and arg[1]) or 10
local fmt, sort, concat = string.format, table.sort, table.concat

-- Recursive calls: a tree walk and the classic doubly recursive sum.
local function fib(n)
  if n < 2 then return n end
  return fib(n - 1) + fib(n - 2)
end

local function build(depth)
  if depth == 0 then return { v = 1 } end
  return { l = build(depth - 1), r = build(depth - 1), v = depth }
end

local function walk(t)
  if t.l == nil then return t.v end
  return t.v + walk(t.l) + walk(t.r)
end

-- A deterministic generator (Lehmer), so that the data do not depend on
-- math.random's seeding.
local state = 12345
local function rand(n)
  state = (state * 48271) % 2147483647
  return state % n
end

local function records(n)
  local out = {}
  for i = 1, n do
    out[i] = fmt("%-6s|%08d|%7.3f|%x", "k" .. rand(977), rand(100000000),
                 rand(1000000) / 997, i)
  end
  return out
end

local function by_field(a, b)
  -- Sorting by the second field makes the comparator do real work.
  return a:sub(8, 15) < b:sub(8, 15)
end

-- Pure interpreter work: arithmetic in a loop makes no C call at all.
local function mix(n)
  local a, b = 0, 1
  for i = 1, n do
    a = (a * 31 + i) % 1000003
    b = b ~ (a << 3)
  end
  return a + (b & 0xffff)
end

local check = 0
for round = 1, rounds do
  check = check + fib(22) + walk(build(12)) + mix(400000)
  local recs = records(6000)
  sort(recs)
  check = check + #recs[1]
  sort(recs, by_field)
  -- Long loops inside a few C calls: case mapping, reversal and plain
  -- search over a 200 KB text.
  local text = concat(recs, " ")
  for k = 1, 40 do
    local u = text:upper()
    check = check + #u:lower():reverse() + (u:find("K" .. k .. "|", 1, true) or 0)
  end
  local nums = {}
  for i = 1, 20000 do nums[i] = rand(1000000) end
  sort(nums, function(a, b) return a > b end)
  check = (check + nums[1] + #concat(recs, ",", 1, 100)) % 1000000007
end
print(fmt("checksum %d", check))
