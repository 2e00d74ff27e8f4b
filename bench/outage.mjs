#!/usr/bin/env node
// A Redis outage under load (bench/cluster, third section): WebSocket subscribers of one channel
// through the load balancer, a publisher at a steady rate, and Redis stopped for a few seconds in
// the middle. Measures how long after Redis is back every subscriber has every acknowledged
// message again, and whether any was lost, duplicated or delivered out of order.
//
// Phases: the subscribers subscribe (after=0 on a fresh channel); the publisher publishes for
// --steady seconds; Redis goes away for --outage seconds (publishing goes on: those publishes get
// 503 and are not expected); Redis comes back; publishing goes on for --after seconds; then the
// bench waits (at most --drain seconds) until every subscriber has every acknowledged message.
//
// Outage modes: `kill` (the default) is a crash and restart: SIGKILL, then the same redis-server
// command line (given after `--`) on the same port and directory, which loads its append-only
// file; every node's connections break and are made again. `stop` is SIGSTOP then SIGCONT: Redis
// hangs with its connections open, as behind a network partition, and the nodes' commands time
// out.
//
// "Redis back" is the first PING answered after the restart (`kill`) or the SIGCONT (`stop`).
// The catch-up time is from then until every subscriber has every message up to the first one
// acknowledged after Redis came back (and every one acknowledged before): the moment every
// subscriber is live again. A subscriber whose connection closes reconnects through the load
// balancer and subscribes with `after` = the last seq it has, as a client would.
//
// Usage: bench/outage.mjs --url http://127.0.0.1:PORT --redis-port P --redis-pid PID
//            [--mode kill|stop] [--subscribers 1000] [--rate 100] [--steady 5] [--outage 5]
//            [--after 10] [--drain 60] -- redis-server ARGS...
// Prints one JSON object on stdout; progress on stderr. Everything on 127.0.0.1.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

import { redisLine } from '../tests/support/cluster.mjs';

const { values: flags, positionals: redisCommand } = parseArgs({
    allowPositionals: true,
    options: {
        url: { type: 'string' },
        'redis-port': { type: 'string' },
        'redis-pid': { type: 'string' },
        mode: { type: 'string', default: 'kill' },
        subscribers: { type: 'string', default: '1000' },
        rate: { type: 'string', default: '100' },
        steady: { type: 'string', default: '5' },
        outage: { type: 'string', default: '5' },
        after: { type: 'string', default: '10' },
        drain: { type: 'string', default: '60' },
    },
});
const base = flags.url;
const redisPort = Number(flags['redis-port']);
let redisPid = Number(flags['redis-pid']);
const mode = flags.mode;
const subscriberCount = Number(flags.subscribers);
const rate = Number(flags.rate);
const steadySeconds = Number(flags.steady);
const outageSeconds = Number(flags.outage);
const afterSeconds = Number(flags.after);
const drainSeconds = Number(flags.drain);
if (!base || !redisPort || !redisPid || !['kill', 'stop'].includes(mode) ||
    (mode === 'kill' && redisCommand.length === 0) || !(rate > 0) || !(subscriberCount > 0)) {
    console.error('usage: bench/outage.mjs --url URL --redis-port P --redis-pid PID [--mode kill|stop] ... -- redis-server ARGS...');
    process.exit(2);
}

const channel = `outage-${process.pid}`;
const wsUrl = `${base.replace(/^http/, 'ws')}/v1/ws`;
const totalPublishes = Math.ceil(rate * (steadySeconds + outageSeconds + afterSeconds));
const delay = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();
const log = (text) => console.error(`outage: ${text}`);

// --- Subscribers ------------------------------------------------------------------------------

const MESSAGE_PREFIX = Buffer.from('{"type":"message"');
const SEQ_KEY = Buffer.from('"seq":');
const MAX_RECONNECTS = 100;  // per subscriber: a bound, not a policy

/// The seq of a message frame, read without parsing the whole JSON (100,000 frames a second);
/// undefined when the frame is not a message.
function messageSeq(frame) {
    if (frame.length < MESSAGE_PREFIX.length ||
        frame.compare(MESSAGE_PREFIX, 0, MESSAGE_PREFIX.length, 0, MESSAGE_PREFIX.length) !== 0) return undefined;
    let at = frame.indexOf(SEQ_KEY, MESSAGE_PREFIX.length);
    if (at < 0) return undefined;
    at += SEQ_KEY.length;
    let seq = 0;
    for (; at < frame.length && frame[at] >= 48 && frame[at] <= 57; at += 1) seq = seq * 10 + frame[at] - 48;
    return seq;
}

const totals = { duplicated: 0, outOfOrder: 0, beyond: 0, gaps: 0, reconnects: 0, resubscribes: 0, errors: {}, closes: {} };
let stopping = false;

/// One WebSocket subscriber: its arrival time per seq, the highest seq it has and the seqs it
/// skipped (holes). In-order delivery leaves no hole; a seq that fills one is out of order.
class Subscriber {
    constructor(index) {
        this.index = index;
        this.arrival = new Float64Array(totalPublishes + 2);  // by seq; 0: not received
        this.last = 0;
        this.holes = new Set();
        this.subscribed = false;
        this.reconnects = 0;
    }

    connect() {
        const ws = new WebSocket(wsUrl, 'herald.v1', { perMessageDeflate: false, skipUTF8Validation: true });
        this.ws = ws;
        ws.on('open', () => this.subscribe());
        ws.on('message', (data) => this.receive(data));
        ws.on('error', () => {});  // 'close' follows
        ws.on('close', (code) => {
            totals.closes[code] = (totals.closes[code] ?? 0) + 1;
            if (stopping || this.ws !== ws) return;
            if (++this.reconnects > MAX_RECONNECTS) return;
            totals.reconnects += 1;
            setTimeout(() => { if (!stopping) this.connect(); }, 100 + Math.random() * 200);
        });
    }

    subscribe() {
        this.ws.send(JSON.stringify({ type: 'subscribe', channel, after: this.last }));
    }

    receive(data) {
        const seq = messageSeq(data);
        if (seq !== undefined) return this.record(seq);
        const frame = JSON.parse(data.toString());
        if (frame.type === 'subscribed') {
            this.subscribed = true;
        } else if (frame.type === 'gap') {
            totals.gaps += 1;
        } else if (frame.type === 'error') {
            totals.errors[frame.code] = (totals.errors[frame.code] ?? 0) + 1;
            // A replay storage could not read ends the subscription (API.md): subscribe again
            // from the last seq, as a client would, while the connection lives.
            if (frame.code === 'unavailable' && this.reconnects <= MAX_RECONNECTS) {
                this.reconnects += 1;
                totals.resubscribes += 1;
                const ws = this.ws;
                setTimeout(() => { if (!stopping && this.ws === ws && ws.readyState === WebSocket.OPEN) this.subscribe(); }, 200);
            }
        }
        return undefined;
    }

    record(seq) {
        if (seq < 1 || seq >= this.arrival.length) {
            totals.beyond += 1;
            return;
        }
        if (seq === this.last + 1) {
            this.last = seq;
        } else if (seq > this.last) {
            for (let s = this.last + 1; s < seq; s += 1) this.holes.add(s);
            this.last = seq;
        } else if (this.holes.delete(seq)) {
            totals.outOfOrder += 1;
        } else {
            totals.duplicated += 1;
            return;  // the first arrival counts
        }
        this.arrival[seq] = now();
    }

    has(seq) {
        return seq <= this.last && !this.holes.has(seq);
    }
}

async function waitFor(predicate, ms, what) {
    const deadline = now() + ms;
    while (!predicate()) {
        if (now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s`);
        await delay(50);
    }
}

// --- Publisher --------------------------------------------------------------------------------

const publishes = [];  // {sent, answered, status, seq}

async function publishOne(n) {
    const entry = { sent: now(), answered: 0, status: 0, seq: 0 };
    publishes.push(entry);
    try {
        const res = await fetch(`${base}/v1/channels/${channel}/messages`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ data: { n } }),
            signal: AbortSignal.timeout(10000),
        });
        const text = await res.text();
        entry.status = res.status;
        if (res.status === 201) entry.seq = JSON.parse(text).seq;
    } catch {
        entry.status = -1;  // no answer within 10 s, or the connection failed
    }
    entry.answered = now();
}

/// Publishes `count` messages at `rate` a second from `start` (each on time, not after the
/// previous answer: an outage makes answers slow, not the schedule).
async function publishAll(start, count) {
    const pending = [];
    for (let n = 0; n < count; n += 1) {
        const at = start + (n * 1000) / rate;
        const wait = at - now();
        if (wait > 0) await delay(wait);
        pending.push(publishOne(n));
    }
    await Promise.all(pending);
}

// --- Redis ------------------------------------------------------------------------------------


let stopped = false;  // SIGSTOP sent and no SIGCONT yet
function resumeRedis() {
    if (!stopped) return;
    stopped = false;
    try { process.kill(redisPid, 'SIGCONT'); } catch { /* gone */ }
}
for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => { resumeRedis(); process.exit(1); });
}

/// Takes Redis away for `outageSeconds` and brings it back; returns {down, back} (ms).
async function outage() {
    const down = now();
    if (mode === 'stop') {
        process.kill(redisPid, 'SIGSTOP');
        stopped = true;
        await delay(outageSeconds * 1000);
        resumeRedis();
        return { down, back: now() };
    }
    process.kill(redisPid, 'SIGKILL');
    await delay(outageSeconds * 1000);
    // The same command line: same port, same directory, its append-only file loaded at start.
    const child = spawn(redisCommand[0], redisCommand.slice(1), { stdio: 'ignore' });
    child.unref();
    redisPid = child.pid;
    for (let i = 0; i < 1000; i += 1) {  // 10 s at most
        if (await redisLine(redisPort, 'PING', 100) === '+PONG') return { down, back: now() };
        await delay(10);
    }
    throw new Error('redis-server did not answer PING within 10 s of its restart');
}

// --- Figures ----------------------------------------------------------------------------------

function quantile(sorted, q) {
    return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function figures(subscribers, down, back, cpu) {
    const acked = publishes.filter((p) => p.status === 201);
    const ackedBefore = acked.filter((p) => p.answered < back);
    const ackedAfter = acked.filter((p) => p.answered >= back);
    const firstAfter = ackedAfter.reduce((a, p) => (a === undefined || p.answered < a.answered ? p : a), undefined);
    const target = Math.max(0, ...ackedBefore.map((p) => p.seq), firstAfter ? firstAfter.seq : 0);
    const ackedSeqs = acked.map((p) => p.seq);
    const ackedSet = new Set(ackedSeqs);
    const maxSeq = Math.max(0, ...ackedSeqs);

    let lost = 0;
    let unacknowledgedDelivered = 0;
    const reach = [];  // per subscriber: when it had every seq up to target
    for (const s of subscribers) {
        for (const seq of ackedSeqs) if (!s.has(seq)) lost += 1;
        for (let seq = 1; seq <= s.last; seq += 1) if (!ackedSet.has(seq) && s.has(seq)) unacknowledgedDelivered += 1;
        let at = 0;
        for (let seq = 1; seq <= target && at !== Infinity; seq += 1) {
            at = s.arrival[seq] === 0 ? Infinity : Math.max(at, s.arrival[seq]);
        }
        reach.push(at);
    }
    reach.sort((a, b) => a - b);
    const caughtUp = reach.filter((t) => t !== Infinity).length;
    const since = (t) => (t === Infinity ? null : Math.max(0, t - back));

    // Steady delivery before the outage: publish sent to arrival, messages acknowledged before it.
    const latencies = [];
    for (const p of acked) {
        if (p.answered >= down) continue;
        for (const s of subscribers) if (s.arrival[p.seq] > 0) latencies.push(s.arrival[p.seq] - p.sent);
    }
    latencies.sort((a, b) => a - b);
    const statuses = {};
    for (const p of publishes) statuses[p.status] = (statuses[p.status] ?? 0) + 1;
    const round = (x) => (x === null ? null : Math.round(x * 10) / 10);
    return {
        mode: mode === 'kill' ? 'SIGKILL, restarted on the same port and directory (AOF)' : 'SIGSTOP, then SIGCONT',
        subscribers: subscribers.length,
        rate,
        steady_s: steadySeconds,
        outage_s: outageSeconds,
        after_s: afterSeconds,
        outage_ms: round(back - down),
        published: publishes.length,
        statuses,
        acknowledged: acked.length,
        acknowledged_during_outage: acked.filter((p) => p.answered >= down && p.answered < back).length,
        last_seq: maxSeq,
        first_ack_after_back_ms: round(firstAfter ? firstAfter.answered - back : null),
        catch_up_seq: target,
        catch_up_ms: round(caughtUp === reach.length ? since(reach[reach.length - 1]) : null),
        catch_up_p50_ms: round(since(quantile(reach, 0.5))),
        caught_up: caughtUp,
        expected_deliveries: acked.length * subscribers.length,
        lost,
        duplicated: totals.duplicated,
        out_of_order: totals.outOfOrder,
        unacknowledged_delivered: unacknowledgedDelivered,
        beyond_range: totals.beyond,
        holes: subscribers.reduce((n, s) => n + s.holes.size, 0),  // seqs skipped, never filled
        gaps: totals.gaps,
        reconnects: totals.reconnects,
        resubscribes: totals.resubscribes,
        error_frames: totals.errors,
        close_codes: totals.closes,
        steady_p50_ms: round(quantile(latencies, 0.5)),
        steady_p99_ms: round(quantile(latencies, 0.99)),
        client_cpu_s: round((cpu.user + cpu.system) / 1e6),
    };
}

// --- Run --------------------------------------------------------------------------------------

const subscribers = Array.from({ length: subscriberCount }, (_, i) => new Subscriber(i));
const cpu0 = process.cpuUsage();
try {
    for (let i = 0; i < subscribers.length; i += 100) {
        for (const s of subscribers.slice(i, i + 100)) s.connect();
        await waitFor(() => subscribers.slice(0, i + 100).every((s) => s.subscribed), 30000, 'subscriptions');
    }
    log(`${subscribers.length} subscribers of ${channel} through ${base}; publishing ${rate} msg/s`);
    const start = now();
    const publishing = publishAll(start, totalPublishes);
    await delay(Math.max(0, start + steadySeconds * 1000 - now()));
    log(`redis away for ${outageSeconds} s (${mode})`);
    const { down, back } = await outage();
    log(`redis back after ${((back - down) / 1000).toFixed(2)} s; publishing ${afterSeconds} s more`);
    await publishing;
    const acked = new Set(publishes.filter((p) => p.status === 201).map((p) => p.seq));
    const newest = Math.max(0, ...acked);
    log(`${acked.size} of ${publishes.length} publishes acknowledged; waiting for every subscriber to have them`);
    const complete = (s) => s.last >= newest && ![...s.holes].some((seq) => acked.has(seq));
    await waitFor(() => subscribers.every(complete), drainSeconds * 1000, 'delivery of every acknowledged message')
        .catch((error) => log(error.message));
    await delay(500);  // a duplicate after the last message would show here
    const result = figures(subscribers, down, back, process.cpuUsage(cpu0));
    result.redis_pid = redisPid;
    console.log(JSON.stringify(result));
} finally {
    resumeRedis();
    stopping = true;
    for (const s of subscribers) s.ws?.terminate();
}
