-- wrk script: POST a real Vapi tool-calls body for one tool to
-- /api/vapi/webhook, each request with a fresh toolCallId and call id (so tools
-- with side effects do their work every time instead of answering from the
-- ledger, and transfers of different calls do not queue on one call's row).
-- args: <tool name> <assistant id> <vapi secret> <arguments JSON>
local body_head, body_middle, body_tail
local counter = 0
local prefix

function init(args)
   local tool, assistant, secret, arguments = args[1], args[2], args[3], args[4]
   math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
   prefix = string.format("bench-%08x", math.random(0, 0x7fffffff))
   body_head = '{"message":{"type":"tool-calls","call":{"id":"bench-call-'
   body_middle = '","assistantId":"' .. assistant .. '","customer":{"number":"+15550001234"}},' ..
      '"toolCallList":[{"id":"'
   body_tail = '","type":"function","function":{"name":"' .. tool .. '","arguments":' .. arguments .. '}}]}}'
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
   wrk.headers["x-vapi-secret"] = secret
end

function request()
   counter = counter + 1
   local id = prefix .. "-" .. counter
   return wrk.format(nil, nil, nil, body_head .. id .. body_middle .. id .. body_tail)
end

function done(summary, latency, requests)
   io.write(string.format("BENCH requests=%d non2xx=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f\n",
      summary.requests, summary.errors.status, summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
