// HTTP behaviour: routing errors, CORS, operations endpoints, pipelining, malformed input.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';

import { eventually, get, metric, publish, rawExchange, sampleIn, startHerald } from '../support/herald.mjs';

/// A keep-alive connection the server has surely accepted (it answered a request on it), left
/// open. `ask(target)` sends a GET on it and resolves with the whole response {head, body}.
async function keptConnection(port) {
    const socket = net.connect(port, '127.0.0.1');
    let data = Buffer.alloc(0);
    socket.on('data', (d) => { data = Buffer.concat([data, d]); });
    socket.on('error', () => {});
    const ask = async (target) => {
        data = Buffer.alloc(0);
        socket.write(`GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`);
        let response;
        await eventually(() => {
            const end = data.indexOf('\r\n\r\n');
            if (end < 0) return false;
            const head = data.subarray(0, end).toString('latin1');
            const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
            if (data.length < end + 4 + length) return false;
            response = { head, body: data.subarray(end + 4, end + 4 + length).toString() };
            return true;
        }, 5000, `the answer to ${target}`);
        return response;
    };
    assert.match((await ask('/healthz')).head, /^HTTP\/1\.1 200 /);
    return { socket, ask };
}

const errorShape = (res, status, code) => {
    assert.equal(res.status, status);
    assert.deepEqual(Object.keys(res.json), ['error']);
    assert.deepEqual(Object.keys(res.json.error).sort(), ['code', 'message']);
    assert.equal(res.json.error.code, code);
};

describe('http', () => {
    let herald;
    before(async () => { herald = await startHerald(); });
    after(() => herald.stop());

    test('unknown paths are 404 not_found', async () => {
        for (const path of ['/nope', '/nope.js', '/v1', '/v1/channels/a/messages/extra', '/v1/channels/a/other',
                            '/v1/channels/a/', '/v2/channels']) {
            errorShape(await get(herald.url, path), 404, 'not_found');
        }
    });

    test('wrong methods are 405 with Allow', async () => {
        const cases = [['DELETE', '/v1/channels/a/messages', 'GET, POST'], ['PUT', '/v1/channels/a', 'GET'],
                       ['POST', '/v1/channels', 'GET'], ['POST', '/healthz', 'GET'], ['DELETE', '/metrics', 'GET']];
        for (const [method, path, allow] of cases) {
            const res = await get(herald.url, path, { method });
            errorShape(res, 405, 'method_not_allowed');
            assert.equal(res.headers.get('allow'), allow, `${method} ${path}`);
        }
    });

    test('healthz, readyz and metrics', async () => {
        const health = await get(herald.url, '/healthz');
        assert.equal(health.status, 200);
        assert.equal(health.text, 'ok\n');
        const ready = await get(herald.url, '/readyz');
        assert.equal(ready.status, 200);
        await publish(herald.url, 'm', { data: 1 });
        await publish(herald.url, 'm', { data: 1, id: 'dup' });
        await publish(herald.url, 'm', { data: 1, id: 'dup' });
        const metrics = await get(herald.url, '/metrics');
        assert.equal(metrics.status, 200);
        assert.match(metrics.headers.get('content-type'), /^text\/plain/);
        for (const name of ['herald_connections{transport="http"}', 'herald_long_poll_waits',
                            'herald_http_requests_total', 'herald_http_errors_total',
                            'herald_malformed_requests_total', 'herald_messages_published_total',
                            'herald_messages_deduplicated_total', 'herald_publish_failures_total',
                            'herald_messages_delivered_total', 'herald_long_poll_timeouts_total',
                            'herald_slow_consumer_closes_total',
                            'herald_publish_latency_seconds_bucket{le="+Inf"}',
                            'herald_publish_latency_seconds_count']) {
            assert.ok(metrics.text.includes(`\n${name} `) || metrics.text.startsWith(`${name} `), name);
        }
        assert.ok((await metric(herald.url, 'herald_messages_published_total')) >= 2);
        assert.ok((await metric(herald.url, 'herald_messages_deduplicated_total')) >= 1);
        assert.ok((await metric(herald.url, 'herald_connections')) >= 1);
    });

    test('CORS: any origin by default, and preflight', async () => {
        const res = await get(herald.url, '/v1/channels/cors/messages', { headers: { Origin: 'https://x.example' } });
        assert.equal(res.headers.get('access-control-allow-origin'), '*');
        const preflight = await get(herald.url, '/v1/channels/cors/messages', {
            method: 'OPTIONS',
            headers: { Origin: 'https://x.example', 'Access-Control-Request-Method': 'POST',
                       'Access-Control-Request-Headers': 'content-type' },
        });
        assert.equal(preflight.status, 204);
        assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
        assert.match(preflight.headers.get('access-control-allow-methods'), /POST/);
        assert.match(preflight.headers.get('access-control-allow-headers'), /Content-Type/);
    });

    test('keep-alive and pipelining: responses come back in order', async () => {
        const request = (path) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;
        await publish(herald.url, 'pipe', { data: 'one' });
        const { data } = await rawExchange(herald.port, [
            request('/healthz') + request('/v1/channels/pipe/messages') + request('/nope') +
            `GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        ]);
        const statuses = [...data.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
        assert.deepEqual(statuses, [200, 200, 404, 200]);
        assert.ok(data.indexOf('"one"') > data.indexOf('ok\n'), 'second answer after the first');
    });

    test('a garbage request line gets 400 and a closed socket', async () => {
        const { data, closed } = await rawExchange(herald.port, ['NOT AN HTTP REQUEST\r\n\r\n']);
        assert.match(data, /^HTTP\/1\.1 400 /);
        assert.match(data, /"code":"bad_request"/);
        assert.ok(closed);
    });

    test('headers over 8 KiB get 431 and a closed socket', async () => {
        const { data, closed } = await rawExchange(herald.port, [
            `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(10000)}\r\n\r\n`]);
        assert.match(data, /^HTTP\/1\.1 431 /);
        assert.ok(closed);
    });

    test('a bad Content-Length gets 400 and a closed socket', async () => {
        for (const header of ['Content-Length: abc', 'Content-Length: 5\r\nContent-Length: 7',
                              'Content-Length: -1']) {
            const { data, closed } = await rawExchange(herald.port, [
                `POST /v1/channels/cl/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${header}\r\n\r\n{"data":1}`]);
            assert.match(data, /^HTTP\/1\.1 400 /, header);
            assert.ok(closed, header);
        }
    });

    test('a body announced over the limit gets 413 before it is sent', async () => {
        const { data, closed } = await rawExchange(herald.port, [
            'POST /v1/channels/big/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
            'Content-Length: 10000000\r\n\r\n']);
        assert.match(data, /^HTTP\/1\.1 413 /);
        assert.ok(closed);
    });

    test('after all that abuse the server still serves', async () => {
        // A fresh connection: with a 1 s request timeout, a pooled keep-alive one may be closing.
        const body = '{"data":1}';
        const { data } = await rawExchange(herald.port, [
            'POST /v1/channels/after-abuse/messages HTTP/1.1\r\nHost: x\r\nConnection: close\r\n' +
            `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`]);
        assert.match(data, /^HTTP\/1\.1 201 /);
        assert.ok((await metric(herald.url, 'herald_malformed_requests_total')) >= 4);
    });
});

describe('http limits and lifecycle', () => {
    test('slowloris: a request that never completes is cut after the request timeout', async () => {
        const herald = await startHerald({ args: ['--http-request-timeout', '1s'] });
        try {
            const started = Date.now();
            const slow = rawExchange(herald.port, ['GET /healthz HTTP/1.1\r\n', 'Host: x\r\n', 'X-A: 1\r\n',
                                                   'X-B: 2\r\n', 'X-C: 3\r\n', 'X-D: 4\r\n', 'X-E: 5\r\n'],
                                     { gapMs: 400, timeoutMs: 8000 });
            // Meanwhile everyone else is served.
            assert.equal((await rawExchange(herald.port, ['GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'])).data.slice(0, 15), 'HTTP/1.1 200 OK');
            const { closed } = await slow;
            assert.ok(closed, 'closed by the server');
            assert.ok(Date.now() - started < 6000);
        } finally {
            await herald.stop();
        }
    });

    test('connections past limits.max_connections get 503', async () => {
        const herald = await startHerald({ args: ['--limits-max-connections', '2', '--http-threads', '1'] });
        const kept = [];
        try {
            // Two connections, each answered once: accepted and counted, then held open.
            kept.push(await keptConnection(herald.port), await keptConnection(herald.port));
            const { data, closed } = await rawExchange(herald.port, ['GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n']);
            assert.match(data, /^HTTP\/1\.1 503 /);
            assert.match(data, /"code":"unavailable"/);
            assert.ok(closed);
            // Asked on a kept connection: a new one would be refused too.
            const metrics = await kept[0].ask('/metrics');
            assert.match(metrics.head, /^HTTP\/1\.1 200 /);
            assert.equal(sampleIn(metrics.body, 'herald_connections_refused_total{reason="max_connections"}'), 1);
        } finally {
            for (const { socket } of kept) socket.destroy();
            await herald.stop();
        }
    });

    test('SIGTERM stops the server cleanly with exit code 0', async () => {
        const herald = await startHerald();
        await publish(herald.url, 'bye', { data: 1 });
        const { code } = await herald.stop();
        assert.equal(code, 0);
    });
});
