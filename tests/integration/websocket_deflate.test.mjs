// permessage-deflate (RFC 7692) on the WebSocket (API.md: WebSocket, Configuration file
// websocket.deflate): negotiated only when the option is on, with server_no_context_takeover;
// everything works compressed, side by side with uncompressed clients; with the option off a
// client offering it gets no extension and a compressed frame is a protocol error.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';

import { get, publish, startHerald } from '../support/herald.mjs';
import { clientFrame, closeInfo, connectWs, deflateMessage, inflateMessage, rawWs } from '../support/ws.mjs';

/// Parses a Sec-WebSocket-Extensions value: [{name, params: {name: value|true}}].
function parseExtensions(value) {
    if (value === undefined || value.trim() === '') return [];
    return value.split(',').map((offer) => {
        const [name, ...params] = offer.split(';').map((p) => p.trim());
        return {
            name,
            params: Object.fromEntries(params.filter((p) => p).map((p) => {
                const eq = p.indexOf('=');
                return eq < 0 ? [p.toLowerCase(), true] : [p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim().replace(/^"|"$/g, '')];
            })),
        };
    });
}

const DEFLATE = { perMessageDeflate: true };
const DEFLATE_ALL = { perMessageDeflate: { threshold: 0 } };  // compresses even its small frames
const PLAIN = { perMessageDeflate: false };

const messagesOf = (ws, channel) => ws.frames.filter((f) => f.type === 'message' && f.channel === channel);

/// Incompressible text of about `bytes` characters.
const noise = (bytes) => crypto.randomBytes(Math.ceil(bytes * 3 / 4)).toString('base64').slice(0, bytes);

function raceTimeout(promise, ms, what) {
    let timer;
    return Promise.race([promise, new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms); })])
        .finally(() => clearTimeout(timer));
}

describe('websocket deflate on', () => {
    let herald;
    const open = [];
    const ws = async (options) => {
        const client = await connectWs(herald.url, { options });
        open.push(client);
        return client;
    };
    before(async () => {
        herald = await startHerald({
            args: ['--limits-max-message-bytes', '1048576', '--history-max-messages', '100'],
            env: { HERALD_WEBSOCKET_DEFLATE: 'true' },
        });
    });
    after(async () => {
        for (const client of open) client.terminate();
        await herald.stop();
    });

    test('npm ws negotiates permessage-deflate with server_no_context_takeover; a client without it gets none', async () => {
        for (const options of [DEFLATE, DEFLATE_ALL]) {
            const client = await ws(options);
            assert.match(client.extensions, /permessage-deflate/);
            const [ext, ...more] = parseExtensions(client.upgradeHeaders['sec-websocket-extensions']);
            assert.equal(more.length, 0, 'one extension accepted');
            assert.equal(ext.name, 'permessage-deflate');
            assert.equal(ext.params.server_no_context_takeover, true);
            assert.deepEqual(await client.request({ type: 'ping' }), { type: 'pong', ref: 1001 });
            client.close();
        }
        const plain = await ws(PLAIN);
        assert.equal(plain.extensions, '');
        assert.equal(plain.upgradeHeaders['sec-websocket-extensions'], undefined);
        assert.deepEqual(await plain.request({ type: 'ping' }), { type: 'pong', ref: 1001 });
        plain.close();
    });

    test('the 101 response, seen raw: the extension and its parameters', async () => {
        const bare = await rawWs(herald.port, { extensions: 'permessage-deflate' });
        try {
            assert.equal(bare.status, 101, bare.head);
            const [ext, ...more] = parseExtensions(bare.headers['sec-websocket-extensions']);
            assert.equal(more.length, 0, bare.head);
            assert.equal(ext.name, 'permessage-deflate');
            assert.equal(ext.params.server_no_context_takeover, true, bare.head);
            assert.equal(ext.params.client_max_window_bits, undefined, 'client_max_window_bits only when the client offered it');
        } finally {
            bare.socket.destroy();
        }
        const chrome = await rawWs(herald.port, { extensions: 'permessage-deflate; client_max_window_bits', protocol: 'herald.v1' });
        try {
            assert.equal(chrome.status, 101, chrome.head);
            assert.equal(chrome.headers['sec-websocket-protocol'], 'herald.v1');
            const [ext] = parseExtensions(chrome.headers['sec-websocket-extensions']);
            assert.equal(ext.name, 'permessage-deflate');
            assert.equal(ext.params.server_no_context_takeover, true);
            if (ext.params.client_max_window_bits !== undefined && ext.params.client_max_window_bits !== true) {
                const bits = Number(ext.params.client_max_window_bits);
                assert.ok(bits >= 8 && bits <= 15, chrome.head);
            }
        } finally {
            chrome.socket.destroy();
        }
        const unknown = await rawWs(herald.port, { extensions: 'x-webkit-deflate-frame' });
        try {
            assert.equal(unknown.status, 101);
            assert.equal(unknown.headers['sec-websocket-extensions'], undefined, 'an unknown extension is declined');
        } finally {
            unknown.socket.destroy();
        }
    });

    test('raw: compressed frames both ways, each server message inflatable on its own', async () => {
        const channel = 'dfl:raw';
        const client = await rawWs(herald.port, { extensions: 'permessage-deflate' });
        try {
            assert.equal(client.status, 101);
            // A compressed subscribe, an uncompressed ping: the client chooses per message.
            client.send(clientFrame(0x1, deflateMessage(JSON.stringify({ type: 'subscribe', channel, ref: 1 })), { rsv: 0x40 }));
            assert.deepEqual(await client.waitMessage((m) => m.ref === 1, 5000, 'subscribed'),
                { type: 'subscribed', channel, last_seq: 0, ref: 1 });
            client.sendJson({ type: 'ping', ref: 2 });
            assert.deepEqual(await client.waitMessage((m) => m.ref === 2, 5000, 'pong'), { type: 'pong', ref: 2 });

            const text = 'hello compressed world '.repeat(200);
            for (let i = 0; i < 3; ++i) assert.equal((await publish(herald.url, channel, { data: { text, i } })).status, 201);
            await client.waitMessage((m) => m.type === 'message' && m.seq === 3, 5000, 'three messages');
            const frames = client.frames.filter((f) => f.opcode === 0x1);
            for (const f of frames) {
                assert.equal(f.masked, false);
                assert.equal(f.rsv2 || f.rsv3, false);
            }
            const big = frames.filter((f) => f.rsv1);
            assert.ok(big.length >= 3, 'the 4.6 KB messages are compressed');
            for (const f of big) assert.ok(f.payload.length < 1000, `compressed to ${f.payload.length} bytes`);
            // Each on its own, with a fresh inflater: no context taken over from the previous message.
            const seqs = big.map((f) => JSON.parse(inflateMessage(f.payload).toString())).filter((m) => m.type === 'message');
            assert.deepEqual(seqs.map((m) => [m.seq, m.data.i, m.data.text === text]), [[1, 0, true], [2, 1, true], [3, 2, true]]);

            // A compressed message split over three frames: RSV1 on the first only.
            const body = deflateMessage(JSON.stringify({ type: 'publish', channel, data: { text: 'x'.repeat(30000) }, ref: 3 }));
            const third = Math.ceil(body.length / 3);
            client.send(Buffer.concat([
                clientFrame(0x1, body.subarray(0, third), { rsv: 0x40, fin: false }),
                clientFrame(0x0, body.subarray(third, 2 * third), { fin: false }),
                clientFrame(0x0, body.subarray(2 * third)),
            ]));
            const ack = await client.waitMessage((m) => m.ref === 3, 5000, 'the ack of the fragmented message');
            const stored = await get(herald.url, `/v1/channels/${channel}/messages?after=3`);
            assert.equal(stored.json.messages[0].data.text, 'x'.repeat(30000));
            assert.deepEqual(ack, { type: 'ack', channel, seq: 4, id: stored.json.messages[0].id, ref: 3 });
            const close = clientFrame(0x8, Buffer.from([0x03, 0xe8]));
            client.send(close);
            const reply = await client.waitFrame((f) => f.opcode === 0x8, 5000, 'the close reply');
            assert.equal(closeInfo(reply).code, 1000);
            assert.equal(reply.rsv1, false, 'control frames are never compressed');
        } finally {
            client.socket.destroy();
        }
    });

    test('compressed and plain clients side by side: replay, live, publish with ack, the same messages', async () => {
        const channel = 'dfl:side';
        for (let i = 1; i <= 4; ++i) assert.equal((await publish(herald.url, channel, { data: { i } })).status, 201);
        const clients = { deflate: await ws(DEFLATE), all: await ws(DEFLATE_ALL), plain: await ws(PLAIN) };
        assert.match(clients.deflate.extensions, /permessage-deflate/);
        assert.match(clients.all.extensions, /permessage-deflate/);
        assert.equal(clients.plain.extensions, '');
        for (const c of Object.values(clients)) {
            assert.deepEqual(await c.request({ type: 'subscribe', channel, after: 2 }),
                { type: 'subscribed', channel, last_seq: 4, ref: 1001 });
        }
        // Live: over HTTP, and over each WebSocket with an ack.
        assert.equal((await publish(herald.url, channel, { data: { i: 5 }, event: 'note' })).status, 201);
        let n = 5;
        for (const [name, c] of Object.entries(clients)) {
            n += 1;
            const ack = await c.request({ type: 'publish', channel, data: { i: n, from: name }, id: `side-${name}` });
            assert.deepEqual(ack, { type: 'ack', channel, seq: n, id: `side-${name}`, ref: 1002 });
        }
        // A marker last: a connection gets a channel's messages in seq order, so once each has
        // it, anything extra (a duplicate) has arrived too, before it.
        assert.equal((await publish(herald.url, channel, { data: { i: 9 } })).status, 201);
        const expected = [3, 4, 5, 6, 7, 8, 9];
        for (const [name, c] of Object.entries(clients)) {
            await c.next((f) => f.type === 'message' && f.channel === channel && f.seq === 9, `the marker at ${name}`);
        }
        const reference = messagesOf(clients.plain, channel);
        assert.deepEqual(reference.map((m) => m.seq), expected);
        assert.deepEqual(reference.map((m) => m.data.i), expected);
        assert.equal(reference[2].event, 'note');
        for (const [name, c] of Object.entries(clients)) assert.deepEqual(messagesOf(c, channel), reference, `${name} got the same messages`);
        const read = await get(herald.url, `/v1/channels/${channel}/messages?after=2`);
        assert.deepEqual(read.json.messages.map((m) => ({ type: 'message', ...m })), reference, 'the same as stored');
    });

    test('ping, presence and error frames work compressed', async () => {
        const channel = 'dfl:misc';
        const c = await ws(DEFLATE_ALL);
        const watcher = await ws(DEFLATE);
        assert.equal((await watcher.request({ type: 'subscribe', channel, presence: true })).type, 'subscribed');
        assert.deepEqual(await c.request({ type: 'ping' }), { type: 'pong', ref: 1001 });
        assert.equal((await c.request({ type: 'subscribe', channel })).type, 'subscribed');
        const join = await watcher.next((f) => f.type === 'join', 'the join');
        const presence = await c.request({ type: 'presence', channel });
        assert.equal(presence.type, 'presence');
        assert.equal(presence.channel, channel);
        assert.equal(presence.clients.length, 2);
        assert.ok(presence.clients.some((e) => e.client === join.client), 'the joined client is listed');
        assert.ok(presence.clients.every((e) => e.user === null && typeof e.client === 'string'));

        c.send('not json, but compressed');
        assert.equal((await c.next((f) => f.type === 'error', 'the error for bad JSON')).code, 'bad_request');
        assert.equal((await c.request({ type: 'subscribe', channel: 'bad channel' })).code, 'bad_request');
        assert.equal((await c.request({ type: 'publish', channel })).code, 'bad_request', 'publish without data');
        assert.equal((await c.request({ type: 'dance' })).code, 'bad_request');
        assert.equal(c.readyState, 1, 'the connection lives on');
        c.close();
        const leave = await watcher.next((f) => f.type === 'leave', 'the leave');
        assert.equal(leave.client, join.client);
    });

    test('large messages both ways, compressible and not', { timeout: 30000 }, async () => {
        const channel = 'dfl:large';
        const sender = await ws(DEFLATE_ALL);
        const receivers = { deflate: await ws(DEFLATE), plain: await ws(PLAIN) };
        for (const c of [sender, ...Object.values(receivers)]) {
            assert.equal((await c.request({ type: 'subscribe', channel })).type, 'subscribed');
        }
        const bodies = [
            'a'.repeat(200 * 1024),                     // compresses to almost nothing
            noise(200 * 1024),                          // does not compress at all
            `${'b'.repeat(100 * 1024)}${noise(100 * 1024)}`,
        ];
        let seq = 0;
        for (const [i, text] of bodies.entries()) {
            seq += 1;
            const ack = await sender.request({ type: 'publish', channel, data: { i, text } }, 'ack', 10000);
            assert.equal(ack.type, 'ack', JSON.stringify(ack).slice(0, 300));
            assert.equal(ack.seq, seq);
        }
        // And over HTTP, delivered to the compressed clients.
        const http = await publish(herald.url, channel, { data: { i: 3, text: noise(200 * 1024) } });
        assert.equal(http.status, 201, http.text.slice(0, 300));
        seq += 1;
        const stored = (await get(herald.url, `/v1/channels/${channel}/messages`)).json.messages;
        assert.equal(stored.length, 4);
        assert.deepEqual(stored.slice(0, 3).map((m) => m.data.text), bodies, 'stored as sent');
        for (const [name, c] of Object.entries({ sender, ...receivers })) {
            await c.next(() => messagesOf(c, channel).length === 4, `four large messages at ${name}`, 15000);
            assert.deepEqual(messagesOf(c, channel).map(({ type, ...m }) => m), stored, `${name} got them whole, in order`);
        }
    });

    test('a compressed message that inflates past ws_max_frame_bytes closes with 1009', async () => {
        const bystander = await ws(DEFLATE);
        const bomb = await ws(DEFLATE_ALL);
        // 2 MiB of spaces: a few KB on the wire, twice the 1 MiB limit once inflated.
        bomb.send(JSON.stringify({ type: 'ping', pad: ' '.repeat(2 * 1024 * 1024) }));
        const closed = await raceTimeout(bomb.closed, 10000, 'the close');
        assert.equal(closed.code, 1009);
        assert.deepEqual(await bystander.request({ type: 'ping' }), { type: 'pong', ref: 1001 });
    });

    test('garbage behind RSV1 fails the connection; control frames must not carry RSV1', async () => {
        const garbage = await rawWs(herald.port, { extensions: 'permessage-deflate' });
        try {
            garbage.send(clientFrame(0x1, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x13, 0x37]), { rsv: 0x40 }));
            const close = await garbage.waitFrame((f) => f.opcode === 0x8, 5000, 'the close frame');
            assert.ok([1002, 1007].includes(closeInfo(close).code), `close code ${closeInfo(close).code}`);
        } finally {
            garbage.socket.destroy();
        }
        const control = await rawWs(herald.port, { extensions: 'permessage-deflate' });
        try {
            control.send(clientFrame(0x9, 'x', { rsv: 0x40 }));
            const close = await control.waitFrame((f) => f.opcode === 0x8, 5000, 'the close frame');
            assert.equal(closeInfo(close).code, 1002);
        } finally {
            control.socket.destroy();
        }
        const unnegotiated = await rawWs(herald.port);  // deflate on, but not offered
        try {
            assert.equal(unnegotiated.headers['sec-websocket-extensions'], undefined);
            unnegotiated.send(clientFrame(0x1, deflateMessage('{"type":"ping"}'), { rsv: 0x40 }));
            const close = await unnegotiated.waitFrame((f) => f.opcode === 0x8, 5000, 'the close frame');
            assert.equal(closeInfo(close).code, 1002, 'RSV1 without the extension negotiated');
        } finally {
            unnegotiated.socket.destroy();
        }
        const ok = await ws(DEFLATE_ALL);
        assert.deepEqual(await ok.request({ type: 'ping' }), { type: 'pong', ref: 1001 });
    });
});

describe('websocket deflate off (default)', () => {
    let herald;
    before(async () => { herald = await startHerald(); });
    after(async () => { await herald.stop(); });

    test('a client offering deflate gets no extension and works', async () => {
        const channel = 'nodfl:works';
        const c = await connectWs(herald.url, { options: DEFLATE_ALL });
        try {
            assert.equal(c.extensions, '');
            assert.equal(c.upgradeHeaders['sec-websocket-extensions'], undefined);
            assert.deepEqual(await c.request({ type: 'subscribe', channel }), { type: 'subscribed', channel, last_seq: 0, ref: 1001 });
            assert.equal((await c.request({ type: 'publish', channel, data: 'y'.repeat(50000) })).seq, 1);
            assert.equal((await publish(herald.url, channel, { data: 2 })).status, 201);
            await c.next(() => c.seqs(channel).length === 2, 'two messages');
            assert.deepEqual(c.seqs(channel), [1, 2]);
            assert.deepEqual(await c.request({ type: 'ping' }), { type: 'pong', ref: 1003 });
        } finally {
            c.close();
        }
    });

    test('raw: the 101 has no Sec-WebSocket-Extensions; frames come uncompressed', async () => {
        const raw = await rawWs(herald.port, { extensions: 'permessage-deflate; client_max_window_bits' });
        try {
            assert.equal(raw.status, 101);
            assert.ok(!/sec-websocket-extensions/i.test(raw.head), raw.head);
            raw.sendJson({ type: 'subscribe', channel: 'nodfl:raw', ref: 1 });
            await raw.waitMessage((m) => m.ref === 1, 5000, 'subscribed');
            assert.equal((await publish(herald.url, 'nodfl:raw', { data: 'z'.repeat(5000) })).status, 201);
            await raw.waitMessage((m) => m.type === 'message', 5000, 'the message');
            assert.ok(raw.frames.every((f) => !f.rsv1 && !f.rsv2 && !f.rsv3));
        } finally {
            raw.socket.destroy();
        }
    });

    test('a frame with RSV1 closes with 1002; a normal client still works', async () => {
        const raw = await rawWs(herald.port, { extensions: 'permessage-deflate' });
        try {
            raw.send(clientFrame(0x1, deflateMessage('{"type":"ping","ref":1}'), { rsv: 0x40 }));
            const close = await raw.waitFrame((f) => f.opcode === 0x8, 5000, 'the close frame');
            assert.equal(closeInfo(close).code, 1002);
            await raceTimeout(raw.closed, 10000, 'the server to end the connection');
            assert.ok(!raw.messages().some((m) => m.type === 'pong'), 'the frame was not obeyed');
        } finally {
            raw.socket.destroy();
        }
        const c = await connectWs(herald.url, { options: DEFLATE });
        try {
            assert.deepEqual(await c.request({ type: 'ping' }), { type: 'pong', ref: 1001 });
        } finally {
            c.close();
        }
    });
});

describe('websocket deflate option sources', () => {
    test('--websocket-deflate true turns it on; the flag wins over HERALD_WEBSOCKET_DEFLATE', async () => {
        for (const [args, env, on] of [
            [['--websocket-deflate', 'true'], {}, true],
            [['--websocket-deflate', 'false'], { HERALD_WEBSOCKET_DEFLATE: 'true' }, false],
            [[], { HERALD_WEBSOCKET_DEFLATE: 'false' }, false],
        ]) {
            const herald = await startHerald({ args, env });
            try {
                const c = await connectWs(herald.url, { options: DEFLATE });
                const what = `${args.join(' ')} ${JSON.stringify(env)}`;
                assert.equal(/permessage-deflate/.test(c.extensions), on, what);
                assert.deepEqual(await c.request({ type: 'ping' }), { type: 'pong', ref: 1001 }, what);
                c.close();
                await c.closed;
            } finally {
                await herald.stop();
            }
        }
    });
});
