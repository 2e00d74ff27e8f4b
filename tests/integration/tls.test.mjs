// Native TLS (API.md Configuration, [tls]): with tls.cert and tls.key the port serves https and
// wss only. A certificate made by the openssl CLI; real clients: node:https, node:tls, npm ws.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import tls from 'node:tls';

import { eventually, rawExchange, runHerald, sampleIn, startHerald, tempDir } from '../support/herald.mjs';
import { SseClient, StreamClient } from '../support/streams.mjs';
import { httpsMetric, httpsRequest, makeCertificate } from '../support/tls.mjs';
import { connectWs } from '../support/ws.mjs';

describe('TLS', () => {
    let dir;
    let certificate;
    let herald;
    let base;
    const ca = () => certificate.ca;
    const post = (channel, body) => httpsRequest(`${base}/v1/channels/${channel}/messages`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body, ca: ca(),
    });

    before(async () => {
        dir = tempDir('herald-tls-');
        certificate = makeCertificate(dir);
        herald = await startHerald({
            args: ['--tls-cert', certificate.cert, '--tls-key', certificate.key,
                '--http-request-timeout', '1s', '--limits-send-queue-bytes', '16777216',
                '--limits-max-message-bytes', '262144'],
        });
        base = herald.url;
    });
    after(async () => {
        await herald.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    test('says https in its listening line', () => {
        assert.match(base, /^https:\/\/127\.0\.0\.1:\d+$/);
    });

    test('https: publish and read back, the certificate checked against its CA', async () => {
        const published = await post('tls:read', { data: { text: 'over tls' } });
        assert.equal(published.status, 201, published.text);
        const read = await httpsRequest(`${base}/v1/channels/tls:read/messages`, { ca: ca() });
        assert.equal(read.status, 200);
        assert.deepEqual(read.json.messages.map((m) => m.data), [{ text: 'over tls' }]);
        // Without the CA the self-signed certificate is refused: it really is TLS being checked.
        await assert.rejects(httpsRequest(`${base}/healthz`), /self[- ]signed/);
    });

    test('ALPN: http/1.1 is chosen from h2 and http/1.1; a client offering h2 only is refused', async () => {
        const offered = await new Promise((resolve, reject) => {
            const socket = tls.connect({ port: herald.port, host: '127.0.0.1', servername: 'localhost', ca: ca(),
                ALPNProtocols: ['h2', 'http/1.1'] }, () => { resolve(socket.alpnProtocol); socket.end(); });
            socket.on('error', reject);
        });
        assert.equal(offered, 'http/1.1');
        await assert.rejects(new Promise((resolve, reject) => {
            const socket = tls.connect({ port: herald.port, host: '127.0.0.1', servername: 'localhost', ca: ca(),
                ALPNProtocols: ['h2'] }, () => { resolve(socket.alpnProtocol); socket.end(); });
            socket.on('error', reject);
        }), /no application protocol|alert/i);
    });

    test('SSE over https: every message in order', async () => {
        const sse = await SseClient.open(base, '/v1/channels/tls:sse/events', { ca: ca() });
        try {
            assert.equal(sse.status, 200);
            for (let i = 1; i <= 50; i += 1) assert.equal((await post('tls:sse', { data: i })).status, 201);
            await eventually(() => sse.count === 50, 5000, '50 SSE events');
            assert.equal(sse.orderError, undefined);
            assert.deepEqual(sse.messages.map((m) => m.data), Array.from({ length: 50 }, (_, i) => i + 1));
        } finally {
            await sse.close();
        }
    });

    test('HTTP streaming over https, with a message bigger than one TLS record', async () => {
        const stream = await StreamClient.open(base, '/v1/channels/tls:stream/stream', { ca: ca() });
        try {
            const big = 'x'.repeat(60 * 1024);
            assert.equal((await post('tls:stream', { data: big })).status, 201);
            assert.equal((await post('tls:stream', { data: 'after' })).status, 201);
            await eventually(() => stream.messages.length === 2, 5000, 'two stream lines');
            assert.equal(stream.messages[0].data, big);
            assert.equal(stream.messages[1].data, 'after');
        } finally {
            await stream.close();
        }
    });

    test('long polling over https is held, then answered by a publish', async () => {
        const held = httpsRequest(`${base}/v1/channels/tls:poll/messages?after=0&wait=10`, { ca: ca() });
        await eventually(async () => (await httpsMetric(base, 'herald_long_poll_waits', ca())) === 1, 5000,
            'the long poll to be held');
        assert.equal((await post('tls:poll', { data: 'wake' })).status, 201);
        const answer = await held;
        assert.equal(answer.status, 200);
        assert.deepEqual(answer.json.messages.map((m) => m.data), ['wake']);
    });

    test('wss with npm ws: subscribe, publish with ack, large frames both ways, order kept', async () => {
        const ws = await connectWs(base, { options: { perMessageDeflate: false, ca: ca() } });
        try {
            const subscribed = await ws.request({ type: 'subscribe', channel: 'tls:ws' });
            assert.equal(subscribed.type, 'subscribed');
            const big = 'y'.repeat(100 * 1024);
            const ack = await ws.request({ type: 'publish', channel: 'tls:ws', data: big }, 'an ack', 10000);
            assert.equal(ack.type, 'ack', JSON.stringify(ack));
            for (let i = 0; i < 300; i += 1) ws.send(JSON.stringify({ type: 'publish', channel: 'tls:ws', data: i }));
            await eventually(() => ws.seqs('tls:ws').length === 301, 10000, '301 messages over wss');
            assert.deepEqual(ws.seqs('tls:ws'), Array.from({ length: 301 }, (_, i) => ack.seq + i));
            const first = ws.frames.find((f) => f.type === 'message' && f.seq === ack.seq);
            assert.equal(first.data, big);
        } finally {
            ws.close();
            await ws.closed;
        }
    });

    test('a reader that stops reading, then reads again, gets every message in order', async () => {
        // 200 messages of 32 KiB: more than the kernel's socket buffers hold, less than the send
        // queue bound (16 MiB here), so TLS writes must wait for the client and resume where
        // they stopped.
        const got = [];
        let rest = '';
        let res;
        const req = https.get(`${base}/v1/channels/tls:pause/stream`, { ca: ca(), agent: false }, (r) => {
            res = r;
            r.setEncoding('utf8');
            r.on('data', (text) => {
                const lines = (rest + text).split('\n');
                rest = lines.pop();
                for (const line of lines) if (line) got.push(JSON.parse(line));
            });
        });
        req.on('error', () => {});
        try {
            await eventually(() => res !== undefined, 5000, 'the stream to open');
            res.pause();
            const payload = 'p'.repeat(32 * 1024);
            for (let i = 1; i <= 200; i += 1) assert.equal((await post('tls:pause', { data: { i, payload } })).status, 201);
            // A moment for the server to fill the socket buffers and stall; nothing is asserted on
            // it (shorter would test less, not fail).
            await new Promise((r) => setTimeout(r, 300));
            res.resume();
            await eventually(() => got.length === 200, 10000, '200 messages after resuming');
            assert.deepEqual(got.map((m) => m.data.i), Array.from({ length: 200 }, (_, i) => i + 1));
            assert.ok(got.every((m) => m.data.payload === payload));
        } finally {
            req.destroy();
        }
    });

    test('plain HTTP sent to the TLS port gets a 400 saying to use https, and https goes on', async () => {
        const { data, closed } = await rawExchange(herald.port, ['GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n']);
        assert.ok(closed);
        assert.match(data, /^HTTP\/1\.1 400 /);
        const body = JSON.parse(data.slice(data.indexOf('\r\n\r\n') + 4));
        assert.equal(body.error.code, 'bad_request');
        assert.match(body.error.message, /https/);
        assert.equal((await httpsRequest(`${base}/healthz`, { ca: ca() })).status, 200);
    });

    test('a client that never finishes its handshake is cut at http.request_timeout and counted', async () => {
        const failuresBefore = await httpsMetric(base, 'herald_tls_handshake_failures_total', ca());
        const silent = rawExchange(herald.port, [], { timeoutMs: 5000 });
        // A handshake record that goes nowhere: it fails at once, with a TLS alert.
        const garbage = rawExchange(herald.port, [Buffer.from([22, 3, 1, 0, 5, 1, 2, 3, 4, 5])], { timeoutMs: 5000 });
        assert.equal((await httpsRequest(`${base}/healthz`, { ca: ca() })).status, 200);
        const started = Date.now();
        const [quiet, bad] = await Promise.all([silent, garbage]);
        assert.ok(quiet.closed, 'the silent connection was closed by the server');
        assert.ok(Date.now() - started < 4000);
        assert.ok(bad.closed);
        assert.doesNotMatch(bad.data, /HTTP/);
        await eventually(async () => (await httpsMetric(base, 'herald_tls_handshake_failures_total', ca())) >= failuresBefore + 2,
            3000, 'both failures counted');
    });

    test('a client leaving frees its session and its tunnel', async () => {
        const baseline = await httpsMetric(base, 'herald_tls_connections', ca());
        const sse = await SseClient.open(base, '/v1/channels/tls:leave/events', { ca: ca() });
        await eventually(async () => (await httpsMetric(base, 'herald_tls_connections', ca())) === baseline + 1, 3000,
            'one more TLS connection');
        await sse.close();
        await eventually(async () => (await httpsMetric(base, 'herald_tls_connections', ca())) === baseline, 3000,
            'the TLS connection gone');
        const text = (await httpsRequest(`${base}/metrics`, { ca: ca() })).text;
        assert.match(text, /herald_connections\{transport="sse"\} 0/);
    });
});

describe('TLS with connection limits and the open-mode admin API', () => {
    let dir;
    let certificate;
    let herald;
    before(async () => {
        dir = tempDir('herald-tls-limits-');
        certificate = makeCertificate(dir);
        herald = await startHerald({
            args: ['--tls-cert', certificate.cert, '--tls-key', certificate.key, '--limits-max-connections-per-ip', '2'],
        });
    });
    after(async () => {
        await herald.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    test('past limits.max_connections_per_ip a TLS client is closed unanswered and counted; another address is served', async () => {
        const base = `https://127.0.0.1:${herald.port}`;
        const counted = async () => sampleIn(
            (await httpsRequest(`${base}/metrics`, { ca: certificate.ca, localAddress: '127.0.0.2' })).text,
            'herald_connections_refused_total{reason="per_ip"}');
        const before = await counted();
        const first = await SseClient.open(base, '/v1/channels/tls:ip/events', { ca: certificate.ca });
        const second = await SseClient.open(base, '/v1/channels/tls:ip/events', { ca: certificate.ca });
        try {
            await assert.rejects(httpsRequest(`${base}/healthz`, { ca: certificate.ca }), /socket|ECONNRESET|disconnected/i);
            assert.equal(await counted(), before + 1);
            const other = await httpsRequest(`${base}/healthz`, { ca: certificate.ca, localAddress: '127.0.0.3' });
            assert.equal(other.status, 200);
        } finally {
            await first.close();
            await second.close();
        }
        await eventually(async () => (await httpsRequest(`${base}/healthz`, { ca: certificate.ca }).catch(() => ({}))).status === 200,
            3000, 'a place freed');
    });

    test('the open-mode admin API answers a loopback client over TLS', async () => {
        const res = await httpsRequest(`https://127.0.0.1:${herald.port}/v1/webhooks`, { ca: certificate.ca });
        assert.equal(res.status, 200, res.text);
    });
});

describe('TLS configuration errors stop start-up with a clear message', () => {
    let dir;
    let certificate;
    let other;
    before(() => {
        dir = tempDir('herald-tls-config-');
        certificate = makeCertificate(dir);
        other = makeCertificate(dir, { name: 'other' });
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const serve = (args) => runHerald(['serve', '--storage', 'memory', '--listen', '127.0.0.1:0', ...args]);

    test('a missing certificate file', async () => {
        const missing = path.join(dir, 'nope.pem');
        const result = await serve(['--tls-cert', missing, '--tls-key', certificate.key]);
        assert.equal(result.code, 2, result.stderr);
        assert.match(result.stderr, /tls\.cert .*nope\.pem/);
    });

    test('a key that is not the certificate\'s', async () => {
        const result = await serve(['--tls-cert', certificate.cert, '--tls-key', other.key]);
        assert.equal(result.code, 2, result.stderr);
        assert.match(result.stderr, /tls\.key .* does not match tls\.cert/);
    });

    test('a certificate without a key', async () => {
        const result = await serve(['--tls-cert', certificate.cert]);
        assert.equal(result.code, 2, result.stderr);
        assert.match(result.stderr, /tls\.cert and tls\.key go together/);
    });

    test('a file that is not PEM', async () => {
        const junk = path.join(dir, 'junk.pem');
        fs.writeFileSync(junk, 'not a certificate\n');
        const result = await serve(['--tls-cert', junk, '--tls-key', certificate.key]);
        assert.equal(result.code, 2, result.stderr);
        assert.match(result.stderr, /tls\.cert .*junk\.pem/);
    });
});
