-- wrk script: publishes over keep-alive HTTP, spread over BENCH_CHANNELS channels (default 64).
-- BENCH_TARGET=herald (default) posts {"data":...} to /v1/channels/{c}/messages; BENCH_TARGET=nchan
-- posts the same payload to Nchan's /pub/{c} (bench/nchan/nginx.conf.template).
-- BENCH_MESSAGES_PER_THREAD=N: each wrk thread stops once N of its publishes were answered (a
-- fixed amount of work; wrk itself still runs for its -d, so give one long enough).
-- Usage: BENCH_CHANNELS=64 wrk -t2 -c64 -d10s -s bench/publish.lua http://127.0.0.1:8080
local counter = 0
local payload = '{"data":{"text":"hello from wrk, a message of about a hundred bytes of payload","n":1}}'

function setup(thread)
    thread:set("id", counter)
    counter = counter + 1
end

function init(args)
    n = 0
    channels = tonumber(os.getenv("BENCH_CHANNELS") or "64")
    if os.getenv("BENCH_TARGET") == "nchan" then
        prefix, suffix = "/pub/", ""
    else
        prefix, suffix = "/v1/channels/", "/messages"
    end
end

function request()
    n = n + 1
    local channel = "bench:" .. ((id * 32 + n) % channels)
    return wrk.format("POST", prefix .. channel .. suffix,
                      {["Content-Type"] = "application/json"}, payload)
end

local limit = tonumber(os.getenv("BENCH_MESSAGES_PER_THREAD") or "")
if limit then
    local answered = 0
    function response(status, headers, body)
        answered = answered + 1
        if answered >= limit then wrk.thread:stop() end
    end
end

function done(summary, latency, requests)
    io.write(string.format("publish: %d requests, %d errors (status %d), %.0f req/s\n",
             summary.requests, summary.errors.status, summary.errors.status,
             summary.requests / (summary.duration / 1e6)))
    io.write(string.format("latency_us p50=%d p90=%d p99=%d p999=%d max=%d\n",
             latency:percentile(50), latency:percentile(90), latency:percentile(99),
             latency:percentile(99.9), latency.max))
end
