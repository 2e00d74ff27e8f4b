// Presence (API.md: Presence, WebSocket): who is connected to a channel over every transport.
// GET /v1/channels/{c}/presence lists one entry per connection (WebSocket subscription, SSE, HTTP
// stream, keep-alive connection that long-polled the channel) with its client id, user, transport
// and join time; the WebSocket `presence` frame answers the same list; a subscription made with
// "presence":true gets join/leave frames about the other clients of its channel.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';

import { eventually, get, startHerald } from '../support/herald.mjs';
import { SseClient, StreamClient, sleep } from '../support/streams.mjs';
import { connectWs } from '../support/ws.mjs';

const presenceOf = async (base, channel) => {
    const res = await get(base, `/v1/channels/${channel}/presence`);
    assert.equal(res.status, 200, res.text);
    return res.json;
};

/// Waits until the clock is past the millisecond it reads now, which is no earlier than the last
/// join (answered before now): the next join then gets a later `since`, the state an order by
/// join time needs.
async function nextMillisecond() {
    const now = Date.now();
    await eventually(() => Date.now() > now, 1000, 'the next millisecond');
}

const byJoin = (a, b) => (a.since - b.since) || (a.client < b.client ? -1 : a.client > b.client ? 1 : 0);

/// Waits until the channel's presence list satisfies `check(clients)`; returns the list.
async function waitPresence(base, channel, check, what, ms = 5000) {
    let clients;
    await eventually(async () => check(clients = (await presenceOf(base, channel)).clients), ms, `${what}; last list ${JSON.stringify(clients)}`);
    return clients;
}

const presenceFrames = (ws, channel) => ws.frames.filter((f) => (f.type === 'join' || f.type === 'leave') && (channel === undefined || f.channel === channel));

/// A GET on one keep-alive connection of `agent`: {status, text, reusedSocket}.
function agentGet(base, target, agent) {
    return new Promise((resolve, reject) => {
        const req = http.get(`${base}${target}`, { agent }, (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d) => { text += d; });
            res.on('end', () => resolve({ status: res.statusCode, text, reusedSocket: req.reusedSocket }));
        });
        req.on('error', reject);
        req.setTimeout(20000, () => req.destroy(new Error(`GET ${target} timed out`)));
    });
}

describe('presence', () => {
    let herald;
    const open = [];
    const ws = async (options) => {
        const client = await connectWs(herald.url, options);
        open.push(client);
        return client;
    };
    before(async () => { herald = await startHerald(); });
    after(async () => {
        for (const client of open) client.terminate();
        await herald.stop();
    });

    test('GET presence: an unused channel has no clients; a bad name is 400 with the error body', async () => {
        assert.deepEqual(await presenceOf(herald.url, 'pr:unused'), { channel: 'pr:unused', clients: [] });
        const encoded = await get(herald.url, '/v1/channels/pr%3Aencoded/presence');
        assert.equal(encoded.status, 200);
        assert.deepEqual(encoded.json, { channel: 'pr:encoded', clients: [] }, 'the name is percent-decoded');
        for (const bad of ['bad%20name', 'x'.repeat(201), 'a%2Fb', 'caf%C3%A9']) {
            const res = await get(herald.url, `/v1/channels/${bad}/presence`);
            assert.equal(res.status, 400, bad);
            assert.equal(res.json?.error?.code, 'bad_request', `${bad}: ${res.text}`);
            assert.equal(typeof res.json.error.message, 'string');
            assert.deepEqual(Object.keys(res.json), ['error']);
        }
    });

    test('a WebSocket subscription is a member until it unsubscribes or closes', async () => {
        const channel = 'pr:ws';
        const a = await ws();
        const t0 = Date.now();
        assert.equal((await a.request({ type: 'subscribe', channel })).type, 'subscribed');
        const t1 = Date.now();
        const [entry] = await waitPresence(herald.url, channel, (c) => c.length === 1, 'one member');
        assert.deepEqual(Object.keys(entry).sort(), ['client', 'since', 'transport', 'user']);
        assert.equal(typeof entry.client, 'string');
        assert.ok(entry.client.length > 0);
        assert.equal(entry.user, null, 'open mode: no user');
        assert.equal(entry.transport, 'websocket');
        assert.ok(Number.isInteger(entry.since));
        assert.ok(entry.since >= t0 - 1000 && entry.since <= t1 + 1000, `since ${entry.since} is the join time (${t0}..${t1})`);
        assert.equal((await presenceOf(herald.url, channel)).channel, channel);
        // Subscribing twice is refused and does not make a second entry. The connection's next
        // request is handled after the refused one, and its membership lives on its own shard:
        // a presence query it sends now sees any entry the refused subscribe made.
        assert.equal((await a.request({ type: 'subscribe', channel })).code, 'bad_request');
        assert.deepEqual((await a.request({ type: 'presence', channel })).clients,
                         [{ client: entry.client, user: null }]);
        assert.deepEqual((await presenceOf(herald.url, channel)).clients, [entry]);

        assert.equal((await a.request({ type: 'unsubscribe', channel })).type, 'unsubscribed');
        await waitPresence(herald.url, channel, (c) => c.length === 0, 'the unsubscribed client to leave');

        assert.equal((await a.request({ type: 'subscribe', channel })).type, 'subscribed');
        const [again] = await waitPresence(herald.url, channel, (c) => c.length === 1, 'the client back');
        assert.equal(again.client, entry.client, 'the same connection keeps its client id');
        a.close();
        await a.closed;
        await waitPresence(herald.url, channel, (c) => c.length === 0, 'the closed client to leave');

        const b = await ws();
        b.send(JSON.stringify({ type: 'subscribe', channel }));
        await waitPresence(herald.url, channel, (c) => c.length === 1, 'a member');
        b.terminate();  // no close handshake: the TCP connection just ends
        await waitPresence(herald.url, channel, (c) => c.length === 0, 'the dropped client to leave');
    });

    test('clients are listed by join time then client id, each connection with its own id', async () => {
        const channel = 'pr:order';
        const clients = [];
        for (let i = 0; i < 6; ++i) {
            const c = await ws();
            assert.equal((await c.request({ type: 'subscribe', channel })).type, 'subscribed');
            clients.push(c);
            await nextMillisecond();  // distinct join times: the order by `since` is what is tested
        }
        const list = await waitPresence(herald.url, channel, (c) => c.length === 6, 'six members');
        assert.deepEqual(list, [...list].sort(byJoin), 'ordered by since, then client');
        assert.equal(new Set(list.map((e) => e.client)).size, 6, 'client ids are unique');
        for (let i = 1; i < list.length; ++i) assert.ok(list[i].since >= list[i - 1].since);
        // Joined in distinct milliseconds, one after the other: the order is the join order. The
        // third leaves.
        clients[2].close();
        const after = await waitPresence(herald.url, channel, (c) => c.length === 5, 'five members');
        assert.deepEqual(after, list.filter((_, i) => i !== 2), 'the others keep their place and since');
        for (const c of clients) c.close();
        await waitPresence(herald.url, channel, (c) => c.length === 0, 'everyone gone');
    });

    test('one WebSocket client subscribed to two channels has the same id in both', async () => {
        const a = await ws();
        const b = await ws();
        for (const channel of ['pr:two-a', 'pr:two-b']) {
            assert.equal((await a.request({ type: 'subscribe', channel })).type, 'subscribed');
        }
        assert.equal((await b.request({ type: 'subscribe', channel: 'pr:two-b' })).type, 'subscribed');
        const [inA] = await waitPresence(herald.url, 'pr:two-a', (c) => c.length === 1, 'a in pr:two-a');
        const inB = await waitPresence(herald.url, 'pr:two-b', (c) => c.length === 2, 'a and b in pr:two-b');
        assert.ok(inB.some((e) => e.client === inA.client), 'the same client id in both channels');
        const other = inB.find((e) => e.client !== inA.client);
        assert.ok(other, 'b has another id');
        // Closing leaves both channels.
        a.close();
        await waitPresence(herald.url, 'pr:two-a', (c) => c.length === 0, 'a gone from pr:two-a');
        const left = await waitPresence(herald.url, 'pr:two-b', (c) => c.length === 1, 'a gone from pr:two-b');
        assert.equal(left[0].client, other.client);
    });

    test('the presence frame lists the clients with its ref, subscribed or not; a bad channel gets an error frame', async () => {
        const channel = 'pr:frame';
        const members = [await ws(), await ws()];
        for (const m of members) assert.equal((await m.request({ type: 'subscribe', channel })).type, 'subscribed');
        const list = await waitPresence(herald.url, channel, (c) => c.length === 2, 'two members');

        const asker = await ws();  // not subscribed to anything
        asker.send(JSON.stringify({ type: 'presence', channel, ref: 41 }));
        const reply = await asker.next((f) => f.ref === 41, 'the presence reply');
        assert.deepEqual(reply, {
            type: 'presence',
            channel,
            clients: list.map((e) => ({ client: e.client, user: null })),
            ref: 41,
        });

        // A member asking sees itself too; without ref the reply has none.
        members[0].send(JSON.stringify({ type: 'presence', channel }));
        const own = await members[0].next((f) => f.type === 'presence', 'the presence reply without ref');
        assert.deepEqual(own, { type: 'presence', channel, clients: list.map((e) => ({ client: e.client, user: null })) });

        assert.deepEqual(await asker.request({ type: 'presence', channel: 'pr:nobody' }),
            { type: 'presence', channel: 'pr:nobody', clients: [], ref: 1001 });

        asker.send(JSON.stringify({ type: 'presence', channel: 'bad channel', ref: 42 }));
        const error = await asker.next((f) => f.ref === 42, 'the error frame');
        assert.equal(error.type, 'error');
        assert.equal(error.code, 'bad_request');
        assert.equal(typeof error.message, 'string');
        asker.send(JSON.stringify({ type: 'presence', ref: 43 }));
        const missing = await asker.next((f) => f.ref === 43, 'the error frame for a missing channel');
        assert.equal(missing.type, 'error');
        assert.equal(missing.code, 'bad_request');
        asker.send(JSON.stringify({ type: 'presence', channel: 42, ref: 44 }));
        assert.equal((await asker.next((f) => f.ref === 44, 'the error frame for a number channel')).code, 'bad_request');

        // The connection lives on.
        assert.equal(asker.readyState, 1);
        assert.deepEqual(await asker.request({ type: 'ping' }), { type: 'pong', ref: 1002 });
        assert.equal((await asker.request({ type: 'presence', channel })).clients.length, 2);
        // Asking did not make the asker a member.
        assert.equal((await presenceOf(herald.url, channel)).clients.length, 2);
        for (const m of members) m.close();
    });

    test('presence:true subscribers get join and leave about the others, never about themselves', async () => {
        const channel = 'pr:events';
        const watcher = await ws();
        assert.equal((await watcher.request({ type: 'subscribe', channel, presence: true })).type, 'subscribed');
        const [{ client: watcherId }] = await waitPresence(herald.url, channel, (c) => c.length === 1, 'the watcher');
        const plain = await ws();
        assert.equal((await plain.request({ type: 'subscribe', channel })).type, 'subscribed');
        const plainId = (await waitPresence(herald.url, channel, (c) => c.length === 2, 'two members'))
            .find((e) => e.client !== watcherId).client;
        const elsewhere = await ws();  // watches another channel
        assert.equal((await elsewhere.request({ type: 'subscribe', channel: 'pr:events-other', presence: true })).type, 'subscribed');

        const join = await watcher.next((f) => f.type === 'join' && f.client === plainId, 'the join of the plain subscriber');
        assert.deepEqual(join, { type: 'join', channel, client: plainId, user: null });

        // A third client comes and goes: by unsubscribe, then by closing.
        const a = await ws();
        assert.equal((await a.request({ type: 'subscribe', channel })).type, 'subscribed');
        const aId = (await waitPresence(herald.url, channel, (c) => c.length === 3, 'three members'))
            .find((e) => e.client !== watcherId && e.client !== plainId).client;
        await watcher.next((f) => f.type === 'join' && f.client === aId, 'the join of a');
        assert.equal((await a.request({ type: 'unsubscribe', channel })).type, 'unsubscribed');
        const leave = await watcher.next((f) => f.type === 'leave' && f.client === aId, 'the leave of a (unsubscribe)');
        assert.deepEqual(leave, { type: 'leave', channel, client: aId, user: null });
        assert.equal((await a.request({ type: 'subscribe', channel })).type, 'subscribed');
        await eventually(() => presenceFrames(watcher).filter((f) => f.client === aId).length === 3, 5000, 'a second join of a');
        a.close();
        await eventually(() => presenceFrames(watcher).filter((f) => f.client === aId).length === 4, 5000, 'the leave of a (close)');
        assert.deepEqual(presenceFrames(watcher).filter((f) => f.client === aId).map((f) => f.type), ['join', 'leave', 'join', 'leave']);

        // A second watcher: the first hears of it, it hears nothing of itself.
        const second = await ws();
        assert.equal((await second.request({ type: 'subscribe', channel, presence: true })).type, 'subscribed');
        const secondId = (await waitPresence(herald.url, channel, (c) => c.length === 3, 'the second watcher'))
            .find((e) => ![watcherId, plainId].includes(e.client)).client;
        await watcher.next((f) => f.type === 'join' && f.client === secondId, 'the join of the second watcher');
        plain.close();
        await watcher.next((f) => f.type === 'leave' && f.client === plainId, 'the leave of the plain subscriber');
        await second.next((f) => f.type === 'leave' && f.client === plainId, 'the second watcher hears the leave too');
        // A later presence change as a marker: a last client joins this channel and the one
        // `elsewhere` watches. Joins and leaves reach each watcher in the order they happened,
        // so once every watcher has this join, any frame it should not get has come before it.
        const last = await ws();
        assert.equal((await last.request({ type: 'subscribe', channel })).type, 'subscribed');
        assert.equal((await last.request({ type: 'subscribe', channel: 'pr:events-other' })).type, 'subscribed');
        const lastId = (await waitPresence(herald.url, channel, (c) => c.length === 3, 'the last client'))
            .find((e) => ![watcherId, secondId].includes(e.client)).client;
        await watcher.next((f) => f.type === 'join' && f.client === lastId, 'the join of the last client');
        await second.next((f) => f.type === 'join' && f.client === lastId, 'the second watcher hears it too');
        await elsewhere.next((f) => f.type === 'join' && f.client === lastId, 'the join in the other channel');

        assert.deepEqual(presenceFrames(watcher).filter((f) => f.client === watcherId), [], 'nothing about itself');
        assert.deepEqual(presenceFrames(second).filter((f) => f.client === secondId), [], 'nothing about itself');
        assert.deepEqual(presenceFrames(plain), [], 'no presence:true, no join/leave');
        assert.deepEqual(presenceFrames(elsewhere), [{ type: 'join', channel: 'pr:events-other', client: lastId, user: null }],
                         'nothing about another channel');
        assert.ok(presenceFrames(watcher).every((f) => f.channel === channel));
        // Each change once, in order.
        assert.deepEqual(presenceFrames(watcher).map((f) => `${f.type} ${f.client}`), [
            `join ${plainId}`, `join ${aId}`, `leave ${aId}`, `join ${aId}`, `leave ${aId}`, `join ${secondId}`, `leave ${plainId}`,
            `join ${lastId}`,
        ]);
        assert.deepEqual(presenceFrames(second).map((f) => `${f.type} ${f.client}`), [`leave ${plainId}`, `join ${lastId}`]);
        watcher.close();
        await second.next((f) => f.type === 'leave' && f.client === watcherId, 'the second watcher hears the first leave');
        last.close();
        second.close();
        elsewhere.close();
    });

    test('subscribing again without presence:true stops join/leave', async () => {
        const channel = 'pr:resub';
        const w = await ws();
        assert.equal((await w.request({ type: 'subscribe', channel, presence: true })).type, 'subscribed');
        assert.equal((await w.request({ type: 'unsubscribe', channel })).type, 'unsubscribed');
        assert.equal((await w.request({ type: 'subscribe', channel })).type, 'subscribed');
        const sync = await ws();  // a watcher that still wants presence, as a clock
        assert.equal((await sync.request({ type: 'subscribe', channel, presence: true })).type, 'subscribed');
        const c = await ws();
        c.send(JSON.stringify({ type: 'subscribe', channel }));
        await sync.next((f) => f.type === 'join', 'the join at the other watcher');
        c.close();
        await sync.next((f) => f.type === 'leave', 'the leave at the other watcher');
        // Then a ping on w as a marker: each join and leave is posted to every shard in one loop
        // as it happens, so w's shard has c's leave queued before this ping is read, and any
        // frame about c would go out on w before the pong.
        assert.equal((await w.request({ type: 'ping' })).type, 'pong');
        assert.deepEqual(presenceFrames(w), [], 'the new subscription did not ask for presence');
        w.close();
        sync.close();
    });

    test('SSE and HTTP stream connections are members; watchers see them join and leave', async () => {
        const channel = 'pr:streams';
        const watcher = await ws();
        assert.equal((await watcher.request({ type: 'subscribe', channel, presence: true })).type, 'subscribed');
        const [{ client: watcherId }] = await waitPresence(herald.url, channel, (c) => c.length === 1, 'the watcher');

        for (const [transport, open] of [
            ['sse', () => SseClient.open(herald.url, `/v1/channels/${channel}/events`)],
            ['stream', () => StreamClient.open(herald.url, `/v1/channels/${channel}/stream`)],
        ]) {
            const t0 = Date.now();
            const client = await open();
            assert.equal(client.status, 200);
            const t1 = Date.now();
            const list = await waitPresence(herald.url, channel, (c) => c.length === 2, `the ${transport} client`);
            const entry = list.find((e) => e.client !== watcherId);
            assert.equal(entry.transport, transport);
            assert.equal(entry.user, null);
            assert.ok(entry.since >= t0 - 1000 && entry.since <= t1 + 1000, `since ${entry.since} (${t0}..${t1})`);
            assert.deepEqual(await watcher.next((f) => f.type === 'join' && f.client === entry.client, `the join of the ${transport} client`),
                { type: 'join', channel, client: entry.client, user: null });
            const reply = await watcher.request({ type: 'presence', channel });
            assert.deepEqual(reply.clients, list.map((e) => ({ client: e.client, user: null })));
            await client.close();
            assert.deepEqual(await watcher.next((f) => f.type === 'leave' && f.client === entry.client, `the leave of the ${transport} client`),
                { type: 'leave', channel, client: entry.client, user: null });
            await waitPresence(herald.url, channel, (c) => c.length === 1 && c[0].client === watcherId, `the ${transport} client gone`);
        }
        watcher.close();
    });

    test('a keep-alive connection that long-polled a channel is a member until it closes', { timeout: 30000 }, async () => {
        const channel = 'pr:longpoll';
        const watcher = await ws();
        assert.equal((await watcher.request({ type: 'subscribe', channel, presence: true })).type, 'subscribed');
        const [{ client: watcherId }] = await waitPresence(herald.url, channel, (c) => c.length === 1, 'the watcher');

        // A short poll does not join.
        const shortAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        const short = await agentGet(herald.url, `/v1/channels/${channel}/messages`, shortAgent);
        assert.equal(short.status, 200);

        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        try {
            const t0 = Date.now();
            const first = await agentGet(herald.url, `/v1/channels/${channel}/messages?wait=1`, agent);
            assert.equal(first.status, 204, 'nothing came: the wait ran out');
            const list = await waitPresence(herald.url, channel, (c) => c.length === 2, 'the long-poll client');
            const entry = list.find((e) => e.client !== watcherId);
            assert.equal(entry.transport, 'longpoll');
            assert.equal(entry.user, null);
            assert.ok(entry.since >= t0 - 1000 && entry.since <= Date.now() + 1000, `since ${entry.since}`);
            await watcher.next((f) => f.type === 'join' && f.client === entry.client, 'the join of the long-poll client');

            // Still a member between polls, and the next poll on the same connection is the same client.
            await sleep(200);  // idle time between polls is what is tested: the entry outlasts it
            assert.deepEqual((await presenceOf(herald.url, channel)).clients, list);
            const second = await agentGet(herald.url, `/v1/channels/${channel}/messages?wait=1`, agent);
            assert.equal(second.status, 204);
            assert.equal(second.reusedSocket, true, 'the same keep-alive connection');
            assert.deepEqual((await presenceOf(herald.url, channel)).clients, list, 'the same single entry');
            assert.equal(presenceFrames(watcher).filter((f) => f.client === entry.client).length, 1, 'one join only');
            // The connection long-polls another channel: the same client there.
            const elsewhere = await agentGet(herald.url, `/v1/channels/${channel}-2/messages?after=0&wait=1`, agent);
            assert.equal(elsewhere.status, 204);
            assert.equal(elsewhere.reusedSocket, true);
            const [there] = await waitPresence(herald.url, `${channel}-2`, (c) => c.length === 1, 'the long-poll client in the second channel');
            assert.equal(there.client, entry.client, 'one id per connection');
            assert.equal(there.transport, 'longpoll');

            agent.destroy();  // the connection closes
            assert.deepEqual(await watcher.next((f) => f.type === 'leave' && f.client === entry.client, 'the leave of the long-poll client'),
                { type: 'leave', channel, client: entry.client, user: null });
            await waitPresence(herald.url, channel, (c) => c.length === 1 && c[0].client === watcherId, 'the long-poll client gone');
            await waitPresence(herald.url, `${channel}-2`, (c) => c.length === 0, 'the long-poll client gone from the second channel');
        } finally {
            agent.destroy();
            shortAgent.destroy();
        }
        assert.deepEqual(presenceFrames(watcher).map((f) => f.type), ['join', 'leave'], 'the short poll never joined');
        watcher.close();
    });

    test('every transport in one list, each connection with an id unique on the server', { timeout: 30000 }, async () => {
        const channel = 'pr:all';
        const a = await ws();
        // Each joins in a later millisecond: distinct join times, so the order by `since` is the
        // join order.
        assert.equal((await a.request({ type: 'subscribe', channel })).type, 'subscribed');
        await nextMillisecond();
        const sse = await SseClient.open(herald.url, `/v1/channels/${channel}/events`);
        await nextMillisecond();
        const stream = await StreamClient.open(herald.url, `/v1/channels/${channel}/stream`);
        await nextMillisecond();
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        try {
            const poll = agentGet(herald.url, `/v1/channels/${channel}/messages?wait=2`, agent);
            const list = await waitPresence(herald.url, channel, (c) => c.length === 4, 'four members');
            assert.deepEqual(list.map((e) => e.transport), ['websocket', 'sse', 'stream', 'longpoll'], 'in join order');
            assert.deepEqual(list, [...list].sort(byJoin));
            assert.equal(new Set(list.map((e) => e.client)).size, 4);
            // Ids are unique across channels too: a member of another channel is someone else.
            const b = await ws();
            assert.equal((await b.request({ type: 'subscribe', channel: 'pr:all-other' })).type, 'subscribed');
            const [otherEntry] = await waitPresence(herald.url, 'pr:all-other', (c) => c.length === 1, 'b');
            assert.ok(!list.some((e) => e.client === otherEntry.client));
            assert.equal((await poll).status, 204);
            b.close();
            await sse.close();
            await stream.close();
            a.close();
            agent.destroy();
            await waitPresence(herald.url, channel, (c) => c.length === 0, 'everyone gone');
        } finally {
            agent.destroy();
            await sse.close();
            await stream.close();
        }
    });
});
