// WebSocket at scale and under pressure (API.md: WebSocket, Flow control): ten thousand npm `ws`
// connections held by child processes all get every message of their channel in order, and a
// subscriber that stops reading is closed with 1013 "slow consumer" while a healthy one of the
// same channel misses nothing and the server's memory stays bounded.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { publish, startHerald } from '../support/herald.mjs';
import { metricValue, rssBytes, until } from '../support/streams.mjs';
import { closeInfo, connectWs, rawWs } from '../support/ws.mjs';

const holderScript = fileURLToPath(new URL('../support/ws.mjs', import.meta.url));

/// A child process holding WebSocket connections (see the holder in support/ws.mjs).
function spawnHolder() {
    const child = fork(holderScript, [], {
        env: { ...process.env, HERALD_WS_HOLDER: '1' },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const waiters = [];
    child.on('message', (m) => {
        const i = waiters.findIndex((w) => w.events.includes(m.event));
        if (i >= 0) waiters.splice(i, 1)[0].resolve(m);
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const wait = (events, ms, what) => new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`holder ${child.pid}: no ${what} within ${ms} ms`)), ms);
        waiters.push({ events, resolve: (m) => { clearTimeout(timer); resolve(m); } });
    });
    return {
        child,
        exited,
        ready: wait(['ready'], 10000, 'ready'),
        ask: (message, events, ms, what) => {
            const reply = wait(events, ms, what);
            child.send(message);
            return reply;
        },
        kill: () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
            return exited;
        },
    };
}

const wsConnections = (herald) => metricValue(herald.url, 'herald_connections', '{transport="ws"}');

describe('websocket scale', () => {
    const HOLDERS = 4;
    const PER_HOLDER = 2500;
    const TOTAL = HOLDERS * PER_HOLDER;
    const MESSAGES = 100;
    let herald;
    let holders = [];
    // Every holder connects from 127.0.0.1: no per-address bound.
    before(async () => { herald = await startHerald({ args: ['--limits-max-connections-per-ip', '0'] }); });
    after(async () => {
        await Promise.all(holders.map((h) => h.kill()));
        await herald.stop();
    });

    test(`${TOTAL} WebSocket connections each get all ${MESSAGES} messages in order`, { timeout: 180000 }, async () => {
        const channel = 'scale:ws';
        // The server holds TOTAL sockets, each holder PER_HOLDER: a low open-file limit is the
        // environment's, not a server bug, and says so instead of failing obscurely.
        const limit = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
        assert.ok(limit === 'unlimited' || Number(limit) >= TOTAL + 1000,
            `this test needs an open-file limit (ulimit -n) of at least ${TOTAL + 1000}, not ${limit}`);
        holders = Array.from({ length: HOLDERS }, spawnHolder);
        await Promise.all(holders.map((h) => h.ready));

        const opened = await Promise.all(holders.map((h) => h.ask(
            { cmd: 'open', base: herald.url, channel, count: PER_HOLDER, expect: MESSAGES, concurrency: 50 },
            ['subscribed', 'failed'], 120000, 'subscriptions')));
        for (const o of opened) assert.equal(o.event, 'subscribed', `a holder could not open its connections: ${o.error}`);
        assert.deepEqual(opened.map((o) => o.count), holders.map(() => PER_HOLDER));
        await until(async () => (await wsConnections(herald)) === TOTAL, 10000, `herald_connections{transport="ws"} = ${TOTAL}`);
        const info = await (await fetch(`${herald.url}/v1/channels/${channel}`)).json();
        assert.equal(info.subscribers, TOTAL);

        for (let i = 1; i <= MESSAGES; ++i) {
            const res = await publish(herald.url, channel, { data: { i } });
            assert.equal(res.status, 201, res.text);
            assert.equal(res.json.seq, i);
        }

        let reports = [];
        const everyone = async () => {
            reports = await Promise.all(holders.map((h) => h.ask({ cmd: 'report' }, ['report'], 20000, 'report')));
            return reports.every((r) => r.complete === PER_HOLDER || r.errors.length > 0 || r.closedEarly > 0);
        };
        try {
            await until(everyone, 90000, 'every connection to receive every message');
        } catch (error) {
            throw new Error(`${error.message}: ${JSON.stringify(reports.map(({ errors, ...r }) => ({ ...r, errors: errors.slice(0, 3) })))}`);
        }
        for (const r of reports) {
            assert.deepEqual(r.errors, [], 'no seq out of order, duplicate or stray frame');
            assert.equal(r.closedEarly, 0, 'no connection closed by the server');
            assert.equal(r.connections, PER_HOLDER);
            assert.equal(r.open, PER_HOLDER);
            assert.equal(r.complete, PER_HOLDER);
            assert.equal(r.minCount, MESSAGES);
            assert.equal(r.maxCount, MESSAGES);
            assert.equal(r.minLast, MESSAGES);
            assert.equal(r.received, PER_HOLDER * MESSAGES);
        }
        assert.equal(await wsConnections(herald), TOTAL);

        const closed = await Promise.all(holders.map((h) => h.ask({ cmd: 'close' }, ['closed'], 60000, 'close')));
        for (const c of closed) assert.equal(c.late, false, 'every close handshake completed');
        await Promise.all(holders.map((h) => h.exited));
        await until(async () => (await wsConnections(herald)) === 0, 20000, 'herald_connections{transport="ws"} back to 0');
        await until(async () => (await (await fetch(`${herald.url}/v1/channels/${channel}`)).json()).subscribers === 0,
            10000, 'no subscriber left');
    });
});

describe('websocket slow consumer', () => {
    let herald;
    // A peer that reads again within websocket.close_timeout gets its close frame; this one
    // resumes after the healthy client caught up, so the deadline is long here (a peer that
    // never reads again is let go at the deadline: let_go.test.mjs).
    before(async () => { herald = await startHerald({ args: ['--websocket-close-timeout', '60s'] }); });
    after(async () => { await herald.stop(); });

    test('a subscriber that stops reading is closed with 1013; a healthy one gets everything; memory stays bounded',
        { timeout: 120000 }, async () => {
            const channel = 'slow:ws';
            const payload = 'x'.repeat(60 * 1024);  // under the 64 KiB publish limit with its envelope
            const before = (await metricValue(herald.url, 'herald_slow_consumer_closes_total')) ?? 0;
            // Under AddressSanitizer (`make asan` sets ASAN_OPTIONS) RSS also holds its shadow
            // memory and quarantine of freed blocks, as in the SSE test.
            const limit = (process.env.ASAN_OPTIONS ? 1024 : 300) * 1024 * 1024;

            const slow = await rawWs(herald.port);
            assert.equal(slow.status, 101);
            slow.sendJson({ type: 'subscribe', channel, ref: 1 });
            const subscribed = await slow.waitFrame((f) => f.opcode === 0x1, 5000, 'subscribed');
            assert.deepEqual(JSON.parse(subscribed.payload.toString()), { type: 'subscribed', channel, last_seq: 0, ref: 1 });
            slow.socket.pause();

            const healthy = await connectWs(herald.url);
            try {
                assert.equal((await healthy.request({ type: 'subscribe', channel })).type, 'subscribed');

                // Publish until the slow one is dropped: the kernel's socket buffers take a few MB
                // first, the server's 1 MiB send queue the rest. Bounded: 600 x 60 KiB = 36 MiB.
                let published = 0;
                let maxRss = 0;
                let dropped = false;
                while (published < 600) {
                    const res = await publish(herald.url, channel, { data: { n: published + 1, payload } });
                    assert.equal(res.status, 201, res.text);
                    published += 1;
                    if (published % 10 === 0) {
                        maxRss = Math.max(maxRss, rssBytes(herald.proc.pid));
                        if ((await metricValue(herald.url, 'herald_slow_consumer_closes_total')) > before) {
                            dropped = true;
                            // A few more once it is gone: nobody keeps queueing for it.
                            if (published >= 40) break;
                        }
                    }
                }
                assert.ok(dropped, `the slow consumer was not closed after ${published} messages of 60 KiB`);
                maxRss = Math.max(maxRss, rssBytes(herald.proc.pid));
                assert.ok(maxRss < limit, `server RSS ${maxRss} bytes`);

                // The healthy subscriber gets every message, in order, while the slow one is dropped.
                await until(() => healthy.seqs(channel).length >= published, 60000, `the healthy client to get ${published} messages`);
                assert.deepEqual(healthy.seqs(channel), Array.from({ length: published }, (_, i) => i + 1));
                assert.ok(healthy.frames.filter((f) => f.type === 'message').every((m) => m.data.payload === payload && m.data.n === m.seq));
                assert.equal(healthy.readyState, 1, 'the healthy client is still open');

                // The slow one reads again: whole frames, messages in order from seq 1 without a
                // hole, then a close frame 1013 "slow consumer".
                slow.socket.resume();
                const close = await slow.waitFrame((f) => f.opcode === 0x8, 30000, 'the close frame');
                const info = closeInfo(close);
                assert.equal(info.code, 1013);
                assert.equal(info.reason, 'slow consumer');
                const messages = slow.messages().filter((m) => m.type === 'message');
                assert.ok(messages.length < published, `the slow consumer got ${messages.length} of ${published} before its close`);
                assert.deepEqual(messages.map((m) => m.seq), Array.from({ length: messages.length }, (_, i) => i + 1),
                    'what it got is a prefix of the channel: it can resume from its last seq');
                assert.equal(slow.frames.indexOf(close), slow.frames.length - 1, 'nothing after the close frame');
                assert.ok(slow.frames.every((f) => !f.masked && !f.rsv1), 'server frames are unmasked, uncompressed');
                slow.socket.end();
                await Promise.race([slow.closed, new Promise((_, reject) => setTimeout(() => reject(new Error('the server did not end the slow connection')), 10000))]);

                assert.ok((await metricValue(herald.url, 'herald_slow_consumer_closes_total')) >= before + 1);
                assert.ok(rssBytes(herald.proc.pid) < limit, 'server RSS after the drop');
                assert.equal(await metricValue(herald.url, 'herald_connections', '{transport="ws"}'), 1, 'only the healthy client left');
                // Still served.
                assert.equal((await healthy.request({ type: 'ping' })).type, 'pong');
            } finally {
                healthy.close();
                slow.socket.destroy();
            }
        });
});
