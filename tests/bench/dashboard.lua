-- wrk script: GET one dashboard route through the gateway with a dashboard
-- token (the URL, query included, is wrk's target). A non-2xx answer (a 429
-- from the gateway's rate limits, a 400, a 5xx) is counted, not hidden.
-- args: <bearer token>
function init(args)
   wrk.method = "GET"
   wrk.headers["Authorization"] = "Bearer " .. args[1]
   wrk.headers["Accept"] = "application/json"
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format("BENCH requests=%d non2xx=%d socket_errors=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f\n",
      summary.requests, e.status, e.connect + e.read + e.write + e.timeout,
      summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
