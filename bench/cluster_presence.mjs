#!/usr/bin/env node
// Cluster-wide presence (bench/cluster, fourth section): three Herald nodes on one Redis, one
// Node client holding every WebSocket, everything on 127.0.0.1.
//
// 1. Presence queries: --members WebSocket connections (10,000), spread evenly over the nodes,
//    each subscribed to one channel (a subscription is a presence member). Once every node's
//    `GET /v1/channels/{c}/presence` lists them all (polled, bounded), --queries sequential
//    queries (100) against each node, over one keep-alive connection per node: p50 / p99 / max
//    of the time to the whole body, time to first byte, response size; the nodes' and Redis's
//    CPU over the queries. Then every member closes and the time until every node lists none.
// 2. Join/leave storm: on a fresh channel, one presence watcher per node (a WebSocket
//    subscription with "presence":true); --storm clients (1,000) connect over --storm-ms
//    (1,000 ms), round-robin over the nodes, and subscribe on open; once every watcher has
//    every join (or --wait runs out), all of them close at once. Per watcher: join and leave
//    frames, missing / duplicated / unexpected ones (checked against the ids the presence query
//    lists at the peak), the time from the last client's subscribe to the watcher having every
//    join and from the last close to every leave. Redis `INFO commandstats` and the nodes' and
//    Redis's CPU (/proc/PID/stat, utime + stime) before the storm, 300 ms after every join has
//    arrived, before the closes (the peak checks in between are left out) and 300 ms after every
//    leave has arrived.
//
// Usage: bench/cluster_presence.mjs --urls http://127.0.0.1:P1,http://127.0.0.1:P2,...
//            --pids PID1,PID2,... --redis-port P --redis-pid PID [--members 10000]
//            [--queries 100] [--storm 1000] [--storm-ms 1000] [--wait 60]
// Prints one JSON object on stdout; progress on stderr. Every wait is bounded by --wait seconds
// (connecting: per batch of 250); the client opens members + storm + nodes WebSockets, so its
// open-file limit must allow that many (`ulimit -n 20000`, bench/cluster).
import { execFileSync, execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const { values: flags } = parseArgs({
    options: {
        urls: { type: 'string' },
        pids: { type: 'string' },
        'redis-port': { type: 'string' },
        'redis-pid': { type: 'string' },
        members: { type: 'string', default: '10000' },
        queries: { type: 'string', default: '100' },
        storm: { type: 'string', default: '1000' },
        'storm-ms': { type: 'string', default: '1000' },
        wait: { type: 'string', default: '60' },
    },
});
const urls = (flags.urls ?? '').split(',').filter(Boolean);
const pids = (flags.pids ?? '').split(',').filter(Boolean).map(Number);
const redisPort = Number(flags['redis-port']);
const redisPid = Number(flags['redis-pid']);
const memberCount = Number(flags.members);
const queryCount = Number(flags.queries);
const stormCount = Number(flags.storm);
const stormMs = Number(flags['storm-ms']);
const waitMs = Number(flags.wait) * 1000;
if (urls.length === 0 || pids.length !== urls.length || !redisPort || !redisPid || !(memberCount > 0) ||
    !(queryCount > 0) || !(stormCount > 0) || !(stormMs >= 0) || !(waitMs > 0)) {
    console.error('usage: bench/cluster_presence.mjs --urls URL,... --pids PID,... --redis-port P --redis-pid PID ' +
                  '[--members 10000] [--queries 100] [--storm 1000] [--storm-ms 1000] [--wait 60]');
    process.exit(2);
}
const names = urls.map((_, i) => `node-${i + 1}`);  // bench/cluster's --cluster-node-id, in order
const delay = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();
const log = (text) => console.error(`presence: ${text}`);
const round = (x, digits = 1) => (x === null || x === undefined ? null : Math.round(x * 10 ** digits) / 10 ** digits);

async function waitFor(predicate, ms) {
    const deadline = now() + ms;
    while (!predicate()) {
        if (now() > deadline) return false;
        await delay(10);
    }
    return true;
}

/// Nearest-rank quantile of sorted values.
function quantile(sorted, q) {
    return sorted.length === 0 ? null : sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

// --- Processes and Redis ----------------------------------------------------------------------

const tick = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/// utime + stime of a process so far, in seconds (as bench/lib.sh's cpu_seconds).
function cpuSeconds(pid) {
    try {
        const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');  // fields[0] is field 3
        return (Number(fields[11]) + Number(fields[12])) / tick;
    } catch {
        return NaN;  // gone
    }
}

function redisCli(...args) {
    return new Promise((resolve, reject) => {
        execFile('redis-cli', ['-p', String(redisPort), ...args], { timeout: 10000, maxBuffer: 64 << 20 },
                 (error, stdout, stderr) => {
                     if (error) reject(new Error(`redis-cli ${args.join(' ')}: ${error.message} ${stderr}`));
                     else resolve(stdout);
                 });
    });
}

/// `INFO commandstats` as {command: {calls, usec}}.
async function commandStats() {
    const stats = {};
    for (const line of (await redisCli('info', 'commandstats')).split('\n')) {
        const m = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line.trim());
        if (m) stats[m[1]] = { calls: Number(m[2]), usec: Number(m[3]) };
    }
    return stats;
}

/// A point in time: Redis's command counts and every process's CPU.
async function snapshot() {
    const stats = await commandStats();
    return { at: now(), stats, nodes: pids.map(cpuSeconds), redis: cpuSeconds(redisPid), client: process.cpuUsage() };
}

const WATCHED = ['hset', 'hdel', 'sadd', 'spublish', 'eval', 'evalsha', 'hgetall'];

/// What happened between two snapshots. INFO itself (the snapshots' own command) is left out;
/// the commands scripts run count too (Redis counts them in commandstats).
function between(a, b) {
    const commands = {};
    let total = 0;
    let usec = 0;
    for (const [name, s] of Object.entries(b.stats)) {
        if (name === 'info') continue;
        const calls = s.calls - (a.stats[name]?.calls ?? 0);
        if (calls > 0) commands[name] = calls;
        total += calls;
        usec += s.usec - (a.stats[name]?.usec ?? 0);
    }
    const watched = Object.fromEntries(WATCHED.map((name) => [name, commands[name] ?? 0]));
    const client = (b.client.user + b.client.system - a.client.user - a.client.system) / 1e6;
    return {
        ms: round(b.at - a.at),
        redis_calls: total,
        redis_commands: watched,
        redis_all: commands,
        redis_command_usec: usec,
        node_cpu_s: b.nodes.map((x, i) => round(x - a.nodes[i], 2)),
        nodes_cpu_s: round(b.nodes.reduce((s, x, i) => s + x - a.nodes[i], 0), 2),
        redis_cpu_s: round(b.redis - a.redis, 2),
        client_cpu_s: round(client, 2),
    };
}

function sum(a, b) {
    const add = (x, y) => Object.fromEntries([...new Set([...Object.keys(x), ...Object.keys(y)])]
        .map((k) => [k, (x[k] ?? 0) + (y[k] ?? 0)]));
    return {
        ms: round(a.ms + b.ms),
        redis_calls: a.redis_calls + b.redis_calls,
        redis_commands: add(a.redis_commands, b.redis_commands),
        redis_all: add(a.redis_all, b.redis_all),
        redis_command_usec: a.redis_command_usec + b.redis_command_usec,
        node_cpu_s: a.node_cpu_s.map((x, i) => round(x + b.node_cpu_s[i], 2)),
        nodes_cpu_s: round(a.nodes_cpu_s + b.nodes_cpu_s, 2),
        redis_cpu_s: round(a.redis_cpu_s + b.redis_cpu_s, 2),
        client_cpu_s: round(a.client_cpu_s + b.client_cpu_s, 2),
    };
}

// --- HTTP -------------------------------------------------------------------------------------

const agents = urls.map(() => new http.Agent({ keepAlive: true, maxSockets: 1 }));

/// GET url on node `i` (keep-alive): {status, ttfb, total (ms), bytes, body}; rejects after 10 s.
function get(i, path) {
    return new Promise((resolve, reject) => {
        const start = now();
        const req = http.get(`${urls[i]}${path}`, { agent: agents[i] }, (res) => {
            const ttfb = now() - start;
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => {
                const body = Buffer.concat(chunks);
                resolve({ status: res.statusCode, ttfb, total: now() - start, bytes: body.length, body });
            });
            res.on('error', reject);
        });
        req.setTimeout(10000, () => req.destroy(new Error(`GET ${urls[i]}${path}: no answer within 10 s`)));
        req.on('error', reject);
    });
}

/// The client ids a node's presence query lists, or null (not 200, or no answer).
async function listed(i, channel) {
    try {
        const res = await get(i, `/v1/channels/${encodeURIComponent(channel)}/presence`);
        if (res.status !== 200) return null;
        return JSON.parse(res.body.toString()).clients.map((c) => c.client);
    } catch {
        return null;
    }
}

/// Polls every node until `predicate(count)` holds for each (every 100 ms, at most `ms`);
/// {ok, ms, counts}.
async function pollListing(channel, predicate, ms) {
    const start = now();
    const deadline = start + ms;
    let counts = [];
    for (;;) {
        counts = await Promise.all(urls.map(async (_, i) => (await listed(i, channel))?.length ?? null));
        if (counts.every((n) => n !== null && predicate(n))) return { ok: true, ms: now() - start, counts };
        if (now() > deadline) return { ok: false, ms: now() - start, counts };
        await delay(100);
    }
}

// --- WebSocket clients ------------------------------------------------------------------------

const problems = { errors: {}, closes: {}, connect_failures: 0 };

/// One WebSocket to node `node` that subscribes to `channel` when open. `onFrame` gets the other
/// frames, parsed.
class Client {
    constructor(node, channel, { presence = false, onFrame } = {}) {
        this.node = node;
        this.subscribeSent = 0;
        this.subscribedAt = 0;
        this.closed = false;
        this.closing = false;
        const ws = new WebSocket(`${urls[node].replace(/^http/, 'ws')}/v1/ws`, 'herald.v1',
                                 { perMessageDeflate: false });
        this.ws = ws;
        ws.on('open', () => {
            this.subscribeSent = now();
            ws.send(JSON.stringify({ type: 'subscribe', channel, presence }));
        });
        ws.on('message', (data) => {
            const frame = JSON.parse(data.toString());
            if (frame.type === 'subscribed') this.subscribedAt = now();
            else if (frame.type === 'error') problems.errors[frame.code] = (problems.errors[frame.code] ?? 0) + 1;
            else onFrame?.(frame);
        });
        ws.on('error', () => { if (!this.subscribeSent) problems.connect_failures += 1; });
        ws.on('close', (code) => {
            this.closed = true;
            if (!this.closing) problems.closes[code] = (problems.closes[code] ?? 0) + 1;
        });
    }

    close() {
        this.closing = true;
        this.ws.close(1000);
    }

    terminate() {
        this.closing = true;
        this.ws.terminate();
    }
}

// --- 1. Presence queries ----------------------------------------------------------------------

async function queries() {
    const channel = `presence-big-${process.pid}`;
    const members = [];
    const start = now();
    for (let i = 0; i < memberCount; i += 250) {
        const batch = [];
        for (let j = i; j < Math.min(memberCount, i + 250); j += 1) batch.push(new Client(j % urls.length, channel));
        members.push(...batch);
        if (!await waitFor(() => batch.every((c) => c.subscribedAt || c.closed), waitMs)) {
            throw new Error(`members: ${batch.filter((c) => !c.subscribedAt).length} of a batch not subscribed within ${waitMs / 1000} s`);
        }
    }
    const subscribed = members.filter((c) => c.subscribedAt).length;
    const connectMs = now() - start;
    log(`${subscribed} of ${memberCount} members subscribed to ${channel} in ${(connectMs / 1000).toFixed(1)} s`);

    const listing = await pollListing(channel, (n) => n >= subscribed, waitMs);
    log(`every node lists ${listing.counts.join(', ')} after ${(listing.ms / 1000).toFixed(2)} s`);

    const before = await snapshot();
    const perNode = [];
    for (let i = 0; i < urls.length; i += 1) {
        const totals = [];
        const ttfbs = [];
        let bytes = 0;
        let clients = null;
        let bad = 0;
        for (let q = 0; q < queryCount; q += 1) {
            const res = await get(i, `/v1/channels/${encodeURIComponent(channel)}/presence`);
            totals.push(res.total);
            ttfbs.push(res.ttfb);
            bytes = res.bytes;
            if (res.status !== 200) bad += 1;
            else if (q === 0 || q === queryCount - 1) clients = JSON.parse(res.body.toString()).clients.length;
        }
        totals.sort((a, b) => a - b);
        ttfbs.sort((a, b) => a - b);
        perNode.push({
            node: names[i], queries: queryCount, not_200: bad, clients, bytes,
            p50_ms: round(quantile(totals, 0.5), 2), p99_ms: round(quantile(totals, 0.99), 2),
            max_ms: round(totals[totals.length - 1], 2), ttfb_p50_ms: round(quantile(ttfbs, 0.5), 2),
        });
        log(`${names[i]}: p50 ${perNode[i].p50_ms} ms, p99 ${perNode[i].p99_ms} ms, ${bytes} bytes`);
    }
    const cost = between(before, await snapshot());

    for (const c of members) c.close();
    const emptied = await pollListing(channel, (n) => n === 0, waitMs);
    log(`after the members closed, every node lists ${emptied.counts.join(', ')} after ${(emptied.ms / 1000).toFixed(2)} s`);
    await waitFor(() => members.every((c) => c.closed), 10000);
    for (const c of members) if (!c.closed) c.terminate();
    return {
        channel,
        members: memberCount,
        subscribed,
        connect_s: round(connectMs / 1000, 2),
        listed_all: listing.ok,
        listed_counts: listing.counts,
        listed_all_ms: round(listing.ms),
        per_node: perNode,
        queries_ms: cost.ms,
        query_cpu_ms: {
            nodes: round((cost.nodes_cpu_s * 1000) / (queryCount * urls.length), 2),
            redis: round((cost.redis_cpu_s * 1000) / (queryCount * urls.length), 2),
            client: round((cost.client_cpu_s * 1000) / (queryCount * urls.length), 2),
        },
        hgetall_calls: cost.redis_commands.hgetall,
        redis_usec_per_query: round(cost.redis_command_usec / (queryCount * urls.length)),
        emptied: emptied.ok,
        emptied_counts: emptied.counts,
        emptied_ms: round(emptied.ms),
    };
}

// --- 2. Join/leave storm ----------------------------------------------------------------------

/// A watcher's view: every join and leave frame, by client id, with arrival times.
class Watcher {
    constructor(node, channel) {
        this.joins = new Map();  // client -> arrivals
        this.leaves = new Map();
        this.leaveBeforeJoin = 0;
        this.otherFrames = 0;
        this.client = new Client(node, channel, { presence: true, onFrame: (f) => this.frame(f) });
    }

    frame(f) {
        const at = now();
        if (f.type === 'join') {
            if (!this.joins.has(f.client)) this.joins.set(f.client, []);
            this.joins.get(f.client).push(at);
        } else if (f.type === 'leave') {
            if (!this.joins.has(f.client)) this.leaveBeforeJoin += 1;
            if (!this.leaves.has(f.client)) this.leaves.set(f.client, []);
            this.leaves.get(f.client).push(at);
        } else {
            this.otherFrames += 1;
        }
    }

    /// How many of `ids` it has a join (or leave) of, and when the last of those first arrived.
    has(map, ids) {
        let count = 0;
        let last = 0;
        for (const id of ids) {
            const times = map.get(id);
            if (!times) continue;
            count += 1;
            last = Math.max(last, times[0]);
        }
        return { count, last };
    }

    frames(map) {
        let n = 0;
        for (const times of map.values()) n += times.length;
        return n;
    }
}

// Each window ends this long after its last frame: the nodes write their subscriber counts at
// most every 50 ms, after the joins and leaves.
const SETTLE_MS = 300;

async function storm() {
    const channel = `presence-storm-${process.pid}`;
    const watchers = urls.map((_, i) => new Watcher(i, channel));
    if (!await waitFor(() => watchers.every((w) => w.client.subscribedAt), waitMs)) {
        throw new Error('watchers: not subscribed');
    }
    const before = await pollListing(channel, (n) => n === watchers.length, waitMs);
    const watcherIds = new Set((await listed(0, channel)) ?? []);
    log(`${watchers.length} watchers of ${channel}; the nodes list ${before.counts.join(', ')}`);
    // The watchers' joins of each other have arrived by now (they are in every listing); an idle
    // second gives the background: heartbeats, vacating polls.
    const idle0 = await snapshot();
    await delay(2000);
    const t0 = await snapshot();
    const idle = between(idle0, t0);

    const clients = [];
    const start = now();
    for (let n = 0; n < stormCount; n += 1) {
        const wait = start + (n * stormMs) / stormCount - now();
        if (wait > 0) await delay(wait);
        clients.push(new Client(n % urls.length, channel));
    }
    const allSubscribed = await waitFor(() => clients.every((c) => c.subscribedAt || c.closed), waitMs);
    const lastSubscribe = Math.max(...clients.map((c) => c.subscribeSent));
    const lastSubscribed = Math.max(...clients.map((c) => c.subscribedAt));
    const subscribed = clients.filter((c) => c.subscribedAt).length;
    log(`${subscribed} of ${stormCount} storm clients subscribed in ${((lastSubscribed - start) / 1000).toFixed(2)} s`);
    // Every watcher has `subscribed` distinct joins besides the other watchers'.
    const joinsOf = (w) => [...w.joins.keys()].filter((id) => !watcherIds.has(id)).length;
    const joinsComplete = await waitFor(() => watchers.every((w) => joinsOf(w) >= subscribed), waitMs);
    await delay(SETTLE_MS);
    const t1 = await snapshot();

    // The peak, outside the measured windows: who the nodes list, and on which node each is.
    const peakLists = await Promise.all(urls.map((_, i) => listed(i, channel)));
    const stormIds = new Set((peakLists[0] ?? []).filter((id) => !watcherIds.has(id)));
    const nodeOf = await clientNodes(channel);
    await delay(200);
    const t2 = await snapshot();

    for (const c of clients) c.close();
    const closeAt = now();  // the last client's close frame is sent
    const leavesOf = (w) => [...w.leaves.keys()].filter((id) => stormIds.has(id)).length;
    const leavesComplete = await waitFor(() => watchers.every((w) => leavesOf(w) >= stormIds.size), waitMs);
    await delay(SETTLE_MS);
    const t3 = await snapshot();
    const after = await pollListing(channel, (n) => n === watchers.length, 5000);
    await delay(500);  // a duplicate after the last leave would show here
    await waitFor(() => clients.every((c) => c.closed), 5000);
    for (const c of clients) if (!c.closed) c.terminate();

    const joinPhase = between(t0, t1);
    const leavePhase = between(t2, t3);
    const perWatcher = watchers.map((w, i) => {
        const joined = w.has(w.joins, stormIds);
        const left = w.has(w.leaves, stormIds);
        const missingJoins = [...stormIds].filter((id) => !w.joins.has(id));
        const missingLeaves = [...stormIds].filter((id) => !w.leaves.has(id));
        const extra = (map) => [...map.keys()].filter((id) => !stormIds.has(id) && !watcherIds.has(id)).length;
        const dup = (map) => [...map.values()].reduce((n, t) => n + t.length - 1, 0);
        const missingByNode = (ids) => {
            const by = {};
            for (const id of ids) by[nodeOf[id] ?? '?'] = (by[nodeOf[id] ?? '?'] ?? 0) + 1;
            return by;
        };
        return {
            node: names[i],
            join_frames: w.frames(w.joins),
            joins: joined.count,
            missing_joins: missingJoins.length,
            missing_joins_by_client_node: missingByNode(missingJoins),
            missing_join_ids: missingJoins.slice(0, 10),
            duplicated_joins: dup(w.joins),
            unexpected_joins: extra(w.joins),
            leave_frames: w.frames(w.leaves),
            leaves: left.count,
            missing_leaves: missingLeaves.length,
            missing_leaves_by_client_node: missingByNode(missingLeaves),
            missing_leave_ids: missingLeaves.slice(0, 10),
            duplicated_leaves: dup(w.leaves),
            unexpected_leaves: extra(w.leaves),
            leave_before_join: w.leaveBeforeJoin,
            other_frames: w.otherFrames,
            all_joins_ms: joined.count === stormIds.size ? round(joined.last - lastSubscribe) : null,
            all_leaves_ms: left.count === stormIds.size ? round(left.last - closeAt) : null,
        };
    });
    for (const w of watchers) w.client.close();
    await waitFor(() => watchers.every((w) => w.client.closed), 5000);
    for (const w of watchers) if (!w.client.closed) w.client.terminate();

    const done = (key) => (perWatcher.every((w) => w[key] !== null) ? Math.max(...perWatcher.map((w) => w[key])) : null);
    return {
        channel,
        clients: stormCount,
        storm_ms: stormMs,
        watchers: watchers.length,
        subscribed,
        all_subscribed: allSubscribed,
        connect_span_ms: round(lastSubscribed - start),
        last_subscribe_to_subscribed_ms: round(lastSubscribed - lastSubscribe),
        listed_before: before.counts,
        listed_at_peak: peakLists.map((l) => l?.length ?? null),
        peak_lists_agree: peakLists.every((l) => l && [...l].sort().join() === [...(peakLists[0] ?? [])].sort().join()),
        storm_ids: stormIds.size,
        clients_by_node: Object.entries(nodeOf).reduce((by, [id, node]) => {
            if (stormIds.has(id)) by[node] = (by[node] ?? 0) + 1;
            return by;
        }, {}),
        listed_after: after.counts,
        joins_complete: joinsComplete,
        leaves_complete: leavesComplete,
        all_joins_ms: done('all_joins_ms'),
        all_leaves_ms: done('all_leaves_ms'),
        per_watcher: perWatcher,
        idle_2s: { redis_calls: idle.redis_calls, redis_all: idle.redis_all, nodes_cpu_s: idle.nodes_cpu_s },
        joins: joinPhase,
        leaves: leavePhase,
        total: sum(joinPhase, leavePhase),
    };
}

/// client id -> node id, from the channel's presence hash in Redis (entries start with the
/// node's netstring). {} when it cannot be read.
async function clientNodes(channel) {
    try {
        const keys = (await redisCli('--scan', '--pattern', `*:c:${channel}:presence`)).split('\n').filter(Boolean);
        if (keys.length !== 1) return {};
        // Raw output, one field or value a line (ids and entries have no newline).
        const values = (await redisCli('hgetall', keys[0])).split('\n');
        const out = {};
        for (let i = 0; i + 1 < values.length; i += 2) {
            const m = /^(\d+):/.exec(values[i + 1]);
            if (m) out[values[i]] = values[i + 1].slice(m[0].length, m[0].length + Number(m[1]));
        }
        return out;
    } catch {
        return {};
    }
}

// --- Run --------------------------------------------------------------------------------------

const cpu0 = process.cpuUsage();
const result = { nodes: urls.length, members: memberCount, queries: queryCount };
try {
    result.query = await queries();
    await delay(3000);  // the member channel's vacating (cluster.vacated_delay) settles
    result.storm = await storm();
} catch (error) {
    result.error = error.message;
    log(error.message);
}
result.problems = problems;
const cpu = process.cpuUsage(cpu0);
result.client_cpu_s = round((cpu.user + cpu.system) / 1e6);
console.log(JSON.stringify(result));
for (const a of agents) a.destroy();
process.exit(result.error ? 1 : 0);
