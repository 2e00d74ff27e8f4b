-- wrk script: publishes to Nchan the same way bench/publish.lua does to Herald.
local counter = 0
local payload = '{"data":{"text":"hello from wrk, a message of about a hundred bytes of payload","n":1}}'

function setup(thread)
    thread:set("id", counter)
    counter = counter + 1
end

function init(args)
    n = 0
    channels = tonumber(os.getenv("BENCH_CHANNELS") or "64")
end

function request()
    n = n + 1
    return wrk.format("POST", "/pub/bench:" .. ((id * 32 + n) % channels),
                      {["Content-Type"] = "application/json"}, payload)
end

function done(summary, latency, requests)
    io.write(string.format("publish: %d requests, %d errors (status %d), %.0f req/s\n",
             summary.requests, summary.errors.status, summary.errors.status,
             summary.requests / (summary.duration / 1e6)))
    io.write(string.format("latency_us p50=%d p90=%d p99=%d p999=%d max=%d\n",
             latency:percentile(50), latency:percentile(90), latency:percentile(99),
             latency:percentile(99.9), latency.max))
end
