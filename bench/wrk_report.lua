-- wrk script for bench/run.py: count every answer other than 200 as an error, note when each
-- thread started and when its last response came (monotonic clock through LuaJIT's FFI), and
-- print one JSON line at the end.
--
-- wrk's -d bounds the run. The first script argument is a request count that is only reported
-- ("capped_threads") when a thread reaches it, not enforced: stopping a thread early with
-- wrk.thread:stop() leaves its connections open until wrk exits, and each of gunicorn's sync
-- workers that accepted one then waits on it, which slows the rest of the run several times.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("bench_timespec")

local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  budget = tonumber(args[1]) or 1000
  seen = 0
  not200 = 0
  t_start = now_us()
  t_last = t_start
end

function response(status, headers, body)
  seen = seen + 1
  t_last = now_us()
  if status ~= 200 then
    not200 = not200 + 1
  end
end

function done(summary, latency, requests)
  local bad, first, last, capped = 0, nil, nil, 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("not200") or 0)
    local s, l = thread:get("t_start"), thread:get("t_last")
    if s and (first == nil or s < first) then first = s end
    if l and (last == nil or l > last) then last = l end
    if (thread:get("seen") or 0) >= (thread:get("budget") or 0) then capped = capped + 1 end
  end
  local span = summary.duration
  if first and last and last > first then span = last - first end
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"span_us":%d,"capped_threads":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"not200":%d,' ..
    '"p50_us":%d,"p95_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, span, capped, e.connect, e.read, e.write, e.status,
    e.timeout, bad, latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
