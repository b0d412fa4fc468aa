-- wrk script for benchmarks/api_load.py: POST /api/v1/match with request bodies prepared by the Python side.
--
-- wrk -s api_load.lua URL -- BODIES_LIST CONTENT_TYPE TOKEN [THINK_MS] [PATH]
--   BODIES_LIST: a file naming one body file per line (each body is sent verbatim, JSON or multipart);
--   CONTENT_TYPE: the Content-Type header sent with every body;
--   THINK_MS: each connection waits a random time (exponential, this mean) after an answer before its next
--   request, like a client with work of its own between checks; 0 (default) sends at once;
--   PATH: the endpoint (default /api/v1/match; benchmarks/deterrence_load.py posts to /api/v1/deterrence/check).
-- Each wrk thread runs its own copy of this script; done() prints one JSON line for the Python side to read.

local bodies = {}
local headers = {}
local counter = 0
local think = 0
local path = "/api/v1/match"

function init(args)
  for name in io.lines(args[1]) do
    local handle = assert(io.open(name, "rb"))
    bodies[#bodies + 1] = handle:read("*a")
    handle:close()
  end
  headers["Content-Type"] = args[2]
  headers["Authorization"] = "Bearer " .. args[3]
  think = tonumber(args[4] or "0") or 0
  path = args[5] or path
  if think > 0 then
    delay = think_delay
  end
  -- Different threads start at different places in the list.
  counter = math.random(#bodies)
end

function request()
  counter = counter % #bodies + 1
  return wrk.format("POST", path, headers, bodies[counter])
end

-- Installed as delay() only with a think time (wrk looks for it after init), so a saturating run keeps wrk's
-- plain closed loop, exactly as before the option existed.
function think_delay()
  return -think * math.log(1 - math.random())
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "errors_connect": %d, "errors_read": %d, ' ..
    '"errors_write": %d, "errors_status": %d, "errors_timeout": %d, "p50_us": %d, "p95_us": %d, ' ..
    '"p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, latency.mean))
end
