-- wrk script: PUT /api/agent through the gateway, each request as the owner
-- of one of many orgs in turn (so saves measure the save, not one org's row
-- lock), with a prompt that changes every time. A non-2xx answer is counted.
-- args: <file of bearer tokens, one a line>
local tokens = {}
local n = 0

function init(args)
   for line in io.lines(args[1]) do
      if #line > 0 then tokens[#tokens + 1] = line end
   end
   wrk.method = "PUT"
   wrk.headers["Content-Type"] = "application/json"
end

function request()
   n = n + 1
   local token = tokens[(n % #tokens) + 1]
   local body = string.format('{"system_prompt":"bench save %d","first_message":"Hello %d"}', n, n)
   return wrk.format(nil, nil, {["Authorization"] = "Bearer " .. token}, body)
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format("BENCH saves=%d non2xx=%d socket_errors=%d saves_per_s=%.0f p50_ms=%.2f p99_ms=%.2f\n",
      summary.requests, e.status, e.connect + e.read + e.write + e.timeout,
      summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
