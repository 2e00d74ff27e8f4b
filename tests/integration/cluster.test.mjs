// Cluster mode (API.md Cluster, docs/CLUSTER.md): Herald nodes sharing one Redis, with nginx
// round-robin in front of them. A message published on any node reaches the subscribers of every
// node and every transport once, in seq order; publish ids are recognised on every node; nodes
// come and go from GET /v1/cluster; a subscriber of a node that dies resumes on another; what
// Redis pub/sub drops is read back from the log; Redis going away answers 503 and never loses an
// acknowledged message; Redis losing its data is announced as a reset gap.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { closeAll, startCluster, startNginx, startRedis, useCluster } from '../support/cluster.mjs';
import { get, publish } from '../support/herald.mjs';
import { SseClient, StreamClient, publishMany, until } from '../support/streams.mjs';
import { connectWs } from '../support/ws.mjs';

const range = (from, to) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/// Node ids listed by GET /v1/cluster on `base`, sorted; undefined when it does not answer 200.
async function listedNodes(base) {
    const res = await get(base, '/v1/cluster');
    if (res.status !== 200) return undefined;
    return res.json.nodes.map((n) => n.node).sort();
}

/// Every retained message of `channel` read from `base`, 1000 a request: [message...].
async function readAll(base, channel) {
    const messages = [];
    for (let page = 0; page < 100; ++page) {
        const res = await get(base, `/v1/channels/${channel}/messages?after=${messages.at(-1)?.seq ?? 0}&limit=1000`);
        assert.equal(res.status, 200, `${base}: ${res.text}`);
        assert.equal(res.json.gap, undefined, `${base}: no gap in ${channel}`);
        messages.push(...res.json.messages);
        if (res.json.messages.length === 0 || messages.at(-1).seq >= res.json.last_seq) return messages;
    }
    throw new Error(`${channel} on ${base}: more than 100 pages`);
}

/// A long-polling client that sends request i to `bases[i % bases.length]`, from `after`, until
/// it holds `last` or `timeoutMs` passes: {seqs, messages, gaps, requests (per base)}.
async function longPollRotating(bases, channel, last, { after = 0, timeoutMs = 30000, limit = 50 } = {}) {
    const out = { seqs: [], messages: [], gaps: [], requests: bases.map(() => 0) };
    let cursor = after;
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; cursor < last; ++i) {
        if (Date.now() > deadline) {
            throw new Error(`long polling reached seq ${cursor} of ${last} in ${timeoutMs} ms`);
        }
        const at = i % bases.length;
        out.requests[at] += 1;
        const res = await get(bases[at], `/v1/channels/${channel}/messages?after=${cursor}&limit=${limit}&wait=5`);
        if (res.status === 204) continue;
        assert.equal(res.status, 200, `poll ${i} on ${bases[at]}: ${res.text}`);
        if (res.json.gap) out.gaps.push(res.json.gap);
        for (const message of res.json.messages) {
            out.seqs.push(message.seq);
            out.messages.push(message);
        }
        if (res.json.messages.length) cursor = res.json.messages.at(-1).seq;
    }
    return out;
}

describe('three nodes on one Redis, behind nginx', () => {
    let redis;
    let cluster;
    let nginx;
    const clients = [];
    before(async () => {
        redis = await startRedis();
        cluster = await startCluster({ nodes: 3, redis, args: ['--cluster-heartbeat', '200ms'] });
        nginx = await startNginx(cluster.nodes.map((n) => n.port));
    });
    after(async () => {
        closeAll(clients);
        await nginx?.stop();
        await cluster?.stop();
        await redis?.destroy();
    });

    test('every subscriber of every transport gets what three publishers on three nodes sent, once, in seq order', { timeout: 60000 }, async () => {
        const channel = 'cluster:fanout';
        const total = 300;
        const last = total + 1;  // a marker after the publishers' messages
        const urls = cluster.urls;
        // Through nginx (round-robin: they land on whichever node), and one WebSocket on each node.
        const wsProxied = await connectWs(nginx.url);
        clients.push(wsProxied);
        const wsDirect = [];
        for (const url of urls) {
            const ws = await connectWs(url);
            clients.push(ws);
            wsDirect.push(ws);
        }
        for (const ws of [wsProxied, ...wsDirect]) {
            const reply = await ws.request({ type: 'subscribe', channel, after: 0 });
            assert.equal(reply.type, 'subscribed', JSON.stringify(reply));
        }
        const sse = await SseClient.open(nginx.url, `/v1/channels/${channel}/events?after=0`);
        clients.push(sse);
        assert.equal(sse.status, 200, sse.raw);
        const ndjson = await StreamClient.open(nginx.url, `/v1/channels/${channel}/stream?after=0`);
        clients.push(ndjson);
        assert.equal(ndjson.status, 200, ndjson.raw);
        const polling = longPollRotating(urls, channel, last);

        // One publisher per node, each waiting for its reply before the next.
        const perNode = total / urls.length;
        const replies = await Promise.all(urls.map((url, p) =>
            publishMany(url, channel, perNode, { publishers: 1, make: (i) => ({ data: { p, i } }) })));
        const sent = new Map();  // seq -> the publisher's {p, i}
        replies.forEach((list, p) => list.forEach((reply, i) => sent.set(reply.seq, { p, i })));
        assert.deepEqual([...sent.keys()].sort((a, b) => a - b), range(1, total), 'the 201s hold every seq once');
        // Seqs come in order, so once the marker is there a duplicate of any earlier one is too.
        const marker = await publish(urls[1], channel, { data: 'marker' });
        assert.equal(marker.status, 201, marker.text);
        assert.equal(marker.json.seq, last);
        sent.set(last, 'marker');

        const polled = await polling;
        const wsAll = [['WebSocket through nginx', wsProxied], ...wsDirect.map((ws, i) => [`WebSocket on node-${i + 1}`, ws])];
        await until(() => wsAll.every(([, ws]) => ws.seqs(channel).includes(last)) &&
                          sse.seqs.includes(last) && ndjson.seqs.includes(last),
                    20000, `every subscriber to get the marker, seq ${last}`).catch((error) => {
            const counts = wsAll.map(([name, ws]) => `${name}: ${ws.seqs(channel).length}`).join(', ');
            throw new Error(`${error.message} (${counts}, SSE: ${sse.count}, NDJSON: ${ndjson.count})\n${cluster.logs()}`);
        });
        for (const [name, ws] of wsAll) {
            assert.deepEqual(ws.seqs(channel), range(1, last), name);
            assert.equal(ws.frames.filter((f) => f.type === 'gap').length, 0, `${name}: no gap`);
            for (const f of ws.frames.filter((m) => m.type === 'message')) {
                assert.deepEqual(f.data, sent.get(f.seq), `${name}: the data of seq ${f.seq}`);
            }
        }
        assert.equal(sse.orderError, undefined, 'SSE ids grow by one');
        assert.deepEqual(sse.seqs, range(1, last), 'SSE through nginx');
        assert.equal(sse.events.filter((e) => e.event === 'gap').length, 0, 'SSE: no gap');
        for (const m of sse.messages) assert.deepEqual(m.data, sent.get(m.seq), `SSE: the data of seq ${m.seq}`);
        assert.equal(ndjson.orderError, undefined, 'NDJSON seqs grow by one');
        assert.deepEqual(ndjson.seqs, range(1, last), 'NDJSON through nginx');
        assert.equal(ndjson.lines.filter((l) => l.type === 'gap').length, 0, 'NDJSON: no gap');
        for (const m of ndjson.messages) assert.deepEqual(m.data, sent.get(m.seq), `NDJSON: the data of seq ${m.seq}`);
        assert.deepEqual(polled.seqs, range(1, last), 'long polling in rotation over the nodes');
        assert.deepEqual(polled.gaps, [], 'long polling: no gap');
        assert.ok(polled.requests.every((n) => n >= 1), `every node answered polls: ${polled.requests}`);
        for (const m of polled.messages) assert.deepEqual(m.data, sent.get(m.seq), `poll: the data of seq ${m.seq}`);
        closeAll(clients);
    });

    test('a publish id is recognised on every node: 201 on one, 200 with the same seq on the others', async () => {
        const channel = 'cluster:dedupe';
        const [a, b, c] = cluster.urls;
        await publish(a, channel, { data: 'before' });
        const first = await publish(a, channel, { data: 'once', id: 'dedupe-1' });
        assert.equal(first.status, 201, first.text);
        assert.equal(first.json.seq, 2);
        for (const base of [b, c, nginx.url]) {
            const again = await publish(base, channel, { data: 'once', id: 'dedupe-1' });
            assert.equal(again.status, 200, `${base}: ${again.text}`);
            assert.equal(again.json.seq, first.json.seq, again.text);
            assert.equal(again.json.id, 'dedupe-1');
            assert.equal(again.json.time, first.json.time, 'the original time');
        }
        const next = await publish(c, channel, { data: 'after' });
        assert.equal(next.status, 201, next.text);
        assert.equal(next.json.seq, 3, 'the duplicates took no seq');
        // What every node reads (once its fan-out brought seq 3: read-your-writes is the next test).
        for (const base of cluster.urls) {
            let read;
            await until(async () => (read = await get(base, `/v1/channels/${channel}/messages?after=0`)).json?.last_seq >= 3,
                        5000, `seq 3 readable on ${base}`);
            assert.deepEqual(read.json.messages.map((m) => [m.seq, m.data]), [[1, 'before'], [2, 'once'], [3, 'after']], base);
        }
    });

    test('read-your-writes: a read on another node right after a 201 includes the message', { timeout: 30000 }, async () => {
        // Through a round-robin balancer a client's publish and its next read land on different
        // nodes; the message is in Redis once the publish answered 201.
        const channel = 'cluster:ryw';
        const urls = cluster.urls;
        const stale = [];
        for (let i = 0; i < 100; ++i) {
            const sent = await publish(urls[i % 3], channel, { data: i });
            assert.equal(sent.status, 201, sent.text);
            const reader = urls[(i + 1) % 3];
            const read = await get(reader, `/v1/channels/${channel}/messages?after=${sent.json.seq - 1}`);
            assert.equal(read.status, 200, read.text);
            if (read.json.messages[0]?.seq !== sent.json.seq || read.json.last_seq < sent.json.seq) {
                const info = await get(reader, `/v1/channels/${channel}`);
                stale.push(`201 seq ${sent.json.seq} from node-${(i % 3) + 1}, then node-${((i + 1) % 3) + 1} read ` +
                           `last_seq ${read.json.last_seq} with ${read.json.messages.length} message(s); ` +
                           `its GET /v1/channels/${channel} said last_seq ${info.json.last_seq}`);
            }
        }
        assert.deepEqual(stale, [], `${stale.length} of 100 reads missed the message just acknowledged`);
    });

    test('GET /v1/cluster lists the three nodes on each of them; one killed with -9 leaves within 3 heartbeats', { timeout: 30000 }, async (t) => {
        const ids = ['node-1', 'node-2', 'node-3'];
        // Every node has written its entry by now (they started with the describe).
        for (const base of [...cluster.urls, nginx.url]) {
            const res = await get(base, '/v1/cluster');
            assert.equal(res.status, 200, `${base}: ${res.text}`);
            const nodes = [...res.json.nodes].sort((x, y) => x.node.localeCompare(y.node));
            assert.deepEqual(nodes.map((n) => n.node), ids, res.text);
            nodes.forEach((n, i) => {
                assert.equal(n.address, `127.0.0.1:${cluster.nodes[i].port}`, res.text);
                assert.ok(Math.abs(Date.now() - n.heartbeat) < 2000, `a fresh heartbeat: ${res.text}`);
                assert.equal(typeof n.connections, 'number', res.text);
            });
        }
        const victim = cluster.nodes[2];
        await victim.kill();
        const killedAt = Date.now();
        const [a, b] = cluster.urls;
        // Heartbeats every 200 ms: gone from the list within 600 ms of its last one. The bound
        // allows one more period and the scheduling of two busy cores.
        await until(async () => {
            const [onA, onB] = [await listedNodes(a), await listedNodes(b)];
            return onA?.join() === 'node-1,node-2' && onB?.join() === 'node-1,node-2';
        }, 3 * 200 + 600, 'node-3 to leave /v1/cluster on node-1 and node-2').catch(async (error) => {
            throw new Error(`${error.message}: after ${Date.now() - killedAt} ms node-1 lists ` +
                            `${await listedNodes(a)}, node-2 lists ${await listedNodes(b)}`);
        });
        const took = Date.now() - killedAt;
        t.diagnostic(`node-3 left /v1/cluster ${took} ms after kill -9`);
        // And it stays gone (nobody writes its entry back): wait for the survivors' next three
        // heartbeats, the events that would bring a stale entry back, and look again.
        const beats = new Set();
        await until(async () => {
            const res = await get(a, '/v1/cluster');
            const one = res.status === 200 ? res.json.nodes.find((n) => n.node === 'node-1') : undefined;
            if (one) beats.add(one.heartbeat);
            return beats.size >= 4;
        }, 5000, 'three more heartbeats of node-1');
        assert.deepEqual(await listedNodes(a), ['node-1', 'node-2'], `left after ${took} ms, then came back`);
        assert.deepEqual(await listedNodes(b), ['node-1', 'node-2'], `left after ${took} ms, then came back`);
    });
});

describe('a node dies mid-stream', () => {
    const fx = useCluster({ nodes: 3 });

    test('its SSE client resumes on another node with Last-Event-ID: nothing lost, nothing twice', { timeout: 60000 }, async (t) => {
        const channel = 'cluster:failover';
        const [a, b] = fx.cluster.urls;
        const victim = fx.cluster.nodes[2];
        const first = await SseClient.open(victim.url, `/v1/channels/${channel}/events?after=0`);
        fx.clients.push(first);
        assert.equal(first.status, 200, first.raw);

        // Two publishers, on the nodes that live, go on until told to stop (at most 5000 messages).
        let stop = false;
        let published = 0;
        const acked = [];
        const publisher = async (base) => {
            while (!stop && published < 5000) {
                published += 1;
                const res = await publish(base, channel, { data: published });
                assert.equal(res.status, 201, `${base}: ${res.text}`);
                acked.push(res.json.seq);
            }
        };
        const publishing = Promise.all([publisher(a), publisher(b)]);
        let second;
        try {
            await until(() => first.count >= 100, 20000, 'the first 100 messages on node-3');
            await victim.kill();
            const ackedAtKill = acked.length;
            await until(() => first.ended, 5000, 'the SSE response to end with its node');
            assert.equal(first.orderError, undefined, 'SSE ids grew by one on node-3');
            const lastSeen = first.lastId;
            second = await SseClient.open(a, `/v1/channels/${channel}/events`, {
                headers: { 'Last-Event-ID': String(lastSeen) },
            });
            fx.clients.push(second);
            assert.equal(second.status, 200, second.raw);
            // Publishing went on during the kill and goes on a while after the resume.
            const resumedAt = acked.length;
            await until(() => acked.length >= resumedAt + 100, 20000, '100 more publishes after the resume');
            assert.ok(acked.length > ackedAtKill, 'publishes went on across the kill');
        } finally {
            stop = true;
            await publishing;
        }
        const last = Math.max(...acked);
        assert.deepEqual([...acked].sort((x, y) => x - y), range(1, last), 'every publish got its own seq');
        await until(() => second.lastId === last || second.count > last, 20000,
                    `the resumed client to reach seq ${last}`).catch((error) => {
            throw new Error(`${error.message}: at ${second.lastId}\n${fx.cluster.logs()}`);
        });
        assert.equal(second.orderError, undefined, 'SSE ids grow by one on node-1');
        assert.equal(second.events.filter((e) => e.event === 'gap').length, 0, 'no gap on resume');
        assert.equal(second.firstId, first.lastId + 1, 'the resume starts right after the last id seen');
        assert.deepEqual([...first.seqs, ...second.seqs], range(1, last), 'lost 0, duplicated 0');
        t.diagnostic(`node-3 killed after seq ${first.lastId}; resumed on node-1 up to ${last}`);
    });
});

describe('Redis pub/sub loses messages', () => {
    const fx = useCluster({ nodes: 2 });

    /// A WebSocket and an SSE subscriber of `channel` (from seq 1) on every node.
    async function subscribeEverywhere(channel) {
        const subs = [];
        for (const node of fx.cluster.nodes) {
            const ws = await connectWs(node.url);
            fx.clients.push(ws);
            const reply = await ws.request({ type: 'subscribe', channel, after: 0 });
            assert.equal(reply.type, 'subscribed', JSON.stringify(reply));
            subs.push({ name: `WebSocket on ${node.id}`, seqs: () => ws.seqs(channel),
                        gaps: () => ws.frames.filter((f) => f.type === 'gap') });
            const sse = await SseClient.open(node.url, `/v1/channels/${channel}/events?after=0`);
            fx.clients.push(sse);
            assert.equal(sse.status, 200, sse.raw);
            subs.push({ name: `SSE on ${node.id}`, seqs: () => sse.seqs, gaps: () => sse.events.filter((e) => e.event === 'gap'),
                        ended: () => sse.ended });
        }
        return subs;
    }

    /// Publishes a marker (seq total + 1) and waits for it everywhere: seqs come in order, so a
    /// duplicate of an earlier one would be there by then. Then checks seqs 1..total + 1, once each.
    async function expectAll(subs, total, channel) {
        const marker = await publish(fx.cluster.urls[0], channel, { data: 'marker' });
        assert.equal(marker.status, 201, marker.text);
        assert.equal(marker.json.seq, total + 1, marker.text);
        total += 1;
        await until(() => subs.every((s) => s.seqs().includes(total)), 20000, `every subscriber to get the marker, seq ${total}`)
            .catch((error) => {
                const counts = subs.map((s) => `${s.name}: ${s.seqs().length}, last ${s.seqs().at(-1)}`).join('; ');
                throw new Error(`${error.message} (${counts})\n${fx.cluster.logs()}`);
            });
        for (const s of subs) {
            assert.deepEqual(s.seqs(), range(1, total), s.name);
            assert.deepEqual(s.gaps(), [], `${s.name}: no gap`);
            assert.equal(s.ended?.() ?? false, false, `${s.name} stayed open`);
        }
    }

    test('CLIENT KILL TYPE pubsub mid-burst: the nodes read what they missed from the log', { timeout: 60000 }, async (t) => {
        const channel = 'cluster:pubsub-kill';
        const total = 600;
        const subs = await subscribeEverywhere(channel);
        const [a, b] = fx.cluster.urls;
        let published = 0;
        const publisher = async (base) => {
            while (published < total) {
                published += 1;
                const res = await publish(base, channel, { data: published });
                assert.equal(res.status, 201, `${base}: ${res.text}`);
            }
        };
        // Kills every subscriber connection (one per node) at 150, 300 and 450 published.
        const kills = [];
        const killer = (async () => {
            for (const at of [150, 300, 450]) {
                await until(() => published >= at, 30000, `${at} publishes`);
                kills.push({ at: published, killed: Number(await fx.redis.cli('CLIENT', 'KILL', 'TYPE', 'pubsub')) });
            }
        })();
        await Promise.all([publisher(a), publisher(b), killer]);
        t.diagnostic(`CLIENT KILL TYPE pubsub: ${JSON.stringify(kills)}`);
        assert.equal(kills[0].killed, 2, `the first kill hit both nodes' subscriber connections: ${JSON.stringify(kills)}`);
        assert.ok(kills.every((k) => k.at < total), `killed mid-burst: ${JSON.stringify(kills)}`);
        await expectAll(subs, total, channel);
        assert.ok(kills.slice(1).some((k) => k.killed > 0), `the nodes subscribed again in between: ${JSON.stringify(kills)}`);
    });

    test('a fan-out notice that never arrives (a script that left out its SPUBLISH): the next one brings the missing seq from the log', { timeout: 30000 }, async () => {
        const channel = 'cluster:pubsub-lost';
        const subs = await subscribeEverywhere(channel);
        const [a, b] = fx.cluster.urls;
        for (let i = 1; i <= 5; ++i) assert.equal((await publish(i % 2 ? a : b, channel, { data: i })).status, 201);
        await expectAll(subs, 5, channel);  // 1..5 and the marker, 6
        // Seq 7 is stored as the append script stores it (docs/CLUSTER.md, Keys), but nobody is told.
        const metaKeys = (await fx.redis.cli('--scan', '--pattern', `herald:*:c:${channel}:meta`)).split('\n').filter(Boolean);
        assert.equal(metaKeys.length, 1, `the channel's meta key: ${metaKeys}`);
        const base = metaKeys[0].slice(0, -':meta'.length);
        // An entry holds `time` and `m`, the message's fields as netstrings (id, event, data, time).
        const netstring = (text) => `${Buffer.byteLength(text)}:${text}`;
        const time = String(Date.now());
        const fields = [netstring('lost-7'), netstring('message'), netstring('{"lost":7}'), netstring(time)].join('');
        const script = "local seq = redis.call('HINCRBY', KEYS[1], 'last_seq', 1) " +
            "redis.call('XADD', KEYS[2], string.format('%d-0', seq), 'time', ARGV[1], 'm', ARGV[2]) " +
            'return seq';
        const stored = await fx.redis.cli('EVAL', script, 2, `${base}:meta`, `${base}:log`, time, fields);
        assert.equal(stored, '7');
        // Nothing arrives for it until the next fan-out notice, of seq 8.
        const eighth = await publish(b, channel, { data: 8 });
        assert.equal(eighth.status, 201, eighth.text);
        assert.equal(eighth.json.seq, 8);
        await expectAll(subs, 8, channel);  // 1..8 and the marker, 9
        const read = await get(a, `/v1/channels/${channel}/messages?after=6`);
        assert.deepEqual(read.json.messages.map((m) => [m.seq, m.id, m.data]),
                         [[7, 'lost-7', { lost: 7 }], [8, eighth.json.id, 8], [9, read.json.messages[2]?.id, 'marker']]);
    });
});

describe('Redis restarted with its append-only file', () => {
    let redis;
    let cluster;
    const clients = [];
    before(async () => {
        redis = await startRedis({ appendonly: true });
        // Room for everything the test publishes: a trimmed log would hide what is missing.
        cluster = await startCluster({ nodes: 3, redis, args: ['--history-max-messages', '5000'] });
    });
    after(async () => {
        closeAll(clients);
        await cluster?.stop();
        await redis?.destroy();
    });

    test('publishes get 503 while it is down, streams stay open, nothing acknowledged is lost, delivery resumes on every node', { timeout: 90000 }, async (t) => {
        const channel = 'cluster:aof';
        const urls = cluster.urls;
        const streams = [];
        for (const node of cluster.nodes) {
            const sse = await SseClient.open(node.url, `/v1/channels/${channel}/events?after=0`);
            clients.push(sse);
            assert.equal(sse.status, 200, sse.raw);
            streams.push({ name: `SSE on ${node.id}`, client: sse });
        }
        const ws = await connectWs(urls[0]);
        clients.push(ws);
        assert.equal((await ws.request({ type: 'subscribe', channel, after: 0 })).type, 'subscribed');
        const wsClosed = { value: false };
        ws.closed.then(() => { wsClosed.value = true; });

        // Every publish, whatever its answer: {id, status, seq, phase}. Ids make retries safe.
        const attempts = [];
        let n = 0;
        let phase = 'before';
        const publishOne = async (base) => {
            n += 1;
            const id = `aof-${n}`;
            const started = Date.now();
            const sentIn = phase;
            const res = await publish(base, channel, { data: n, id });
            const attempt = { id, status: res.status, seq: res.json?.seq, phase: sentIn, answeredIn: phase, base,
                              took: Date.now() - started,
                              retryAfter: res.headers.get('retry-after'), text: res.text };
            attempts.push(attempt);
            return attempt;
        };
        // A background publisher that goes on through the outage, round-robin over the nodes.
        let stop = false;
        const background = (async () => {
            for (let i = 0; !stop && i < 800; ++i) {
                const attempt = await publishOne(urls[i % urls.length]);
                if (attempt.status !== 201) await sleep(20);
            }
        })();
        try {
            await until(() => attempts.filter((x) => x.status === 201).length >= 60, 20000, '60 publishes before the outage');
            await redis.kill();
            phase = 'outage';
            for (const base of urls) {
                await until(async () => (await get(base, '/readyz')).status === 503, 5000, `/readyz 503 on ${base}`);
            }
            // Down for a while (the nodes' reconnect backoff grows meanwhile), publishing all along.
            await until(() => attempts.filter((x) => x.phase === 'outage').length >= 30, 10000, '30 publishes during the outage');
            // Down for sure now: every publish on every node is refused.
            const refused = [];
            for (let i = 0; i < 6; ++i) refused.push(await publishOne(urls[i % urls.length]));
            for (const r of refused) {
                assert.equal(r.status, 503, `a publish while Redis is down: ${JSON.stringify(r)}`);
                assert.equal(JSON.parse(r.text).error.code, 'unavailable', r.text);
                assert.ok(r.took < 3000, `answered within storage.redis_timeout: ${JSON.stringify(r)}`);
            }
            for (const s of streams) assert.equal(s.client.ended, false, `${s.name} stays open while Redis is down`);
            assert.equal(wsClosed.value, false, 'the WebSocket stays open while Redis is down');

            await redis.restart();
            phase = 'after';
            for (const base of urls) {
                await until(async () => (await get(base, '/readyz')).status === 200, 15000, `/readyz 200 on ${base}`)
                    .catch((error) => { throw new Error(`${error.message}\n${cluster.logs()}`); });
            }
            // Each node publishes again once it is ready.
            for (let i = 0; i < 30; ++i) {
                const r = await publishOne(urls[i % urls.length]);
                assert.equal(r.status, 201, `a publish after Redis came back and /readyz said 200: ${JSON.stringify(r)}\n${cluster.logs()}`);
            }
        } finally {
            stop = true;
            await background;
        }
        const acked = attempts.filter((x) => x.status === 201);
        const tally = {};
        for (const x of attempts) tally[`${x.phase}->${x.answeredIn} ${x.status}`] = (tally[`${x.phase}->${x.answeredIn} ${x.status}`] ?? 0) + 1;
        t.diagnostic(`publishes (sent->answered status: count): ${JSON.stringify(tally)}`);
        assert.deepEqual(attempts.filter((x) => x.status !== 201 && x.status !== 503), [], 'every answer is 201 or 503');
        // A publish sent and answered while Redis was down cannot have been stored: 503, never 201.
        assert.deepEqual(attempts.filter((x) => x.phase === 'outage' && x.answeredIn === 'outage' && x.status !== 503), [],
                         'every publish sent and answered during the outage is 503');
        assert.ok(attempts.some((x) => x.phase === 'outage' && x.answeredIn === 'outage'), 'some publishes during the outage');
        // Nothing acknowledged is missing, on any node, and no seq was given twice.
        const info = await get(urls[0], `/v1/channels/${channel}`);
        assert.equal(info.status, 200, info.text);
        const last = info.json.last_seq;
        assert.equal(new Set(acked.map((x) => x.seq)).size, acked.length, 'no seq acknowledged twice');
        for (const base of urls) {
            let messages;
            await until(async () => (messages = await readAll(base, channel)).at(-1)?.seq >= last, 5000, `seq ${last} on ${base}`);
            assert.deepEqual(messages.map((m) => m.seq), range(1, last), `${base}: the log is whole`);
            const byId = new Map(messages.map((m) => [m.id, m.seq]));
            for (const x of acked) assert.equal(byId.get(x.id), x.seq, `${base}: acknowledged ${JSON.stringify(x)} is readable`);
        }
        // The ones refused may have been stored anyway (in flight when Redis died): a retry with the
        // same id answers 200 with that seq, or stores it now; never a second copy.
        const storedIds = new Map((await readAll(urls[1], channel)).map((m) => [m.id, m.seq]));
        let retried = 0;
        for (const x of attempts.filter((y) => y.status === 503)) {
            const again = await publish(urls[retried++ % urls.length], channel, { data: Number(x.id.slice(4)), id: x.id });
            if (storedIds.has(x.id)) {
                assert.equal(again.status, 200, `retry of ${x.id}, stored as seq ${storedIds.get(x.id)}: ${again.text}`);
                assert.equal(again.json.seq, storedIds.get(x.id));
            } else {
                assert.equal(again.status, 201, `retry of ${x.id}: ${again.text}`);
            }
        }
        const final = (await get(urls[2], `/v1/channels/${channel}`)).json.last_seq;
        const ids = (await readAll(urls[2], channel)).map((m) => m.id);
        assert.equal(new Set(ids).size, ids.length, 'no id stored twice');

        // The subscribers that stayed connected got all of it, once, in order: what was committed
        // before, during (in flight) and after the outage.
        await until(() => streams.every((s) => s.client.count >= final) && ws.seqs(channel).length >= final, 20000,
                    `every subscriber to reach seq ${final}`).catch((error) => {
            const counts = streams.map((s) => `${s.name}: ${s.client.count} (last ${s.client.lastId})`).join('; ');
            throw new Error(`${error.message} (${counts}; WebSocket: ${ws.seqs(channel).length})\n${cluster.logs()}`);
        });
        for (const s of streams) {
            assert.equal(s.client.ended, false, `${s.name} is still the same response`);
            assert.equal(s.client.orderError, undefined, `${s.name}: ids grow by one`);
            assert.deepEqual(s.client.seqs, range(1, final), s.name);
            assert.equal(s.client.events.filter((e) => e.event === 'gap').length, 0, `${s.name}: no gap`);
        }
        assert.deepEqual(ws.seqs(channel), range(1, final), 'the WebSocket');
        assert.deepEqual(ws.frames.filter((f) => f.type === 'gap' || f.type === 'error'), [], 'WebSocket: no gap, no error');
        assert.equal(wsClosed.value, false, 'the WebSocket is still open');
        // Last, so that a missing header does not hide the rest: the 503s say when to retry.
        assert.deepEqual(attempts.filter((x) => x.status === 503 && x.retryAfter === null).map((x) => x.id), [],
                         'every 503 has Retry-After (API.md Cluster: "503 unavailable with Retry-After")');
    });
});

describe('Redis restarted without persistence', () => {
    const fx = useCluster({ nodes: 2 });

    test('a cursor beyond the new last_seq gets the reset gap, on WebSocket and in a poll, on every node', { timeout: 60000 }, async () => {
        const channel = 'cluster:reset';
        const [a, b] = fx.cluster.urls;
        for (let i = 1; i <= 10; ++i) {
            const res = await publish(i % 2 ? a : b, channel, { data: i });
            assert.equal(res.status, 201, res.text);
            assert.equal(res.json.seq, i);
        }
        // Both nodes have seen the channel up to seq 10 (the reads warm their windows too).
        for (const base of [a, b]) {
            let read;
            await until(async () => (read = await get(base, `/v1/channels/${channel}/messages?after=8`)).json?.last_seq === 10,
                        5000, `seq 10 on ${base}`);
            assert.deepEqual(read.json.messages.map((m) => m.seq), [9, 10], base);
        }

        await fx.redis.kill();
        await fx.redis.restart();  // empty: no AOF, no snapshot
        for (const base of [a, b]) {
            await until(async () => (await get(base, '/readyz')).status === 200, 15000, `/readyz 200 on ${base}`)
                .catch((error) => { throw new Error(`${error.message}\n${fx.cluster.logs()}`); });
        }
        for (let i = 1; i <= 3; ++i) {
            const res = await publish(i % 2 ? b : a, channel, { data: `new ${i}` });
            assert.equal(res.status, 201, res.text);
            assert.equal(res.json.seq, i, `the channel starts again at seq 1: ${res.text}\n${fx.cluster.logs()}`);
        }
        const gap = { type: 'gap', channel, after: 10, first_seq: 1, reset: true };
        for (const base of [a, b]) {
            // Once this node has seen seq 3 (a read on one node may lag a 201 on another: the
            // read-your-writes test above).
            let read;
            await until(async () => (read = await get(base, `/v1/channels/${channel}/messages?after=10`)).json?.last_seq >= 3,
                        5000, `last_seq 3 on ${base}`).catch((error) => { throw new Error(`${error.message}: ${read?.text}`); });
            assert.equal(read.status, 200, read.text);
            assert.deepEqual(read.json.gap, gap, `${base}: ${read.text}`);
            assert.deepEqual(read.json.messages.map((m) => [m.seq, m.data]), [[1, 'new 1'], [2, 'new 2'], [3, 'new 3']], `${base}: ${read.text}`);
            assert.equal(read.json.last_seq, 3, read.text);

            const ws = await connectWs(base);
            fx.clients.push(ws);
            const reply = await ws.request({ type: 'subscribe', channel, after: 10 });
            assert.equal(reply.type, 'subscribed', JSON.stringify(reply));
            assert.equal(reply.last_seq, 3, JSON.stringify(reply));
            await until(() => ws.seqs(channel).length >= 3, 5000, `messages 1..3 after the reset gap on ${base}`)
                .catch((error) => { throw new Error(`${error.message}: ${JSON.stringify(ws.frames)}`); });
            const after = ws.frames.slice(ws.frames.indexOf(reply) + 1);
            assert.deepEqual(after[0], gap, `${base}: the reset gap first: ${JSON.stringify(ws.frames)}`);
            assert.deepEqual(after.slice(1).map((f) => [f.type, f.seq, f.data]),
                             [['message', 1, 'new 1'], ['message', 2, 'new 2'], ['message', 3, 'new 3']], JSON.stringify(ws.frames));
        }
    });
    test('a subscriber connected across the reset gets the reset gap, then the channel from seq 1', { timeout: 60000 }, async () => {
        const channel = 'cluster:reset-live';
        const [a, b] = fx.cluster.urls;
        // On each node: a WebSocket, an SSE response and an NDJSON stream, from seq 1.
        const subs = [];
        for (const node of fx.cluster.nodes) {
            const ws = await connectWs(node.url);
            fx.clients.push(ws);
            assert.equal((await ws.request({ type: 'subscribe', channel, after: 0 })).type, 'subscribed');
            subs.push({ name: `WebSocket on ${node.id}`,
                        items: () => ws.frames.filter((f) => f.type === 'message' || f.type === 'gap').map(({ type, ...rest }) => (type === 'gap' ? { type, ...rest } : rest)) });
            const sse = await SseClient.open(node.url, `/v1/channels/${channel}/events?after=0`);
            fx.clients.push(sse);
            subs.push({ name: `SSE on ${node.id}`, items: () => sse.events.map((e) => JSON.parse(e.data)), ended: () => sse.ended });
            const ndjson = await StreamClient.open(node.url, `/v1/channels/${channel}/stream?after=0`);
            fx.clients.push(ndjson);
            subs.push({ name: `NDJSON on ${node.id}`, items: () => ndjson.lines, ended: () => ndjson.ended });
        }
        for (let i = 1; i <= 10; ++i) assert.equal((await publish(i % 2 ? a : b, channel, { data: i })).status, 201);
        await until(() => subs.every((s) => s.items().length >= 10), 10000, 'every subscriber to get seqs 1..10');

        await fx.redis.kill();
        await fx.redis.restart();  // empty: no AOF, no snapshot
        for (const base of [a, b]) {
            await until(async () => (await get(base, '/readyz')).status === 200, 15000, `/readyz 200 on ${base}`);
        }
        for (let i = 1; i <= 3; ++i) {
            const res = await publish(i % 2 ? b : a, channel, { data: `new ${i}` });
            assert.equal(res.status, 201, res.text);
            assert.equal(res.json.seq, i, res.text);
        }
        const summary = () => subs.map((s) => `${s.name}: ${JSON.stringify(s.items().slice(10).map((x) => x.type ?? x.seq))}`).join('; ');
        await until(() => subs.every((s) => s.items().length >= 14), 5000,
                    'the reset gap and seqs 1..3 on every subscriber that stayed connected').catch((error) => {
            throw new Error(`${error.message}: after seq 10 they got ${summary()}\n${fx.cluster.logs()}`);
        });
        const gap = { type: 'gap', channel, after: 10, first_seq: 1, reset: true };
        for (const s of subs) {
            const items = s.items();
            assert.deepEqual(items.slice(0, 10).map((m) => m.seq), range(1, 10), s.name);
            assert.deepEqual(items[10], gap, `${s.name}: the reset gap`);
            assert.deepEqual(items.slice(11).map((m) => [m.seq, m.data]), [[1, 'new 1'], [2, 'new 2'], [3, 'new 3']], s.name);
            assert.equal(s.ended?.() ?? false, false, `${s.name} stayed open`);
        }
    });
});

/// The value of an unlabelled sample in `base`'s /metrics, or undefined.
async function metric(base, name) {
    const res = await get(base, '/metrics');
    assert.equal(res.status, 200, res.text);
    const line = res.text.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('a node subscribes to the fan-out only for what its subscribers follow', () => {
    const fx = useCluster({ nodes: 2 });

    test('a partition is subscribed on the node with a subscriber, not on the other; /metrics shows the Redis side', async () => {
        const [a, b] = fx.cluster.urls;
        for (const base of [a, b]) {
            await until(async () => (await get(base, '/readyz')).status === 200, 10000, `/readyz 200 on ${base}`);
            assert.equal(await metric(base, 'herald_redis_partitions_subscribed'), 0, `${base}: nothing followed yet`);
        }
        const channel = 'follow:only';
        const sse = await SseClient.open(a, `/v1/channels/${channel}/events`);
        fx.clients.push(sse);
        assert.equal(sse.status, 200, sse.raw);
        await until(async () => (await metric(a, 'herald_redis_partitions_subscribed')) === 1, 5000,
                    'node a to subscribe to the partition of its subscriber\'s channel');
        // The SSE stream is live once it knows the channel's position: the subscription is in
        // place before that (the read waits for it), so a message published now reaches it.
        await until(async () => (await get(a, `/v1/channels/${channel}`)).json?.subscribers === 1, 5000,
                    'the subscriber counted on node a');
        const other = await publish(b, 'follow:other', { data: 'not followed' });
        assert.equal(other.status, 201, other.text);
        const sent = await publish(b, channel, { data: 'from b' });
        assert.equal(sent.status, 201, sent.text);
        await until(() => sse.seqs.includes(sent.json.seq), 5000, 'the SSE subscriber on a to get the message published on b');
        assert.deepEqual(sse.messages.map((m) => m.data), ['from b']);

        assert.equal(await metric(b, 'herald_redis_partitions_subscribed'), 0, 'b has no subscriber');
        assert.equal(await metric(b, 'herald_redis_fanout_messages_total'), 0, 'b hears no fan-out');
        assert.ok(await metric(a, 'herald_redis_fanout_messages_total') >= 1, 'a heard its channel');
        assert.ok(await metric(b, 'herald_redis_commands_total') >= 2, 'b sent its publish scripts');
        assert.ok(await metric(b, 'herald_redis_command_latency_seconds_count') >= 2, 'and timed them');
        assert.equal(await metric(b, 'herald_redis_reconnects_total'), 0);
        assert.equal(await metric(a, 'herald_redis_catch_up_reads_total'), 0, 'nothing to catch up');
        closeAll(fx.clients);
    });
});
