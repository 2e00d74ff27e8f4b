// Auth (API.md Auth): tokens minted by npm `jsonwebtoken`, checked on HTTP, SSE and WebSocket.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import jwt from 'jsonwebtoken';
import WebSocket from 'ws';
import { EventSource } from 'eventsource';

import { eventually, get, publish, runHerald, startHerald, tempDir } from '../support/herald.mjs';

const SECRET = 'a-test-secret-of-some-length';
const now = () => Math.floor(Date.now() / 1000);
const claims = (extra = {}) => ({ sub: 'ann', herald: { subscribe: ['room:*'], publish: ['room:1'] }, ...extra });
const hs256 = (payload, options = {}) => jwt.sign(payload, SECRET, { algorithm: 'HS256', ...options });
const bearer = (token) => ({ Authorization: `Bearer ${token}` });
/// Every kind of token the server must refuse with 401, by why.
const refusedTokens = () => ({
    expired: hs256(claims({ exp: now() - 5 })),
    'not yet valid': hs256(claims({ nbf: now() + 60 })),
    'bad signature': jwt.sign(claims(), 'another-secret', { algorithm: 'HS256' }),
    'another algorithm': jwt.sign(claims(), SECRET, { algorithm: 'HS512' }),
    none: jwt.sign(claims(), null, { algorithm: 'none' }),
    malformed: 'not.a.token',
});

/// A `ws` client to /v1/ws (token in the query when given) that records JSON frames; resolves
/// once open, or rejects with the HTTP status of a refused upgrade.
function openWs(base, token) {
    const url = `${base.replace(/^http/, 'ws')}/v1/ws${token ? `?token=${token}` : ''}`;
    return new Promise((resolve, reject) => {
        const ws = new WebSocket(url);
        ws.frames = [];
        ws.on('message', (data) => ws.frames.push(JSON.parse(data.toString())));
        ws.closed = new Promise((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
        ws.on('unexpected-response', (req, res) => reject(Object.assign(new Error('refused'), { status: res.statusCode })));
        ws.on('error', () => {});
        ws.on('open', () => resolve(ws));
    });
}

async function reply(ws, frame) {
    const ref = Math.floor(Math.random() * 1e9);
    ws.send(JSON.stringify({ ...frame, ref }));
    let found;
    await eventually(() => (found = ws.frames.find((f) => f.ref === ref)) !== undefined, 5000, `a reply to ${frame.type}`);
    return found;
}

describe('auth with an HS256 secret', () => {
    let herald;
    before(async () => {
        herald = await startHerald({ args: ['--auth-jwt-secret', SECRET, '--auth-leeway', '0s', '--websocket-ping-interval', '1s'] });
    });
    after(async () => { await herald.stop(); });

    test('no token, or a bad one, is 401 with the error shape and WWW-Authenticate; health stays open', async () => {
        const none = await get(herald.url, '/v1/channels/room:1/messages');
        assert.equal(none.status, 401);
        assert.equal(none.json.error.code, 'unauthorized');
        assert.match(none.headers.get('www-authenticate'), /^Bearer/);
        for (const [why, token] of Object.entries(refusedTokens())) {
            const res = await get(herald.url, '/v1/channels/room:1/messages', { headers: bearer(token) });
            assert.equal(res.status, 401, why);
            assert.equal(res.json.error.code, 'unauthorized', why);
            assert.match(res.headers.get('www-authenticate'), /invalid_token/, why);
        }
        assert.equal((await get(herald.url, '/healthz')).status, 200);
    });

    test('the claims decide per channel: 403 outside them, none at all without herald claims', async () => {
        const token = hs256(claims({ exp: now() + 600 }));
        assert.equal((await publish(herald.url, 'room:1', { data: 1 }, bearer(token))).status, 201);
        const outside = await publish(herald.url, 'room:2', { data: 1 }, bearer(token));
        assert.equal(outside.status, 403);
        assert.equal(outside.json.error.code, 'forbidden');
        assert.equal((await get(herald.url, '/v1/channels/room:2/messages', { headers: bearer(token) })).status, 200);
        assert.equal((await get(herald.url, '/v1/channels/hall/messages', { headers: bearer(token) })).status, 403);
        assert.equal((await get(herald.url, '/v1/channels/hall/presence', { headers: bearer(token) })).status, 403);
        const bare = hs256({ sub: 'nobody' });
        assert.equal((await publish(herald.url, 'room:1', { data: 1 }, bearer(bare))).status, 403);
        assert.equal((await get(herald.url, '/v1/channels/room:1', { headers: bearer(bare) })).status, 403);
        // A list shows only what the token may read.
        await publish(herald.url, 'hall', { data: 1 }, bearer(hs256({ herald: { publish: ['*'] } })));
        const list = await get(herald.url, '/v1/channels', { headers: bearer(token) });
        assert.equal(list.status, 200);
        assert.ok(list.json.channels.every((c) => c.channel.startsWith('room:')), JSON.stringify(list.json));
    });

    test('EventSource passes its token as ?token= and presence shows its sub', async () => {
        const token = hs256(claims({ sub: 'eve', exp: now() + 600 }));
        const refused = await get(herald.url, '/v1/channels/room:sse/events');
        assert.equal(refused.status, 401);
        const source = new EventSource(`${herald.url}/v1/channels/room:sse/events?token=${token}`);
        const got = [];
        source.onmessage = (e) => got.push(JSON.parse(e.data));
        try {
            await new Promise((resolve, reject) => { source.onopen = resolve; source.onerror = reject; });
            const present = await get(herald.url, '/v1/channels/room:sse/presence', { headers: bearer(token) });
            assert.deepEqual(present.json.clients.map((c) => [c.user, c.transport]), [['eve', 'sse']]);
            const publisher = hs256({ herald: { publish: ['room:*'] } });
            assert.equal((await publish(herald.url, 'room:sse', { data: 'hi' }, bearer(publisher))).status, 201);
            await eventually(() => got.length === 1, 5000, 'the message over SSE');
            assert.equal(got[0].data, 'hi');
        } finally {
            source.close();
        }
    });

    test('WebSocket: the upgrade needs a token; frames outside the claims get forbidden', async () => {
        await assert.rejects(openWs(herald.url), (error) => error.status === 401);
        await assert.rejects(openWs(herald.url, hs256(claims({ exp: now() - 10 }))), (error) => error.status === 401);
        const ws = await openWs(herald.url, hs256(claims({ exp: now() + 600 })));
        try {
            assert.equal((await reply(ws, { type: 'subscribe', channel: 'room:ws' })).type, 'subscribed');
            const denied = await reply(ws, { type: 'subscribe', channel: 'hall' });
            assert.equal(denied.type, 'error');
            assert.equal(denied.code, 'forbidden');
            assert.equal((await reply(ws, { type: 'publish', channel: 'room:ws', data: 1 })).code, 'forbidden');
            assert.equal((await reply(ws, { type: 'publish', channel: 'room:1', data: 1 })).type, 'ack');
            assert.equal((await reply(ws, { type: 'presence', channel: 'hall' })).code, 'forbidden');
            const present = await reply(ws, { type: 'presence', channel: 'room:ws' });
            assert.deepEqual(present.clients.map((c) => c.user), ['ann']);
            assert.equal((await reply(ws, { type: 'ping' })).type, 'pong', 'the connection lives on');
        } finally {
            ws.close();
        }
    });

    test('every refused token is refused on SSE (?token=), NDJSON streams and the WebSocket upgrade too', async () => {
        for (const [why, token] of Object.entries(refusedTokens())) {
            for (const kind of ['events', 'stream']) {
                const res = await get(herald.url, `/v1/channels/room:1/${kind}?token=${token}`);
                assert.equal(res.status, 401, `${kind}: ${why}`);
                assert.equal(res.json.error.code, 'unauthorized', `${kind}: ${why}`);
            }
            await assert.rejects(openWs(herald.url, token), (error) => error.status === 401, `ws: ${why}`);
        }
        // A valid token opens both; the header form works for the upgrade as well as ?token=.
        const valid = hs256(claims({ exp: now() + 600 }));
        const ws = await new Promise((resolve, reject) => {
            const socket = new WebSocket(`${herald.url.replace(/^http/, 'ws')}/v1/ws`, { headers: bearer(valid) });
            socket.on('open', () => resolve(socket));
            socket.on('unexpected-response', (req, res) => reject(new Error(`refused ${res.statusCode}`)));
            socket.on('error', reject);
        });
        ws.close();
    });

    test('missing or outside claims: SSE and streams get 403, WebSocket frames get forbidden', async () => {
        const bare = hs256({ sub: 'nobody', exp: now() + 600 });
        const outside = hs256(claims({ exp: now() + 600 }));
        for (const [why, token, channel] of [['no herald claims', bare, 'room:1'], ['outside the globs', outside, 'hall']]) {
            for (const kind of ['events', 'stream']) {
                const res = await get(herald.url, `/v1/channels/${channel}/${kind}?token=${token}`);
                assert.equal(res.status, 403, `${kind}: ${why}`);
                assert.equal(res.json.error.code, 'forbidden', `${kind}: ${why}`);
            }
            const ws = await openWs(herald.url, token);
            try {
                const subscribe = await reply(ws, { type: 'subscribe', channel });
                assert.equal(subscribe.code, 'forbidden', `ws subscribe: ${why}`);
                const publishFrame = await reply(ws, { type: 'publish', channel, data: 1 });
                assert.equal(publishFrame.code, 'forbidden', `ws publish: ${why}`);
            } finally {
                ws.close();
            }
        }
    });

    test('a WebSocket whose token expires is closed with 4001', async () => {
        const ws = await openWs(herald.url, hs256(claims({ exp: now() + 2 })));
        assert.equal((await reply(ws, { type: 'subscribe', channel: 'room:ws' })).type, 'subscribed');
        const closed = await Promise.race([ws.closed, new Promise((r) => setTimeout(() => r(null), 8000))]);
        assert.ok(closed, 'closed within 8 s');
        assert.equal(closed.code, 4001);
        assert.equal(closed.reason, 'token expired');
    });

    test('the admin API needs an admin token', async () => {
        const body = JSON.stringify({ url: 'http://127.0.0.1:9/hook', events: ['message.published'] });
        const create = (headers) => fetch(`${herald.url}/v1/webhooks`, {
            method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body,
        });
        assert.equal((await create({})).status, 401);
        const user = await create(bearer(hs256(claims({ exp: now() + 600 }))));
        assert.equal(user.status, 403);
        assert.equal((await user.json()).error.code, 'forbidden');
        const admin = await create(bearer(hs256(claims({ exp: now() + 600, herald: { admin: true } }))));
        assert.equal(admin.status, 201, await admin.text());
    });

    test('herald token mints a token the server accepts', async () => {
        const minted = await runHerald(['token', '--sub', 'cli', '--subscribe', 'room:*', '--publish', 'room:*,lobby', '--ttl', '5m'],
            { env: { HERALD_AUTH_JWT_SECRET: SECRET } });
        assert.equal(minted.code, 0, minted.stderr);
        const token = minted.stdout.trim();
        const decoded = jwt.verify(token, SECRET, { algorithms: ['HS256'] });
        assert.equal(decoded.sub, 'cli');
        assert.deepEqual(decoded.herald.publish, ['room:*', 'lobby']);
        assert.ok(decoded.exp - now() <= 300 && decoded.exp - now() > 290);
        assert.equal((await publish(herald.url, 'lobby', { data: 1 }, bearer(token))).status, 201);
        // The client commands pass it: over HTTP and over a WebSocket.
        for (const extra of [[], ['--ws']]) {
            const ok = await runHerald(['pub', 'lobby', '{"a":1}', '--url', herald.url, '--token', token, ...extra]);
            assert.equal(ok.code, 0, ok.stderr);
            const refused = await runHerald(['pub', 'lobby', '{"a":1}', '--url', herald.url, ...extra]);
            assert.notEqual(refused.code, 0, `pub ${extra} without a token`);
        }
        const none = await runHerald(['token', '--sub', 'x'], { env: { HERALD_AUTH_JWT_SECRET: '' } });
        assert.equal(none.code, 2);
        assert.match(none.stderr, /no secret/);
    });
});

describe('WebSocket Origin', () => {
    test('http.allowed_origins decides which pages may open a WebSocket', async () => {
        const herald = await startHerald({ args: ['--http-allowed-origins', 'https://app.example'] });
        try {
            const open = (origin) => new Promise((resolve) => {
                const ws = new WebSocket(`${herald.url.replace(/^http/, 'ws')}/v1/ws`, origin ? { origin } : {});
                ws.on('open', () => { ws.close(); resolve(101); });
                ws.on('unexpected-response', (req, res) => resolve(res.statusCode));
                ws.on('error', () => resolve('error'));
            });
            assert.equal(await open('https://app.example'), 101);
            assert.equal(await open('https://evil.example'), 403);
            assert.equal(await open(undefined), 101, 'clients that are not browsers send no Origin');
        } finally {
            await herald.stop();
        }
    });

    test('with tokens and no http.allowed_origins: only the server\'s own pages, no CORS for others', async () => {
        const herald = await startHerald({ args: ['--auth-jwt-secret', SECRET] });
        try {
            const token = hs256(claims({ exp: now() + 600 }));
            const open = (origin) => new Promise((resolve) => {
                const ws = new WebSocket(`${herald.url.replace(/^http/, 'ws')}/v1/ws?token=${token}`, { origin });
                ws.on('open', () => { ws.close(); resolve(101); });
                ws.on('unexpected-response', (req, res) => resolve(res.statusCode));
                ws.on('error', () => resolve('error'));
            });
            assert.equal(await open(herald.url), 101, 'a page of the server itself');
            assert.equal(await open('https://evil.example'), 403);
            const preflight = await get(herald.url, '/v1/channels/room:1/messages', {
                method: 'OPTIONS',
                headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
            });
            assert.equal(preflight.headers.get('access-control-allow-origin'), null);
            const read = await get(herald.url, '/v1/channels/room:1/messages', {
                headers: { Origin: 'https://evil.example', ...bearer(token) },
            });
            assert.equal(read.status, 200);
            assert.equal(read.headers.get('access-control-allow-origin'), null, 'the browser hides it from that page');
        } finally {
            await herald.stop();
        }
        // Open mode keeps "*".
        const open = await startHerald();
        try {
            const res = await get(open.url, '/v1/channels/x/messages', { headers: { Origin: 'https://any.example' } });
            assert.equal(res.headers.get('access-control-allow-origin'), '*');
        } finally {
            await open.stop();
        }
    });
});

describe('auth with public keys', () => {
    const dir = tempDir('herald-auth-');
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    for (const [algorithm, options] of [['RS256', { type: 'rsa', modulusLength: 2048 }], ['ES256', { type: 'ec', namedCurve: 'P-256' }]]) {
        test(`${algorithm}: signed tokens pass; an HS256 token keyed with the public key does not`, async () => {
            const { publicKey, privateKey } = crypto.generateKeyPairSync(options.type, options);
            const pem = publicKey.export({ type: 'spki', format: 'pem' });
            const file = path.join(dir, `${algorithm}.pem`);
            fs.writeFileSync(file, pem);
            const herald = await startHerald({ args: ['--auth-jwt-algorithm', algorithm, '--auth-jwt-public-key', file] });
            try {
                const good = jwt.sign(claims(), privateKey, { algorithm });
                assert.equal((await publish(herald.url, 'room:1', { data: 1 }, bearer(good))).status, 201);
                const confused = jwt.sign(claims(), pem, { algorithm: 'HS256' });
                assert.equal((await publish(herald.url, 'room:1', { data: 1 }, bearer(confused))).status, 401);
            } finally {
                await herald.stop();
            }
        });
    }

    test('bad auth configuration stops the start with a clear message', async () => {
        const both = await runHerald(['serve', '--listen', '127.0.0.1:0', '--data', dir, '--auth-jwt-secret', 's', '--auth-jwt-algorithm', 'RS256']);
        assert.equal(both.code, 2);
        assert.match(both.stderr, /auth\.jwt_secret is an HS256 secret/);
        const missing = await runHerald(['serve', '--listen', '127.0.0.1:0', '--data', dir, '--auth-jwt-algorithm', 'ES256', '--auth-jwt-public-key', path.join(dir, 'nope.pem')]);
        assert.equal(missing.code, 2);
        assert.match(missing.stderr, /cannot read auth\.jwt_public_key/);
    });
});
