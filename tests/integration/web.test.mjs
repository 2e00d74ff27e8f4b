// The web assets compiled into the binary (API.md: Web): the chat demo at /, herald.js (an ES
// module), herald.classic.js (the same client for a classic <script>), with Content-Type,
// Cache-Control no-cache, a strong ETag and 304 on If-None-Match; HEAD too. Also: a short poll
// that names `wait=0` lists its connection in presence as "poll" (what herald.js's poll transport
// relies on), a read without `wait` does not.
import assert from 'node:assert/strict';
import http from 'node:http';
import vm from 'node:vm';
import { after, before, describe, test } from 'node:test';

import { eventually, get, startHerald } from '../support/herald.mjs';

const assets = [
    ['/', 'text/html; charset=utf-8', '<title>Herald chat</title>'],
    ['/index.html', 'text/html; charset=utf-8', '<title>Herald chat</title>'],
    ['/herald.js', 'text/javascript; charset=utf-8', 'export class Herald'],
    ['/herald.classic.js', 'text/javascript; charset=utf-8', 'globalThis.Herald = Herald'],
    ['/chat.js', 'text/javascript; charset=utf-8', "from '/herald.js'"],
    ['/chat.css', 'text/css; charset=utf-8', ':root'],
];

/// A request on its own keep-alive agent: {status, headers, body}.
function request(base, path, { method = 'GET', headers = {}, agent } = {}) {
    return new Promise((resolve, reject) => {
        const req = http.request(`${base}${path}`, { method, headers, agent }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (d) => { body += d; });
            res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
        });
        req.on('error', reject);
        req.end();
    });
}

describe('web assets', () => {
    let herald;
    before(async () => { herald = await startHerald(); });
    after(() => herald.stop());

    test('each asset has its Content-Type, no-cache, a strong ETag and a Content-Length', async () => {
        for (const [path, type, contains] of assets) {
            const res = await get(herald.url, path);
            assert.equal(res.status, 200, path);
            assert.equal(res.headers.get('content-type'), type, path);
            assert.equal(res.headers.get('cache-control'), 'no-cache', path);
            assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
            assert.equal(res.headers.get('access-control-allow-origin'), '*', path);
            assert.match(res.headers.get('etag'), /^"[0-9a-f]{16}"$/, path);
            assert.equal(Number(res.headers.get('content-length')), Buffer.byteLength(res.text), path);
            assert.ok(res.text.includes(contains), `${path} holds ${contains}`);
        }
        const index = await get(herald.url, '/');
        const file = await get(herald.url, '/index.html');
        assert.equal(index.headers.get('etag'), file.headers.get('etag'));
        const module = await get(herald.url, '/herald.js');
        const chat = await get(herald.url, '/chat.js');
        assert.notEqual(module.headers.get('etag'), chat.headers.get('etag'));
    });

    test('If-None-Match with the ETag is 304 without a body; another ETag is 200', async () => {
        const first = await get(herald.url, '/herald.js');
        const etag = first.headers.get('etag');
        for (const value of [etag, `W/${etag}`, `"nope", ${etag}`, '*']) {
            const res = await get(herald.url, '/herald.js', { headers: { 'If-None-Match': value } });
            assert.equal(res.status, 304, value);
            assert.equal(res.text, '');
            assert.equal(res.headers.get('etag'), etag);
            assert.equal(res.headers.get('cache-control'), 'no-cache');
        }
        const stale = await get(herald.url, '/herald.js', { headers: { 'If-None-Match': '"0000000000000000"' } });
        assert.equal(stale.status, 200);
        assert.equal(stale.text, first.text);
    });

    test('HEAD answers the GET headers without a body, and the connection serves on', async () => {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        try {
            const got = await request(herald.url, '/herald.js', { agent });
            const head = await request(herald.url, '/herald.js', { method: 'HEAD', agent });
            assert.equal(head.status, 200);
            assert.equal(head.body, '');
            assert.equal(head.headers['content-length'], String(Buffer.byteLength(got.body)));
            assert.equal(head.headers.etag, got.headers.etag);
            assert.equal(head.headers['content-type'], got.headers['content-type']);
            // The same connection then answers a GET in full: HEAD left it in step.
            const again = await request(herald.url, '/chat.css', { agent });
            assert.equal(again.status, 200);
            assert.ok(again.body.includes(':root'));
            const notModified = await request(herald.url, '/', { method: 'HEAD', agent,
                                                                  headers: { 'If-None-Match': got.headers.etag } });
            assert.equal(notModified.status, 200, 'another asset\'s ETag does not match /');
        } finally {
            agent.destroy();
        }
    });

    test('other methods on an asset are 405 with Allow: GET, HEAD', async () => {
        for (const method of ['POST', 'DELETE', 'PUT']) {
            const res = await get(herald.url, '/herald.js', { method });
            assert.equal(res.status, 405, method);
            assert.equal(res.headers.get('allow'), 'GET, HEAD');
        }
    });

    test('herald.classic.js runs as a classic script and sets globalThis.Herald', async () => {
        const res = await get(herald.url, '/herald.classic.js');
        assert.doesNotMatch(res.text, /^export /m);
        const context = vm.createContext({ URL, fetch, setTimeout, clearTimeout, AbortController,
                                           TextDecoder, ReadableStream, console });
        vm.runInContext(res.text, context);
        vm.runInContext(res.text, context);  // twice: no global but Herald, so no redeclaration
        assert.equal(typeof context.Herald, 'function');
        assert.deepEqual([...context.Herald.TRANSPORTS], ['websocket', 'sse', 'longpoll', 'poll']);
        const client = vm.runInContext(`new Herald({url: ${JSON.stringify(herald.url)}, transport: 'poll'})`, context);
        assert.equal(client.state, 'disconnected');
    });
});

describe('short-poll presence', () => {
    let herald;
    before(async () => { herald = await startHerald(); });
    after(() => herald.stop());

    test('wait=0 lists the connection as "poll" until it closes; a read without wait does not', async () => {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        const presence = async () => (await get(herald.url, '/v1/channels/sp/presence')).json.clients;
        try {
            const plain = await request(herald.url, '/v1/channels/sp/messages', { agent });
            assert.equal(plain.status, 200);
            assert.deepEqual(await presence(), []);
            const poll = await request(herald.url, '/v1/channels/sp/messages?after=0&wait=0', { agent });
            assert.equal(poll.status, 200);
            const clients = await presence();
            assert.equal(clients.length, 1);
            assert.equal(clients[0].transport, 'poll');
            assert.equal(clients[0].user, null);
        } finally {
            agent.destroy();
        }
        await eventually(async () => (await presence()).length === 0, 3000, 'the poller to leave');
    });
});
