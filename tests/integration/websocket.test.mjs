// WebSocket (API.md): the upgrade, subscribe with resume, unsubscribe, publish with ack, ping,
// error frames, and the RFC 6455 close codes, with npm `ws` as the client and raw sockets where
// a well-behaved client cannot misbehave.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import crypto from 'node:crypto';
import WebSocket from 'ws';
import { eventually, get, metric, publish, rawExchange, startHerald } from '../support/herald.mjs';

/// A connected client that records every JSON frame it receives.
async function connect(url, protocols) {
    const ws = new WebSocket(url.replace('http://', 'ws://') + '/v1/ws', protocols);
    const frames = [];
    ws.on('message', (data, isBinary) => {
        assert.equal(isBinary, false, 'the server sends text frames only');
        frames.push(JSON.parse(data.toString()));
    });
    ws.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
    });
    ws.frames = frames;
    ws.next = async (predicate, what = 'a frame') => {
        let found;
        await eventually(() => (found = frames.find(predicate)) !== undefined, 5000, what);
        return found;
    };
    return ws;
}

const seqsOf = (ws, channel) => ws.frames.filter((f) => f.type === 'message' && f.channel === channel).map((f) => f.seq);

/// The raw bytes of a client frame: masked unless told otherwise.
function clientFrame(opcode, payload, { mask = true, fin = true, rsv = 0 } = {}) {
    const body = Buffer.from(payload);
    const header = [(fin ? 0x80 : 0) | rsv | opcode];
    if (body.length < 126) header.push((mask ? 0x80 : 0) | body.length);
    else throw new Error('small frames only');
    const key = crypto.randomBytes(4);
    const masked = Buffer.from(body);
    if (mask) for (let i = 0; i < masked.length; ++i) masked[i] ^= key[i % 4];
    return Buffer.concat([Buffer.from(header), mask ? key : Buffer.alloc(0), masked]);
}

/// Upgrades a raw socket, sends `bytes`, and resolves with the close code the server sends.
function rawCloseCode(port, bytes) {
    return new Promise((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1');
        let data = Buffer.alloc(0);
        let upgraded = false;
        const timer = setTimeout(() => { socket.destroy(); reject(new Error('no close frame')); }, 5000);
        socket.on('connect', () => {
            socket.write('GET /v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
                         'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
        });
        socket.on('data', (chunk) => {
            data = Buffer.concat([data, chunk]);
            if (!upgraded) {
                const end = data.indexOf('\r\n\r\n');
                if (end < 0) return;
                assert.match(data.subarray(0, end).toString(), /^HTTP\/1\.1 101/);
                data = data.subarray(end + 4);
                upgraded = true;
                socket.write(bytes);
            }
            if (data.length >= 4 && (data[0] & 0x0f) === 0x8) {
                clearTimeout(timer);
                socket.destroy();
                resolve(data.readUInt16BE(2));
            }
        });
        socket.on('error', () => {});
    });
}

describe('websocket', () => {
    let herald;
    before(async () => { herald = await startHerald({ args: ['--history-max-messages', '5', '--limits-max-subscriptions', '3'] }); });
    after(async () => { await herald.stop(); });

    test('the upgrade echoes the herald.v1 subprotocol; ping answers pong with its ref', async () => {
        const ws = await connect(herald.url, ['other', 'herald.v1']);
        try {
            assert.equal(ws.protocol, 'herald.v1');
            ws.send(JSON.stringify({ type: 'ping', ref: 7 }));
            assert.deepEqual(await ws.next((f) => f.type === 'pong'), { type: 'pong', ref: 7 });
            assert.equal(await metric(herald.url, 'herald_connections{transport="ws"}'), 1);
        } finally {
            ws.close();
        }
    });

    test('a plain GET or a wrong version is refused with the error body', async () => {
        const plain = await get(herald.url, '/v1/ws');
        assert.equal(plain.status, 400);
        assert.equal(plain.json.error.code, 'bad_request');
        // fetch refuses Upgrade headers: a raw request.
        const upgrade = (headers) => rawExchange(herald.port, ['GET /v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n' +
                                                               `Connection: Upgrade\r\n${headers}\r\n`], { timeoutMs: 1000 });
        const old = await upgrade('Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n');
        assert.match(old.data, /^HTTP\/1\.1 426 /);
        assert.match(old.data, /\r\nSec-WebSocket-Version: 13\r\n/i);
        const nokey = await upgrade('Sec-WebSocket-Version: 13\r\n');
        assert.match(nokey.data, /^HTTP\/1\.1 400 /);
        assert.match(nokey.data, /"code":"bad_request"/);
    });

    test('subscribe with after replays history, then live, no gap and no duplicate', async () => {
        for (let i = 1; i <= 4; ++i) await publish(herald.url, 'ws:resume', { data: i });
        const ws = await connect(herald.url);
        try {
            ws.send(JSON.stringify({ type: 'subscribe', channel: 'ws:resume', after: 2, ref: 1 }));
            const subscribed = await ws.next((f) => f.type === 'subscribed');
            assert.deepEqual(subscribed, { type: 'subscribed', channel: 'ws:resume', last_seq: 4, ref: 1 });
            assert.ok(ws.frames.indexOf(subscribed) === 0, 'subscribed comes before the replay');
            await publish(herald.url, 'ws:resume', { data: 5 });
            await eventually(() => seqsOf(ws, 'ws:resume').length === 3, 5000, 'three messages');
            assert.deepEqual(seqsOf(ws, 'ws:resume'), [3, 4, 5]);
            const message = ws.frames.find((f) => f.seq === 5);
            assert.deepEqual(Object.keys(message).sort(), ['channel', 'data', 'event', 'id', 'seq', 'time', 'type']);
            assert.equal(message.data, 5);
        } finally {
            ws.close();
        }
    });

    test('subscribe without after is live only; a trimmed cursor gets a gap first', async () => {
        for (let i = 1; i <= 8; ++i) await publish(herald.url, 'ws:gap', { data: i });
        const ws = await connect(herald.url);
        try {
            ws.send(JSON.stringify({ type: 'subscribe', channel: 'ws:gap' }));
            ws.send(JSON.stringify({ type: 'subscribe', channel: 'ws:gap2', after: 0 }));
            await ws.next((f) => f.type === 'subscribed' && f.channel === 'ws:gap2');
            await publish(herald.url, 'ws:gap', { data: 9 });
            await eventually(() => seqsOf(ws, 'ws:gap').length === 1, 5000, 'the live message');
            assert.deepEqual(seqsOf(ws, 'ws:gap'), [9]);

            const other = await connect(herald.url);
            try {
                other.send(JSON.stringify({ type: 'subscribe', channel: 'ws:gap', after: 1 }));
                await eventually(() => seqsOf(other, 'ws:gap').length === 5, 5000, 'the retained messages');
                const gap = other.frames.find((f) => f.type === 'gap');
                assert.deepEqual(gap, { type: 'gap', channel: 'ws:gap', after: 1, first_seq: 5 });
                assert.ok(other.frames.indexOf(gap) < other.frames.findIndex((f) => f.type === 'message'));
                assert.deepEqual(seqsOf(other, 'ws:gap'), [5, 6, 7, 8, 9]);
            } finally {
                other.close();
            }
        } finally {
            ws.close();
        }
    });

    test('publish is acknowledged after it is stored, and a retry with the same id is stored once', async () => {
        const ws = await connect(herald.url);
        try {
            ws.send(JSON.stringify({ type: 'publish', channel: 'ws:pub', data: { text: 'hi' }, id: 'k1', ref: 3 }));
            const ack = await ws.next((f) => f.type === 'ack' && f.ref === 3);
            assert.deepEqual(ack, { type: 'ack', channel: 'ws:pub', seq: 1, id: 'k1', ref: 3 });
            const read = await get(herald.url, '/v1/channels/ws:pub/messages');
            assert.deepEqual(read.json.messages.map((m) => m.data), [{ text: 'hi' }]);
            ws.send(JSON.stringify({ type: 'publish', channel: 'ws:pub', data: { text: 'again' }, id: 'k1', ref: 4 }));
            assert.equal((await ws.next((f) => f.type === 'ack' && f.ref === 4)).seq, 1);
            assert.equal((await get(herald.url, '/v1/channels/ws:pub')).json.last_seq, 1);
        } finally {
            ws.close();
        }
    });

    test('unsubscribe stops delivery and frees the subscription; a disconnect frees the rest', async () => {
        const ws = await connect(herald.url);
        ws.send(JSON.stringify({ type: 'subscribe', channel: 'ws:unsub', ref: 1 }));
        ws.send(JSON.stringify({ type: 'subscribe', channel: 'ws:left', ref: 2 }));
        await ws.next((f) => f.type === 'subscribed' && f.ref === 2);
        assert.equal((await get(herald.url, '/v1/channels/ws:unsub')).json.subscribers, 1);
        ws.send(JSON.stringify({ type: 'unsubscribe', channel: 'ws:unsub', ref: 5 }));
        assert.deepEqual(await ws.next((f) => f.type === 'unsubscribed'), { type: 'unsubscribed', channel: 'ws:unsub', ref: 5 });
        await publish(herald.url, 'ws:unsub', { data: 1 });
        ws.send(JSON.stringify({ type: 'ping', ref: 9 }));
        await ws.next((f) => f.type === 'pong');
        assert.deepEqual(seqsOf(ws, 'ws:unsub'), []);
        assert.equal((await get(herald.url, '/v1/channels/ws:unsub')).json.subscribers, 0);
        ws.terminate();
        await eventually(async () => (await get(herald.url, '/v1/channels/ws:left')).json.subscribers === 0, 5000, 'the disconnect to free its subscription');
    });

    test('bad frames get error frames with their ref, and the connection lives on', async () => {
        const ws = await connect(herald.url);
        try {
            ws.send('not json');
            assert.equal((await ws.next((f) => f.type === 'error')).code, 'bad_request');
            ws.send(JSON.stringify({ type: 'dance', ref: 11 }));
            const unknown = await ws.next((f) => f.ref === 11);
            assert.equal(unknown.type, 'error');
            assert.equal(unknown.code, 'bad_request');
            ws.send(JSON.stringify({ type: 'subscribe', channel: 'bad channel', ref: 12 }));
            assert.equal((await ws.next((f) => f.ref === 12)).code, 'bad_request');
            ws.send(JSON.stringify({ type: 'publish', channel: 'ws:bad', ref: 13 }));
            assert.equal((await ws.next((f) => f.ref === 13)).code, 'bad_request', 'no data');
            ws.send(JSON.stringify({ type: 'subscribe', channel: 'ws:bad', after: -1, ref: 14 }));
            assert.equal((await ws.next((f) => f.ref === 14)).code, 'bad_request');
            for (let i = 0; i < 3; ++i) ws.send(JSON.stringify({ type: 'subscribe', channel: `ws:many${i}` }));
            ws.send(JSON.stringify({ type: 'subscribe', channel: 'ws:one-too-many', ref: 15 }));
            assert.equal((await ws.next((f) => f.ref === 15)).code, 'rate_limited');
            ws.send(JSON.stringify({ type: 'ping', ref: 16 }));
            await ws.next((f) => f.type === 'pong' && f.ref === 16);
        } finally {
            ws.close();
        }
    });

    test('RFC 6455 breaches close with their codes; everyone else is still served', async () => {
        const bystander = await connect(herald.url);
        try {
            const binary = await connect(herald.url);
            binary.send(Buffer.from([1, 2, 3]));
            assert.equal((await binary.closed).code, 1003);

            const big = await connect(herald.url);
            big.send('x'.repeat(1024 * 1024 + 1));
            assert.equal((await big.closed).code, 1009);

            assert.equal(await rawCloseCode(herald.port, clientFrame(0x1, Buffer.from([0xc0, 0xaf]))), 1007, 'invalid UTF-8');
            assert.equal(await rawCloseCode(herald.port, clientFrame(0x1, '{"type":"ping"}', { mask: false })), 1002, 'unmasked');
            assert.equal(await rawCloseCode(herald.port, clientFrame(0x1, '{}', { rsv: 0x40 })), 1002, 'reserved bit');
            assert.equal(await rawCloseCode(herald.port, clientFrame(0x3, 'x')), 1002, 'unknown opcode');
            assert.equal(await rawCloseCode(herald.port, clientFrame(0x9, 'x', { fin: false })), 1002, 'fragmented ping');

            bystander.send(JSON.stringify({ type: 'ping', ref: 1 }));
            await bystander.next((f) => f.type === 'pong');
        } finally {
            bystander.close();
        }
    });

    test('frames sent along with the upgrade request are not lost', async () => {
        const request = 'GET /v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
            'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
        const reply = await new Promise((resolve, reject) => {
            const socket = net.connect(herald.port, '127.0.0.1');
            let data = Buffer.alloc(0);
            const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no pong in ${data}`)); }, 5000);
            // One write: the request and a ping frame in the same packet.
            socket.on('connect', () => socket.write(Buffer.concat([Buffer.from(request),
                clientFrame(0x1, JSON.stringify({ type: 'ping', ref: 77 }))])));
            socket.on('data', (chunk) => {
                data = Buffer.concat([data, chunk]);
                const end = data.indexOf('\r\n\r\n');
                if (end < 0 || data.length < end + 6) return;
                const frame = data.subarray(end + 4);
                if (frame.length < 2 + (frame[1] & 0x7f)) return;
                clearTimeout(timer);
                socket.destroy();
                resolve(JSON.parse(frame.subarray(2, 2 + (frame[1] & 0x7f)).toString()));
            });
            socket.on('error', reject);
        });
        assert.deepEqual(reply, { type: 'pong', ref: 77 });
    });

    test('a client close is answered with the same code', async () => {
        const ws = await connect(herald.url);
        ws.close(4000, 'bye');
        assert.equal((await ws.closed).code, 4000);
    });
});

describe('websocket liveness', () => {
    test('the server pings; a peer that never answers is dropped, one that does stays', { timeout: 20000 }, async () => {
        const herald = await startHerald({ args: ['--websocket-ping-interval', '300ms'] });
        const silent = net.connect(herald.port, '127.0.0.1');
        try {
            const healthy = await connect(herald.url);  // npm ws answers pings by itself
            let pings = 0;
            let data = Buffer.alloc(0);
            const dropped = new Promise((resolve) => silent.on('close', resolve));
            silent.on('error', () => {});
            silent.on('data', (chunk) => {
                data = Buffer.concat([data, chunk]);
                const end = data.indexOf('\r\n\r\n');
                if (end >= 0 && data.subarray(0, 4).toString() === 'HTTP') data = data.subarray(end + 4);
                while (data.length >= 2 && data.subarray(0, 4).toString() !== 'HTTP') {
                    const length = data[1] & 0x7f;
                    if (data.length < 2 + length) break;
                    if ((data[0] & 0x0f) === 0x9) ++pings;
                    data = data.subarray(2 + length);
                }
            });
            silent.write('GET /v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
                         'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
            await Promise.race([dropped, new Promise((_, reject) => setTimeout(() => reject(new Error('the silent peer was not dropped')), 10000))]);
            assert.ok(pings >= 2, `it was pinged (${pings} pings) before being dropped`);
            assert.equal(healthy.readyState, WebSocket.OPEN, 'a peer that answers pongs stays');
            healthy.send(JSON.stringify({ type: 'ping', ref: 1 }));
            await healthy.next((f) => f.type === 'pong');
            healthy.close();
        } finally {
            silent.destroy();
            await herald.stop();
        }
    });
});
