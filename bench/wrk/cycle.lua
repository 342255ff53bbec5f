-- wrk script for bench/load.py: POSTs the request bodies of $BENCH_BODIES (one JSON
-- document a line) in turn, each thread starting at its own offset, with the
-- Authorization header of $BENCH_AUTH (if set). A response that is not 200 or
-- whose body carries a GraphQL "errors" member is counted as an error. done()
-- prints one machine-readable line: BENCH_JSON {...}.

package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")
local threads = common.threads
setup = common.setup

function init(args)
  local path = os.getenv("BENCH_BODIES")
  local auth = os.getenv("BENCH_AUTH")
  local headers = { ["Content-Type"] = "application/json" }
  if auth ~= nil and auth ~= "" then headers["Authorization"] = auth end
  prepared = {}
  for line in io.lines(path) do
    if #line > 0 then
      table.insert(prepared, wrk.format("POST", nil, headers, line))
    end
  end
  if #prepared == 0 then error("no request bodies in " .. path) end
  cursor = (thread_id * 7919) % #prepared
  bad = 0
end

function request()
  cursor = cursor % #prepared + 1
  return prepared[cursor]
end

function response(status, headers, body)
  if status ~= 200 or (body ~= nil and string.find(body, '"errors"', 1, true)) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local body_errors = 0
  for _, t in ipairs(threads) do body_errors = body_errors + (t:get("bad") or 0) end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"mean_us":%.1f,"stdev_us":%.1f,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"errors_connect":%d,"errors_read":%d,' ..
    '"errors_write":%d,"errors_status":%d,"errors_timeout":%d,"errors_response":%d}\n',
    summary.requests, summary.duration, summary.bytes, latency.mean, latency.stdev,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout, body_errors))
end
