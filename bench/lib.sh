# Shell functions of the bench scripts (bench/run, bench/webhooks); sourced, not run.
# The caller sets `herald` (the binary), `work` (a scratch directory) and `seconds`, and declares
# `pids=()`: every server started here is added to it, for the caller's cleanup trap.

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_herald NAME ARGS... -> sets PORT and PID
start_herald() {
    local name=$1
    shift
    PORT=$(free_port)
    # Every load client connects from 127.0.0.1: no per-address connection bound.
    "$herald" serve --listen "127.0.0.1:$PORT" --data "$work/$name" --log-level warn \
        --limits-max-connections-per-ip 0 "$@" >"$work/$name.log" 2>&1 &
    PID=$!
    pids+=("$PID")
    for _ in $(seq 100); do
        curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && return 0
        sleep 0.05
    done
    echo "bench: herald did not start: $(cat "$work/$name.log")" >&2
    exit 1
}

stop() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# publish NAME URL TARGET CHANNELS -> "req/s p50_ms p99_ms"
publish() {
    local out
    out=$(BENCH_TARGET=$3 BENCH_CHANNELS=$4 wrk -t2 -c64 -d"${seconds}s" -s bench/publish.lua "$2")
    echo "$out" >"$work/$1.wrk"
    local rate p50 p99 errors
    rate=$(echo "$out" | sed -n 's/^publish: .* \([0-9]*\) req\/s$/\1/p')
    errors=$(echo "$out" | sed -n 's/^publish: [0-9]* requests, \([0-9]*\) errors.*/\1/p')
    p50=$(echo "$out" | sed -n 's/^latency_us p50=\([0-9]*\).*/\1/p')
    p99=$(echo "$out" | sed -n 's/^latency_us .*p99=\([0-9]*\).*/\1/p')
    if [ "$errors" != 0 ]; then echo "bench: $1 had $errors errors" >&2; fi
    awk -v r="$rate" -v a="$p50" -v b="$p99" 'BEGIN { printf "%d %.2f %.2f", r, a / 1000, b / 1000 }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# cpu_seconds PID -> user + system CPU time of a process so far, in seconds
cpu_seconds() {
    awk -v tick="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / tick }' "/proc/$1/stat"
}
