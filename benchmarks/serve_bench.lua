-- wrk script for benchmarks/serve_bench.py: POST one input per request, cycling through real
-- inputs, and count the answers by status code.
--
--   wrk -t2 -c64 -d8s --latency -s benchmarks/serve_bench.lua http://127.0.0.1:8000 -- PATH BODIES
--
-- BODIES is a file of JSON request bodies, one per line (serve_bench.py writes it). The last
-- line printed is "JSON {...}": requests, seconds, socket errors, latency percentiles (ms) and
-- the count of each status, for serve_bench.py to read.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  path = args[1]
  bodies = {}
  for line in io.lines(args[2]) do
    if line:match("%S") then
      bodies[#bodies + 1] = line
    end
  end
  next_body = (id * 7) % #bodies -- threads start at different inputs
  headers = { ["Content-Type"] = "application/json" }
  statuses = {}
end

function request()
  next_body = next_body % #bodies + 1
  return wrk.format("POST", path, headers, bodies[next_body])
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do
    parts[#parts + 1] = string.format('"%d": %d', status, n)
  end
  local e = summary.errors
  io.write(string.format(
    'JSON {"requests": %d, "seconds": %.3f, "socket_errors": %d, "p50": %.3f, "p99": %.3f, '
      .. '"max": %.3f, "statuses": {%s}}\n',
    summary.requests, summary.duration / 1e6, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    table.concat(parts, ", ")
  ))
end
