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
-- When a thread has sent all its lines before the run's end it stops (the run is
-- then shorter: the harness reports it as exhausted); the request it must still
-- hand to wrk then is a GET /healthz, not counted ("filler").
--
-- done() prints one machine-readable line: BENCH_JSON {...}.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

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
end

function request()
  cursor = cursor + 1
  if cursor > #prepared then
    if exhausted == 0 then
      exhausted = 1
      wrk.thread:stop()
    end
    return filler_request
  end
  return prepared[cursor]
end

function response(status, headers, body)
  if exhausted == 1 and status == 200 and body ~= nil and not string.find(body, '"data"', 1, true) then
    filler = filler + 1  -- the answer of a /healthz filler
    return
  end
  if status ~= 200 or body == nil
     or not string.find(body, '"data"', 1, true)
     or string.find(body, '"data"%s*:%s*null')
     or string.find(body, '"errors"%s*:%s*%[%s*{') then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local body_errors, fillers, exhausted_threads = 0, 0, 0
  for _, t in ipairs(threads) do
    body_errors = body_errors + (t:get("bad") or 0)
    fillers = fillers + (t:get("filler") or 0)
    exhausted_threads = exhausted_threads + (t:get("exhausted") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"mean_us":%.1f,"stdev_us":%.1f,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"errors_connect":%d,"errors_read":%d,' ..
    '"errors_write":%d,"errors_status":%d,"errors_timeout":%d,"errors_response":%d,"filler":%d,' ..
    '"exhausted_threads":%d}\n',
    summary.requests, summary.duration, summary.bytes, latency.mean, latency.stdev,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout, body_errors, fillers, exhausted_threads))
end
