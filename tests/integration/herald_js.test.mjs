// herald.js (web/herald.js, the file the binary serves) driven from Node against the real server:
// the same API over each transport (npm `ws` stands in for the browser's WebSocket), gaps, history,
// idempotent publish, presence events, unsubscribe, and the reconnect backoff.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';

import { Herald, HeraldError, TRANSPORTS } from '../../web/herald.js';
import { eventually, freePort, get, publish, startHerald } from '../support/herald.mjs';
import { connectWs } from '../support/ws.mjs';

globalThis.WebSocket ??= WebSocket;

const fast = { pollInterval: 100, longPollWait: 5, presenceInterval: 100 };

describe('herald.js', () => {
    let herald;
    before(async () => { herald = await startHerald({ args: ['--history-max-messages', '3'] }); });
    after(() => herald.stop());

    for (const transport of TRANSPORTS) {
        test(`${transport}: gap, retained history, live messages, publish, presence, unsubscribe`, async () => {
            const channel = `js-${transport}`;
            for (let i = 1; i <= 5; i++) await publish(herald.url, channel, { data: i });
            const client = new Herald({ url: herald.url, transport, ...fast });
            const states = [];
            client.on('state', (s) => states.push(s.state));
            const sub = client.subscribe(channel, { after: 0, presence: true });
            const seen = [];
            const gaps = [];
            const joins = [];
            sub.on('message', (m) => seen.push(m.data));
            sub.on('gap', (g) => gaps.push(g));
            sub.on('join', (j) => joins.push(j));
            await client.connect();
            try {
                assert.equal(client.transport, transport);
                assert.deepEqual(states, ['connecting', 'connected']);
                await eventually(() => seen.length === 3, 3000, 'retained history');
                assert.deepEqual(seen, [3, 4, 5]);
                assert.deepEqual(gaps, [{ type: 'gap', channel, after: 0, first_seq: 3 }]);

                // Publish: the seq, and a retry with the same id stores nothing twice.
                const ack = await client.publish(channel, { n: 6 }, { id: 'same-id', event: 'custom' });
                assert.equal(ack.seq, 6);
                assert.equal(ack.id, 'same-id');
                assert.equal((await client.publish(channel, { n: 6 }, { id: 'same-id' })).seq, 6);
                await eventually(() => seen.length === 4, 3000, 'own publish, event "custom"');
                assert.deepEqual(seen[3], { n: 6 });

                // Presence: another client joins and shows as a join event, then leaves.
                // This client is listed (a long poller from its first held read; a poller may
                // be listed once per keep-alive connection it polled on).
                await eventually(async () => (await client.presence(channel)).length >= 1, 3000,
                                 'this client listed');
                const before = new Set((await client.presence(channel)).map((c) => c.client));
                const other = await connectWs(herald.url);
                let otherId;
                try {
                    other.send(JSON.stringify({ type: 'subscribe', channel }));
                    await eventually(async () => {
                        otherId = (await get(herald.url, `/v1/channels/${channel}/presence`)).json.clients
                                .find((c) => !before.has(c.client) && c.transport === 'websocket')?.client;
                        return otherId !== undefined;
                    }, 3000, 'the other client listed');
                    await eventually(() => joins.some((j) => j.client === otherId), 3000, 'its join event');
                    assert.ok(sub.members.has(otherId));
                } finally {
                    other.close();
                }
                const left = new Promise((resolve) => sub.once('leave', resolve));
                assert.equal((await left).client, otherId);
                assert.ok(!sub.members.has(otherId));

                // Unsubscribe: nothing more arrives. As a marker, a new subscription from seq 6
                // gets 7 over the same transport: the client has had 7 to hand out, and the old
                // subscription was not given it (had it stayed, subscribe would return it).
                sub.unsubscribe();
                await publish(herald.url, channel, { data: 7 });
                const again = client.subscribe(channel, { after: 6 });
                assert.notEqual(again, sub, 'a new subscription');
                const seenAgain = [];
                again.on('message', (m) => seenAgain.push(m.data));
                await eventually(() => seenAgain.length === 1, 3000, 'message 7 on the new subscription');
                assert.deepEqual(seenAgain, [7]);
                assert.equal(seen.length, 4);
            } finally {
                client.disconnect();
            }
            assert.equal(client.state, 'disconnected');
        });
    }

    test('subscribing once connected, to a second channel, works on every transport', async () => {
        for (const transport of TRANSPORTS) {
            const client = new Herald({ url: herald.url, transport, ...fast });
            await client.connect();
            try {
                const seen = [];
                client.on('message', (m) => seen.push(`${m.channel}/${m.data}`));
                client.subscribe(`late-a-${transport}`, { after: 0 });
                client.subscribe(`late-b-${transport}`, { presence: true });
                // Once the live subscription has its cursor, nothing published can be missed.
                await eventually(() => client.subscriptions.get(`late-b-${transport}`).lastSeq !== null, 3000,
                                 'the live cursor');
                await publish(herald.url, `late-a-${transport}`, { data: 1 });
                await publish(herald.url, `late-b-${transport}`, { data: 2 });
                await eventually(() => seen.length === 2, 3000, `${transport}: both channels`);
                assert.deepEqual(seen.sort(), [`late-a-${transport}/1`, `late-b-${transport}/2`]);
            } finally {
                client.disconnect();
            }
        }
    });

    test('subscribing while the transport opens is caught up once it is open', async () => {
        for (const transport of TRANSPORTS) {
            const client = new Herald({ url: herald.url, transport, ...fast });
            const connected = client.connect();  // opening now, with no subscription
            const sub = client.subscribe(`during-${transport}`, { after: 0 });
            const seen = [];
            sub.on('message', (m) => seen.push(m.data));
            await connected;
            try {
                await publish(herald.url, `during-${transport}`, { data: 'x' });
                await eventually(() => seen.length === 1, 3000, `${transport}: the message`);
            } finally {
                client.disconnect();
            }
        }
    });

    test('a refused subscription ends with an error event; the others and the connection live on', async () => {
        for (const transport of TRANSPORTS) {
            for (const when of ['before connect', 'once connected']) {
                const client = new Herald({ url: herald.url, transport, ...fast });
                const states = [];
                client.on('state', (s) => states.push(s.state));
                const good = client.subscribe(`fine-${transport}`, { after: 0 });
                const seen = [];
                good.on('message', (m) => seen.push(m.data));
                let bad;
                const refused = new Promise((resolve) => {
                    const subscribeBad = () => {
                        bad = client.subscribe('not a channel!', { presence: true });
                        bad.on('error', resolve);
                    };
                    if (when === 'before connect') subscribeBad();
                    else client.connect().then(subscribeBad);
                });
                await client.connect();
                try {
                    const error = await refused;
                    assert.ok(error instanceof HeraldError, `${transport} ${when}: ${error}`);
                    assert.equal(error.code, 'bad_request');
                    assert.equal(client.subscriptions.has('not a channel!'), false);
                    await publish(herald.url, `fine-${transport}`, { data: when });
                    await eventually(() => seen.includes(when), 3000, `${transport} ${when}: the good channel`);
                    assert.equal(client.state, 'connected');
                    assert.ok(!states.includes('reconnecting'), `${transport} ${when}: ${states}`);
                } finally {
                    client.disconnect();
                }
            }
        }
    });

    test('publish waiting for a connection rejects when disconnect() comes first', async () => {
        const client = new Herald({ url: 'http://127.0.0.1:9', transport: 'poll', backoff: { initial: 10000 } });
        client.connect();
        const pending = client.publish('x', 1);
        client.disconnect();
        await assert.rejects(pending, (e) => e instanceof HeraldError && e.code === 'disconnected');
    });

    test('a refused publish rejects with a HeraldError carrying the API code', async () => {
        for (const transport of ['websocket', 'poll']) {
            const client = new Herald({ url: herald.url, transport });
            await client.connect();
            try {
                await assert.rejects(client.publish('bad channel!', 1),
                                     (e) => e instanceof HeraldError && e.code === 'bad_request');
            } finally {
                client.disconnect();
            }
        }
    });

    test('a live subscription (no after) starts at the channel\'s last seq', async () => {
        for (const transport of TRANSPORTS) {
            const channel = `live-${transport}`;
            await publish(herald.url, channel, { data: 'old' });
            const client = new Herald({ url: herald.url, transport, ...fast });
            const sub = client.subscribe(channel);
            const seen = [];
            sub.on('message', (m) => seen.push(m.data));
            await client.connect();
            try {
                assert.equal(sub.lastSeq, 1, transport);
                await publish(herald.url, channel, { data: 'new' });
                await eventually(() => seen.length === 1, 3000, `${transport}: the live message`);
                assert.deepEqual(seen, ['new']);
            } finally {
                client.disconnect();
            }
        }
    });
});

test('herald.js: a server that lost the channel (memory storage restarted) resets the cursor', async () => {
    const port = await freePort();
    const listen = `127.0.0.1:${port}`;
    for (const transport of TRANSPORTS) {
        let herald = await startHerald({ listen, args: ['--storage', 'memory'] });
        const channel = `reset-${transport}`;
        for (let i = 1; i <= 3; i++) await publish(herald.url, channel, { data: `old${i}` });
        const client = new Herald({ url: herald.url, transport, ...fast,
                                    backoff: { initial: 50, max: 200, factor: 2, jitter: 0 } });
        const sub = client.subscribe(channel, { after: 0 });
        const seen = [];
        const gaps = [];
        sub.on('message', (m) => seen.push(m.data));
        sub.on('gap', (g) => gaps.push(g));
        await client.connect();
        try {
            await eventually(() => seen.length === 3, 5000, `${transport}: the first messages`);
            await herald.stop();
            herald = await startHerald({ listen, args: ['--storage', 'memory'] });
            for (let i = 1; i <= 2; i++) await publish(herald.url, channel, { data: `new${i}` });
            await eventually(() => seen.length === 5, 10000, `${transport}: the channel's new messages`);
            assert.deepEqual(seen, ['old1', 'old2', 'old3', 'new1', 'new2'], transport);
            assert.equal(gaps.length, 1, transport);
            assert.equal(gaps[0].reset, true, transport);
            assert.equal(gaps[0].after, 3, transport);
            assert.equal(sub.lastSeq, 2, transport);
        } finally {
            client.disconnect();
            await herald.stop();
        }
    }
});

test('herald.js: with no server, reconnects with growing, jittered delays', async () => {
    const port = await freePort();  // nothing listens there
    const backoff = { initial: 40, max: 200, factor: 2, jitter: 0.5 };
    const client = new Herald({ url: `http://127.0.0.1:${port}`, transport: 'auto', backoff, openTimeout: 1000 });
    const retries = [];
    client.on('state', (s) => { if (s.state === 'reconnecting') retries.push(s); });
    client.connect();
    try {
        await eventually(() => retries.length >= 5, 5000, 'five retries');
    } finally {
        client.disconnect();
    }
    retries.slice(0, 5).forEach(({ attempt, delay }, i) => {
        assert.equal(attempt, i + 1);
        const step = Math.min(backoff.max, backoff.initial * 2 ** i);
        assert.ok(delay >= step / 2 && delay <= step, `attempt ${attempt}: ${delay} in [${step / 2}, ${step}]`);
    });
    assert.equal(client.state, 'disconnected');
});

test('herald.js: a server that stops answering is a drop (WebSocket pings, SSE silence, poll timeouts)', async () => {
    // SIGSTOP freezes the server: sockets stay open but nothing answers, as on a dead link.
    const herald = await startHerald();
    try {
        const cases = [['websocket', { heartbeat: 200 }, /no pong/], ['sse', { silence: 400 }, /fell silent/],
                       ['poll', { pollInterval: 100 }, /no answer to GET .* within 10000 ms/]];
        for (const [transport, option, reason] of cases) {
            const client = new Herald({ url: herald.url, transport, ...option });
            client.subscribe(`frozen-${transport}`);
            await client.connect();
            const drop = new Promise((resolve) => client.on('state', (s) => {
                if (s.state === 'reconnecting') resolve(client.lastError);
            }));
            herald.proc.kill('SIGSTOP');
            try {
                const error = await drop;
                assert.match(error.message, reason);
            } finally {
                herald.proc.kill('SIGCONT');
            }
            await client.connect();  // and it comes back by itself once the server answers
            assert.equal(client.state, 'connected');
            client.disconnect();
        }
    } finally {
        await herald.stop();
    }
});

test('herald.js passes its token: Authorization on fetches, ?token= on the WebSocket URL', async () => {
    // A stand-in server that records what it is sent (Herald's auth is not built yet).
    const http = await import('node:http');
    const seen = [];
    const server = http.createServer((req, res) => {
        seen.push({ url: req.url, authorization: req.headers.authorization });
        res.setHeader('Content-Type', 'application/json');
        if (req.url.startsWith('/v1/channels/c/messages') && req.method === 'POST') {
            res.statusCode = 201;
            return res.end('{"channel":"c","seq":1,"id":"x","time":1}');
        }
        if (req.url.startsWith('/v1/channels/c/messages')) {
            return res.end('{"channel":"c","messages":[],"last_seq":0}');
        }
        res.end(req.url === '/healthz' ? 'ok\n' : '{"channel":"c","first_seq":0,"last_seq":0,"subscribers":0}');
    });
    const upgrades = [];
    server.on('upgrade', (req, socket) => {
        upgrades.push(req.url);
        socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n');
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${server.address().port}`;
    const token = 'a.b.c';
    try {
        const ws = new Herald({ url, token, transport: 'websocket', backoff: { initial: 60000 } });
        ws.connect();
        await eventually(() => upgrades.length === 1, 3000, 'the upgrade');
        ws.disconnect();
        assert.equal(upgrades[0], `/v1/ws?token=${token}`);

        const poll = new Herald({ url, token, transport: 'poll', pollInterval: 50 });
        poll.subscribe('c');
        await poll.connect();
        await poll.publish('c', 1);
        poll.disconnect();
        assert.ok(seen.length >= 3, JSON.stringify(seen));
        for (const request of seen) assert.equal(request.authorization, `Bearer ${token}`, request.url);
    } finally {
        server.close();
        server.closeAllConnections();
    }
});
