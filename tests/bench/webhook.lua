-- wrk script: POST real end-of-call-report bodies to /api/vapi/webhook, each
-- with a fresh call id (so every report is new work, not a de-duplicated echo)
-- and caller (a clinic's calls come from many people: one shared caller would
-- make every report update the same contact row), and the assistant id of
-- the benchmark's org.
local FIXTURE_CALL = "5a7c1e2b-3d4f-4a6b-9c8d-0e1f2a3b4c5d"
local FIXTURE_CALLER = "%+14155550123"
local FIXTURE_ASSISTANT = "9f8e7d6c-5b4a-4f3e-8d2c-1b0a9f8e7d6c"
local template
local counter = 0
local prefix

-- Lua patterns treat '-' as a quantifier: escape ids before using them in gsub.
local function literal(s)
   return (s:gsub("%-", "%%-"))
end

function init(args)
   local f = assert(io.open(args[1], "rb"))
   template = f:read("*a")
   f:close()
   template = template:gsub(literal(FIXTURE_ASSISTANT), args[2])
   math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
   prefix = string.format("%08x-%04x", math.random(0, 0x7fffffff), math.random(0, 0xffff))
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
   wrk.headers["x-vapi-secret"] = args[3]
end

function request()
   counter = counter + 1
   local id = string.format("%s-4%03x-8%03x-%012x", prefix, counter % 4096, math.random(0, 4095), counter)
   local caller = string.format("+1%03d%07d", math.random(201, 989), math.random(0, 9999999))
   local body = template:gsub(literal(FIXTURE_CALL), id)
   return wrk.format(nil, nil, nil, (body:gsub(FIXTURE_CALLER, caller)))
end

function done(summary, latency, requests)
   io.write(string.format("BENCH reports_acknowledged=%d errors=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f\n",
      summary.requests - summary.errors.status, summary.errors.status,
      summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
