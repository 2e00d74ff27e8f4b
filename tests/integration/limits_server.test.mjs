// Limits of API.md Flow control (docs/SECURITY.md) that protect the server as a whole: connections per
// client address, header count, held long polls, request and idle timeouts, the open-mode admin
// API; each answered as docs/SECURITY.md says, counted in /metrics, and others still served.
// (Publish rate: limits.test.mjs. Max connections, header size, body size: http.test.mjs;
// subscriptions and WebSocket message size: websocket.test.mjs; also counted below.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

import WebSocket from 'ws';

import { eventually, rawExchange, runHerald, sampleIn, startHerald, tempDir } from '../support/herald.mjs';

/// One GET on a fresh connection from `localAddress` (a loopback address of its own, so that
/// the test's reads do not count against the address under test): {status, headers, text}.
function getFrom(localAddress, port, target, { timeoutMs = 10000 } = {}) {
    return new Promise((resolve, reject) => {
        const request = http.get({ host: '127.0.0.1', port, path: target, localAddress, agent: false }, (res) => {
            let text = '';
            res.on('data', (d) => { text += d; });
            res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
        });
        request.setTimeout(timeoutMs, () => request.destroy(new Error(`GET ${target} timed out`)));
        request.on('error', reject);
    });
}

/// A sample of /metrics, read from 127.0.0.9: `name` with its labels, e.g. x{reason="per_ip"}.
async function sampleOf(port, name) {
    const value = sampleIn((await getFrom('127.0.0.9', port, '/metrics')).text, name);
    assert.ok(value !== undefined, `no sample ${name} in /metrics`);
    return value;
}

/// A raw socket from 127.0.0.1 that has had one keep-alive request answered: counted by the
/// server, and idle. Resolves to the socket.
function heldHttpConnection(port) {
    return new Promise((resolve, reject) => {
        const socket = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.1' });
        let data = '';
        socket.on('error', reject);
        socket.on('connect', () => socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'));
        socket.on('data', (d) => {
            data += d;
            if (data.includes('\r\n\r\nok\n')) resolve(socket);
        });
    });
}

/// An HTTP exchange from 127.0.0.1 on a new socket: everything until the server closes it.
const rawFromFirstAddress = (port, request) => rawExchange(port, [request], { timeoutMs: 5000 });

describe('limits.max_connections_per_ip', () => {
    let herald;
    before(async () => {
        herald = await startHerald({ args: ['--limits-max-connections-per-ip', '3', '--http-threads', '2'] });
    });
    after(async () => { await herald.stop(); });

    test('past the bound an address gets 429 with Retry-After; other addresses are served; a closed connection frees its place', async () => {
        const before = await sampleOf(herald.port, 'herald_connections_refused_total{reason="per_ip"}');
        // Three connections of 127.0.0.1 on any shard, each on another transport after HTTP:
        // a keep-alive HTTP connection, a WebSocket and an SSE stream (handed over by HTTP).
        const keepAlive = await heldHttpConnection(herald.port);
        const ws = new WebSocket(`ws://127.0.0.1:${herald.port}/v1/ws`, { localAddress: '127.0.0.1' });
        await new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
        const sse = await new Promise((resolve, reject) => {
            const request = http.get({ host: '127.0.0.1', port: herald.port, path: '/v1/channels/ip/events',
                                       localAddress: '127.0.0.1', agent: false }, (res) => resolve({ request, res }));
            request.on('error', reject);
        });
        try {
            assert.equal(sse.res.statusCode, 200);
            const refused = await rawFromFirstAddress(herald.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
            assert.match(refused.data, /^HTTP\/1\.1 429 /);
            assert.match(refused.data, /\r\nRetry-After: \d+\r\n/i);
            assert.match(refused.data, /"code":"rate_limited"/);
            assert.ok(refused.closed, 'closed by the server');
            assert.equal(await sampleOf(herald.port, 'herald_connections_refused_total{reason="per_ip"}'), before + 1);

            // Another client address is served meanwhile.
            const other = await getFrom('127.0.0.2', herald.port, '/v1/channels/ip/messages');
            assert.equal(other.status, 200);

            // The WebSocket ends: its place (held since its HTTP upgrade) is given back.
            ws.close();
            await eventually(async () => /^HTTP\/1\.1 200 /.test(
                (await rawFromFirstAddress(herald.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).data),
                5000, 'a place for 127.0.0.1 once its WebSocket closed');
        } finally {
            keepAlive.destroy();
            ws.terminate();
            sse.request.destroy();
        }
    });
});

describe('limits.max_header_count', () => {
    let herald;
    before(async () => { herald = await startHerald({ args: ['--limits-max-header-count', '100'] }); });
    after(async () => { await herald.stop(); });

    const withHeaders = (n) => {
        let request = 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n';
        for (let i = 0; i < n - 2; ++i) request += `X-H${i}: 1\r\n`;
        return `${request}\r\n`;
    };

    test('many small headers under the size limit get 431 with the error body; 100 pass; others go on', async () => {
        const before = await sampleOf(herald.port, 'herald_requests_refused_total{reason="header_count"}');
        const many = withHeaders(150);
        assert.ok(many.length < 8192, 'under the header size limit');
        const refused = await rawExchange(herald.port, [many]);
        assert.match(refused.data, /^HTTP\/1\.1 431 /);
        const body = JSON.parse(refused.data.slice(refused.data.indexOf('\r\n\r\n') + 4));
        assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message']);
        assert.equal(body.error.code, 'bad_request');
        assert.ok(refused.closed);
        assert.equal(await sampleOf(herald.port, 'herald_requests_refused_total{reason="header_count"}'), before + 1);

        const fine = await rawExchange(herald.port, [withHeaders(100)]);
        assert.match(fine.data, /^HTTP\/1\.1 200 /);
    });
});

describe('limits.max_long_poll_waiters', () => {
    let herald;
    before(async () => {
        herald = await startHerald({ args: ['--limits-max-long-poll-waiters', '2', '--http-threads', '2'] });
    });
    after(async () => { await herald.stop(); });

    test('past the bound a long poll gets 503 with Retry-After; short polls and publishes go on; the held ones are answered', async () => {
        const held = [1, 2].map((i) => getFrom(`127.0.0.${10 + i}`, herald.port, '/v1/channels/lp/messages?after=0&wait=20'));
        await eventually(async () => (await sampleOf(herald.port, 'herald_long_poll_waits')) === 2, 5000, 'two held long polls');
        const before = await sampleOf(herald.port, 'herald_requests_refused_total{reason="long_poll_waiters"}');

        const refused = await getFrom('127.0.0.13', herald.port, '/v1/channels/lp/messages?after=0&wait=20');
        assert.equal(refused.status, 503);
        assert.equal(JSON.parse(refused.text).error.code, 'unavailable');
        assert.ok(Number(refused.headers['retry-after']) >= 1, JSON.stringify(refused.headers));
        assert.equal(await sampleOf(herald.port, 'herald_requests_refused_total{reason="long_poll_waiters"}'), before + 1);

        const short = await getFrom('127.0.0.13', herald.port, '/v1/channels/lp/messages?after=0');
        assert.equal(short.status, 200, 'a short poll still answers');
        const published = await fetch(`${herald.url}/v1/channels/lp/messages`, {
            method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"data":1}' });
        assert.equal(published.status, 201);
        for (const answer of await Promise.all(held)) {
            assert.equal(answer.status, 200);
            assert.equal(JSON.parse(answer.text).messages[0].data, 1);
        }
        // Answered polls give their places back: a new long poll is held again.
        const again = getFrom('127.0.0.13', herald.port, '/v1/channels/lp/messages?after=1&wait=20');
        await eventually(async () => (await sampleOf(herald.port, 'herald_long_poll_waits')) === 1, 5000, 'held again');
        await fetch(`${herald.url}/v1/channels/lp/messages`, {
            method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"data":2}' });
        assert.equal((await again).status, 200);
    });
});

describe('http.request_timeout (slowloris and idle connections)', () => {
    let herald;
    before(async () => { herald = await startHerald({ args: ['--http-request-timeout', '1s'] }); });
    after(async () => { await herald.stop(); });

    test('headers sent byte by byte are cut off unanswered; other clients are served meanwhile', async () => {
        const before = await sampleOf(herald.port, 'herald_timeouts_total{kind="request"}');
        const request = 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n';
        const slow = rawExchange(herald.port, request.split(''), { gapMs: 100, timeoutMs: 15000 });
        const served = await getFrom('127.0.0.2', herald.port, '/healthz');
        assert.equal(served.status, 200);
        const { data, closed } = await slow;
        assert.ok(closed, 'closed by the server before the request was complete');
        assert.equal(data, '', 'no answer to a request never completed');
        assert.equal(await sampleOf(herald.port, 'herald_timeouts_total{kind="request"}'), before + 1);
    });

    test('an idle keep-alive connection is closed after its answer and the timeout', async () => {
        const before = await sampleOf(herald.port, 'herald_timeouts_total{kind="idle"}');
        const { data, closed } = await rawExchange(herald.port, ['GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'],
                                                   { timeoutMs: 10000 });
        assert.match(data, /^HTTP\/1\.1 200 /);
        assert.ok(closed, 'the idle connection was closed by the server');
        assert.equal(await sampleOf(herald.port, 'herald_timeouts_total{kind="idle"}'), before + 1);
    });
});

describe('refusals of the other limits are counted', () => {
    let herald;
    before(async () => {
        herald = await startHerald({ args: ['--limits-max-subscriptions', '1', '--limits-ws-max-frame-bytes', '1024',
                                            '--limits-max-message-bytes', '1024'] });
    });
    after(async () => { await herald.stop(); });

    test('header size (431), body size (413), subscriptions (rate_limited), WebSocket message size (1009)', async () => {
        const count = (reason) => sampleOf(herald.port, `herald_requests_refused_total{reason="${reason}"}`);
        const before = { header_size: await count('header_size'), body_size: await count('body_size'),
                         subscriptions: await count('subscriptions'), ws_message_size: await count('ws_message_size') };

        const big = await rawExchange(herald.port, [`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(10000)}\r\n\r\n`]);
        assert.match(big.data, /^HTTP\/1\.1 431 /);
        const body = await rawExchange(herald.port, ['POST /v1/channels/c/messages HTTP/1.1\r\nHost: x\r\n' +
                                                     'Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n']);
        assert.match(body.data, /^HTTP\/1\.1 413 /);

        const ws = new WebSocket(`ws://127.0.0.1:${herald.port}/v1/ws`);
        const frames = [];
        ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
        await new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
        ws.send(JSON.stringify({ type: 'subscribe', channel: 'one', ref: 1 }));
        ws.send(JSON.stringify({ type: 'subscribe', channel: 'two', ref: 2 }));
        await eventually(() => frames.some((f) => f.ref === 2), 5000, 'the second subscribe answered');
        assert.equal(frames.find((f) => f.ref === 2).code, 'rate_limited');
        const closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
        ws.send('x'.repeat(2000));
        assert.equal(await closed, 1009);

        assert.equal(await count('header_size'), before.header_size + 1);
        assert.equal(await count('body_size'), before.body_size + 1);
        assert.equal(await count('subscriptions'), before.subscriptions + 1);
        assert.equal(await count('ws_message_size'), before.ws_message_size + 1);
        assert.equal((await getFrom('127.0.0.2', herald.port, '/healthz')).status, 200, 'still serving');
    });
});

describe('open mode: the admin API from loopback only (http.admin_remote)', () => {
    test('loopback clients (127.0.0.1, 127.0.0.2) may use the admin API in open mode', async () => {
        const herald = await startHerald();
        try {
            assert.equal((await getFrom('127.0.0.1', herald.port, '/v1/webhooks')).status, 200);
            assert.equal((await getFrom('127.0.0.2', herald.port, '/v1/webhooks')).status, 200);
        } finally {
            await herald.stop();
        }
    });

    test('http.admin_remote parses from a flag, the environment and the file; a bad value is refused', async () => {
        const flag = await startHerald({ args: ['--http-admin-remote', 'true'] });
        try {
            assert.equal((await getFrom('127.0.0.1', flag.port, '/v1/webhooks')).status, 200);
        } finally {
            await flag.stop();
        }
        const env = await startHerald({ env: { HERALD_HTTP_ADMIN_REMOTE: 'false' } });
        await env.stop();
        const dir = tempDir();
        try {
            const config = path.join(dir, 'herald.toml');
            fs.writeFileSync(config, '[http]\nadmin_remote = true\n');
            const file = await startHerald({ args: ['--config', config] });
            await file.stop();
            const bad = await runHerald(['serve', '--listen', '127.0.0.1:0', '--data', dir, '--http-admin-remote', 'maybe']);
            assert.equal(bad.code, 2);
            assert.match(bad.stderr, /http\.admin_remote|admin-remote/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe('limits.max_message_bytes on the WebSocket', () => {
    test('a publish frame over it gets a too_large error frame with its ref; the connection lives and is counted', async () => {
        const herald = await startHerald({ args: ['--limits-max-message-bytes', '1024'] });
        try {
            const count = () => sampleOf(herald.port, 'herald_requests_refused_total{reason="body_size"}');
            const before = await count();
            const ws = new WebSocket(`ws://127.0.0.1:${herald.port}/v1/ws`);
            const frames = [];
            ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
            await new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
            ws.send(JSON.stringify({ type: 'publish', channel: 'big', data: 'x'.repeat(2000), ref: 1 }));
            ws.send(JSON.stringify({ type: 'publish', channel: 'big', data: 'small', ref: 2 }));
            await eventually(() => frames.some((f) => f.ref === 2), 5000, 'the second publish answered');
            const refused = frames.find((f) => f.ref === 1);
            assert.equal(refused.type, 'error');
            assert.equal(refused.code, 'too_large');
            assert.match(refused.message, /1024/);
            const acked = frames.find((f) => f.ref === 2);
            assert.equal(acked.type, 'ack');
            assert.equal(acked.seq, 1, 'the refused publish stored nothing');
            assert.equal(await count(), before + 1);
            ws.close();
        } finally {
            await herald.stop();
        }
    });
});
