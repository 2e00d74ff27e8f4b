// Shutdown (API.md Operations): on SIGTERM the server stops accepting and ends every connection
// gracefully: a held long poll answers 204, SSE and NDJSON responses end with their last chunk,
// WebSockets close with 1001, idle keep-alive connections close; then it exits 0. A WebSocket
// peer that does not answer the close is let go after websocket.close_timeout, anything left
// after shutdown.timeout is cut, and a second signal exits at once.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { test } from 'node:test';

import { eventually, get, publish, startHerald } from '../support/herald.mjs';
import { SseClient, StreamClient } from '../support/streams.mjs';
import { connectWs, jsonFrame, rawWs } from '../support/ws.mjs';

/// A GET on a fresh keep-alive connection; resolves with {status, socket} once answered, the
/// socket left open and idle.
function keepAliveGet(base, target) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    return new Promise((resolve, reject) => {
        const req = http.get(`${base}${target}`, { agent }, (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode, socket: req.socket, agent }));
        });
        req.on('error', reject);
    });
}

/// Resolves when `socket` closes.
const closedSocket = (socket) => new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    socket.on('close', resolve);
});

test('SIGTERM: a held long poll answers 204, streams end with their last chunk, WebSockets close with 1001, idle connections close, exit 0', { timeout: 30000 }, async () => {
    const herald = await startHerald();
    try {
        const channel = 'down:1';
        assert.equal((await publish(herald.url, channel, { data: 1 })).status, 201);
        const sse = await SseClient.open(herald.url, `/v1/channels/${channel}/events?after=0`);
        const ndjson = await StreamClient.open(herald.url, `/v1/channels/${channel}/stream?after=0`);
        const ws = await connectWs(herald.url);
        assert.equal((await ws.request({ type: 'subscribe', channel, after: 0 })).type, 'subscribed');
        await eventually(() => sse.seqs.includes(1) && ndjson.seqs.includes(1) && ws.seqs(channel).includes(1),
                         5000, 'every stream to get seq 1');
        const held = fetch(`${herald.url}/v1/channels/${channel}/messages?after=1&wait=30`);
        // The long poll is held once the server counts it.
        await eventually(async () => (await get(herald.url, '/metrics')).text.includes('herald_long_poll_waits 1'),
                         5000, 'the long poll to be held');
        const idle = await keepAliveGet(herald.url, '/healthz');
        assert.equal(idle.status, 200);

        herald.proc.kill('SIGTERM');
        const polled = await held;
        assert.equal(polled.status, 204, 'the held long poll answers 204');
        await eventually(() => sse.ended && ndjson.ended, 5000, 'the streams to end');
        assert.deepEqual(sse.endInfo, { complete: true }, 'SSE ends with its last chunk');
        assert.deepEqual(ndjson.endInfo, { complete: true }, 'NDJSON ends with its last chunk');
        const closed = await ws.closed;
        assert.equal(closed.code, 1001, `WebSocket close code: ${JSON.stringify(closed)}`);
        await closedSocket(idle.socket);
        idle.agent.destroy();
        const exit = await herald.exited;
        assert.deepEqual(exit, { code: 0, signal: null }, herald.stderr());
        assert.match(herald.stderr(), /every connection ended in \d+ ms/);
        // Nothing listens any more.
        await assert.rejects(new Promise((resolve, reject) => {
            const socket = net.connect(herald.port, '127.0.0.1', () => { socket.destroy(); resolve(); });
            socket.on('error', reject);
        }));
    } finally {
        await herald.stop();
    }
});

/// A WebSocket subscriber that never answers the server's close frame, nor ends its side of the
/// connection when the server ends its own.
async function stubbornWs(herald) {
    const peer = await rawWs(herald.port, { allowHalfOpen: true });
    assert.equal(peer.status, 101);
    peer.send(jsonFrame({ type: 'subscribe', channel: 'down:stubborn' }));
    await peer.waitFrame((f) => f.opcode === 0x1, 5000, 'the subscribed frame');
    return peer;
}

/// SIGTERM, then the close frame the stubborn peer gets: the drain has begun. The time it was
/// sent.
async function terminate(herald, peer) {
    const signalled = Date.now();
    herald.proc.kill('SIGTERM');
    await peer.waitFrame((f) => f.opcode === 0x8, 5000, 'the close frame');
    return signalled;
}

test('a peer that does not let go is cut after shutdown.timeout, and the server still exits 0', { timeout: 30000 }, async () => {
    const herald = await startHerald({ args: ['--shutdown-timeout', '500ms'] });
    try {
        const peer = await stubbornWs(herald);
        const signalled = await terminate(herald, peer);
        const exit = await herald.exited;
        assert.deepEqual(exit, { code: 0, signal: null }, herald.stderr());
        assert.ok(Date.now() - signalled >= 450, 'it waited for the peer');
        assert.match(herald.stderr(), /1 connection\(s\) did not end within shutdown\.timeout/);
        peer.socket.destroy();
    } finally {
        await herald.stop();
    }
});

test('a WebSocket peer that does not answer the close is let go after websocket.close_timeout', { timeout: 30000 }, async () => {
    const herald = await startHerald({ args: ['--websocket-close-timeout', '1s'] });  // shutdown.timeout 10 s
    try {
        const peer = await stubbornWs(herald);
        const signalled = await terminate(herald, peer);
        const exit = await herald.exited;
        assert.deepEqual(exit, { code: 0, signal: null }, herald.stderr());
        assert.ok(Date.now() - signalled >= 900, 'it gave the peer its close timeout');
        // Let go by the close timeout: the drain saw every connection end, nothing was cut.
        assert.match(herald.stderr(), /every connection ended in \d+ ms/);
        assert.doesNotMatch(herald.stderr(), /did not end within shutdown\.timeout/);
        peer.socket.destroy();
    } finally {
        await herald.stop();
    }
});

test('a second signal exits at once, while connections are still ending', { timeout: 30000 }, async () => {
    const herald = await startHerald();  // shutdown.timeout 10 s
    try {
        const peer = await stubbornWs(herald);
        await terminate(herald, peer);
        await eventually(() => /ending 1 connection\(s\) gracefully/.test(herald.stderr()), 5000, 'the drain to begin');
        herald.proc.kill('SIGTERM');
        const exit = await herald.exited;
        // Status 1 and its message: the second signal's exit, not the end of a drain (which
        // would exit 0, after the peer's close timeout of 5 s).
        assert.deepEqual(exit, { code: 1, signal: null }, herald.stderr());
        assert.match(herald.stderr(), /second signal, exiting at once/);
        peer.socket.destroy();
    } finally {
        await herald.stop();
    }
});
