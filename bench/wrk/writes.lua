-- wrk script for workload 6 (writes), bench/harness/writes.py: POSTs the lines of
-- $BENCH_BODIES in order, each ONCE (a write must succeed exactly once), thread k of
-- n taking lines k+1, k+1+n, ... ($BENCH_WRK_THREADS = n). A line is
--
--   PATH <tab> AUTHORIZATION <tab> BODY
--
-- (the path on the server under test, the Authorization header of that request —
-- an agency's API key or an officer's JWT — and the JSON body), so that one run
-- can mix requests of several kinds and callers.
--
-- A response is an error when its status is not 200, when it is not JSON with a
-- "data" member that is not null, or when it carries a non-empty "errors" list:
-- GraphQL's top-level errors or a mutation payload's user errors (an empty
-- "errors": [] is the payload of a success).
--
-- When a thread has sent all its lines before the run's end, the requests it must
-- still hand to wrk are GET /healthz, not counted ("filler"), and it stops once
-- every line has its answer.
-- wrk itself still waits for the whole duration, so the thread reports the time
-- from its first request to its last real answer ("active_us", from a monotonic
-- clock through LuaJIT's FFI): the harness takes the run's time from it and
-- reports the run as exhausted.
--
-- done() prints one machine-readable line: BENCH_JSON {...}.

local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local timespec = ffi.new("bench_timespec")
local CLOCK_MONOTONIC = 1

local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) * 1000000 + tonumber(timespec.tv_nsec) / 1000
end

package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")
local threads = common.threads
setup = common.setup

function init(args)
  local path = os.getenv("BENCH_BODIES")
  local nthreads = tonumber(os.getenv("BENCH_WRK_THREADS") or "1") or 1
  prepared = {}
  local n = 0
  for line in io.lines(path) do
    if #line > 0 then
      if n % nthreads == thread_id then
        local t1 = string.find(line, "\t", 1, true)
        local t2 = t1 and string.find(line, "\t", t1 + 1, true)
        if not t2 then error("not PATH<tab>AUTH<tab>BODY: line " .. (n + 1) .. " of " .. path) end
        local headers = { ["Content-Type"] = "application/json" }
        local auth = string.sub(line, t1 + 1, t2 - 1)
        if #auth > 0 then headers["Authorization"] = auth end
        table.insert(prepared, wrk.format("POST", string.sub(line, 1, t1 - 1), headers, string.sub(line, t2 + 1)))
      end
      n = n + 1
    end
  end
  if #prepared == 0 then error("no request lines for thread " .. thread_id .. " in " .. path) end
  filler_request = wrk.format("GET", "/healthz")
  cursor = 0
  bad = 0
  filler = 0
  exhausted = 0
  first_us = 0
  last_us = 0
  answered = 0
  verified = false
end

function request()
  if not verified then
    -- wrk calls thread 0's request() once before the run, to check what it returns
    -- (script_verify_request): that call must not use up a line
    verified = true
    if thread_id == 0 then return prepared[1] end
  end
  if first_us == 0 then first_us = now_us() end
  cursor = cursor + 1
  if cursor > #prepared then
    exhausted = 1
    return filler_request
  end
  return prepared[cursor]
end

function response(status, headers, body)
  if exhausted == 1 and status == 200 and body ~= nil and not string.find(body, '"data"', 1, true) then
    filler = filler + 1  -- the answer of a /healthz filler
    return
  end
  last_us = now_us()
  answered = answered + 1
  if exhausted == 1 and answered >= #prepared then
    wrk.thread:stop()  -- every line sent and answered
  end
  if status ~= 200 or body == nil
     or not string.find(body, '"data"', 1, true)
     or string.find(body, '"data"%s*:%s*null')
     or string.find(body, '"errors"%s*:%s*%[%s*{') then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local body_errors, fillers, exhausted_threads, active_us = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    body_errors = body_errors + (t:get("bad") or 0)
    fillers = fillers + (t:get("filler") or 0)
    exhausted_threads = exhausted_threads + (t:get("exhausted") or 0)
    local first, last = t:get("first_us") or 0, t:get("last_us") or 0
    if first > 0 and last > first and last - first > active_us then active_us = last - first end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"mean_us":%.1f,"stdev_us":%.1f,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"errors_connect":%d,"errors_read":%d,' ..
    '"errors_write":%d,"errors_status":%d,"errors_timeout":%d,"errors_response":%d,"filler":%d,' ..
    '"exhausted_threads":%d,"active_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, latency.mean, latency.stdev,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout, body_errors, fillers, exhausted_threads, active_us))
end
