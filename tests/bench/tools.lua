-- wrk script: POST a real Vapi tool-calls body for one tool to
-- /api/vapi/webhook, each request with a fresh toolCallId and call id (so tools
-- with side effects do their work every time instead of answering from the
-- ledger, and transfers of different calls do not queue on one call's row).
-- args: <tool name> <assistant id> <vapi secret> <arguments JSON | @file>
-- (@file: one arguments JSON per line, taken in turn — different questions
-- for getKnowledgeBase, so no figure rests on one text)
local body_head, body_middle, body_tails
local counter = 0
local prefix

function init(args)
   local tool, assistant, secret, arguments = args[1], args[2], args[3], args[4]
   math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
   prefix = string.format("bench-%08x", math.random(0, 0x7fffffff))
   body_head = '{"message":{"type":"tool-calls","call":{"id":"bench-call-'
   body_middle = '","assistantId":"' .. assistant .. '","customer":{"number":"+15550001234"}},' ..
      '"toolCallList":[{"id":"'
   local list = {arguments}
   if arguments:sub(1, 1) == "@" then
      list = {}
      for line in io.lines(arguments:sub(2)) do
         if line ~= "" then list[#list + 1] = line end
      end
   end
   body_tails = {}
   for i, a in ipairs(list) do
      body_tails[i] = '","type":"function","function":{"name":"' .. tool .. '","arguments":' .. a .. '}}]}}'
   end
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
   wrk.headers["x-vapi-secret"] = secret
end

function request()
   counter = counter + 1
   local id = prefix .. "-" .. counter
   local tail = body_tails[(counter - 1) % #body_tails + 1]
   return wrk.format(nil, nil, nil, body_head .. id .. body_middle .. id .. tail)
end

function done(summary, latency, requests)
   io.write(string.format("BENCH requests=%d non2xx=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f\n",
      summary.requests, summary.errors.status, summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
