// The defects that black-box fuzzing found, each sent with its exact bytes (raw sockets where an
// HTTP client would normalise them) and answered as API.md now says: payloads relayed as their
// publisher's JSON text, the admin API closed to other origins and DNS-rebinding names, RFC 9112
// framing, bounded poll presence, cursors that do not wrap, JWT times that do not overflow.
// (Webhook URLs inside the network: webhook_private.test.mjs.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';

import WebSocket from 'ws';

import { eventually, get, publish, rawExchange, runHerald, startHerald } from '../support/herald.mjs';
import { SseClient, StreamClient } from '../support/streams.mjs';
import { connectWs, wsUrl } from '../support/ws.mjs';

const kMaxSeq = '18446744073709551615';

/// A WebSocket client that keeps each text frame as the server sent it, unparsed.
async function rawWs(base) {
    const ws = new WebSocket(wsUrl(base), { perMessageDeflate: false });
    ws.texts = [];
    ws.on('message', (data) => ws.texts.push(data.toString()));
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    ws.nextText = async (predicate, what) => {
        let found;
        await eventually(() => (found = ws.texts.find(predicate)) !== undefined, 5000, what);
        return found;
    };
    return ws;
}

/// Raw request bytes with a Host, Content-Type and Content-Length for `body`.
function rawPost(target, body, extra = '') {
    return `POST ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`;
}

/// Every HTTP response status line in `data`, in order.
const statuses = (data) => [...data.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));

/// One request on its own connection with exactly these headers (fetch would add or fix some).
function requestWith(port, { method = 'GET', target, headers = {}, body }) {
    return new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, method, path: target, headers, agent: false,
                                   setHost: false }, (res) => {
            let text = '';
            res.on('data', (d) => { text += d; });
            res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
        });
        req.on('error', reject);
        req.end(body);
    });
}

describe('finding 1: data is the publisher\'s own JSON text', () => {
    let herald;
    before(async () => { herald = await startHerald(); });
    after(() => herald.stop());

    test('1e999 and a 30-digit integer reach every transport as sent, and all of it is JSON', async () => {
        const sse = await SseClient.open(herald.url, '/v1/channels/p/events');
        const stream = await StreamClient.open(herald.url, '/v1/channels/p/stream');
        const ws = await rawWs(herald.url);
        ws.send(JSON.stringify({ type: 'subscribe', channel: 'p', ref: 1 }));
        await ws.nextText((t) => t.includes('"subscribed"'), 'subscribed');

        const sent = await rawExchange(herald.port, [rawPost('/v1/channels/p/messages',
            '{"data": {"inf":1e999, "big":123456789012345678901234567890, "neg":-0.0e-0}}')]);
        assert.deepEqual(statuses(sent.data), [201]);
        const expected = '"data":{"inf":1e999,"big":123456789012345678901234567890,"neg":-0.0e-0}';

        const read = await get(herald.url, '/v1/channels/p/messages');
        assert.ok(read.text.includes(expected), read.text);
        assert.ok(!read.text.includes('Infinity'));
        JSON.parse(read.text);  // valid JSON (JavaScript reads 1e999 as Infinity)
        await eventually(() => sse.events.length === 1, 5000, 'the SSE event');
        assert.ok(sse.events[0].data.includes(expected), sse.events[0].data);
        JSON.parse(sse.events[0].data);
        await eventually(() => stream.raw.includes('1e999'), 5000, 'the NDJSON line');
        assert.ok(stream.raw.includes(expected), stream.raw);
        assert.deepEqual(stream.badLines, []);
        const frame = await ws.nextText((t) => t.includes('"type":"message"'), 'the message frame');
        assert.ok(frame.includes(expected), frame);
        JSON.parse(frame);
        sse.close();
        stream.close();
        ws.close();
    });

    test('a WebSocket publish keeps its data text too, and ref must be an integer within 2^53', async () => {
        const ws = await rawWs(herald.url);
        ws.send('{"type":"publish","channel":"pw","data":[1e999, 123456789012345678901234567890],"ref":7}');
        const ack = JSON.parse(await ws.nextText((t) => t.includes('"ack"'), 'the ack'));
        assert.equal(ack.ref, 7);
        const read = await get(herald.url, '/v1/channels/pw/messages');
        assert.ok(read.text.includes('"data":[1e999,123456789012345678901234567890]'), read.text);

        for (const ref of ['1e999', '9007199254740992', '1.5', '"r"', '-9007199254740992']) {
            ws.texts.length = 0;
            ws.send(`{"type":"ping","ref":${ref}}`);
            const error = await ws.nextText((t) => t.includes('"error"'), `the error for ref ${ref}`);
            const parsed = JSON.parse(error);
            assert.equal(parsed.code, 'bad_request', ref);
            assert.ok(!('ref' in parsed), `a bad ref is not echoed: ${error}`);
            assert.ok(!error.includes('Infinity'));
        }
        ws.texts.length = 0;
        ws.send('{"type":"ping","ref":-9007199254740991}');
        assert.equal(await ws.nextText((t) => t.includes('pong')), '{"type":"pong","ref":-9007199254740991}');
        ws.close();
    });

    test('herald pub sends the data as typed', async () => {
        const result = await runHerald(['pub', 'pc', '{"n": 123456789012345678901234567890}', '--url', herald.url]);
        assert.equal(result.code, 0, result.stderr);
        const read = await get(herald.url, '/v1/channels/pc/messages');
        assert.ok(read.text.includes('"data":{"n":123456789012345678901234567890}'), read.text);
    });

    test('herald sub prints the server\'s text on every transport', async () => {
        await publish(herald.url, 'ps', '{"data":[1e999,123456789012345678901234567890]}');
        for (const transport of ['ws', 'sse', 'stream', 'longpoll', 'poll']) {
            const { code, stdout, stderr } = await runHerald(['sub', 'ps', '--transport', transport, '--after', '0',
                                                              '--count', '1', '--url', herald.url]);
            assert.equal(code, 0, stderr);
            const line = stdout.trim();
            assert.ok(line.startsWith('{"channel":"ps","seq":1,'), `${transport}: ${line}`);
            assert.ok(line.includes('"data":[1e999,123456789012345678901234567890]'), `${transport}: ${line}`);
        }
    });
});

describe('finding 2: the admin API in open mode', () => {
    let herald;
    before(async () => { herald = await startHerald(); });
    after(() => herald.stop());

    const webhookBody = JSON.stringify({ url: 'https://evil.example/c', events: ['message.published'] });

    test('a page of another origin gets 403 and no CORS headers, preflight included', async () => {
        const preflight = await requestWith(herald.port, {
            method: 'OPTIONS', target: '/v1/webhooks',
            headers: { Host: `127.0.0.1:${herald.port}`, Origin: 'https://evil.example',
                       'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
        });
        assert.equal(preflight.status, 403);
        assert.equal(preflight.headers['access-control-allow-origin'], undefined);
        const created = await requestWith(herald.port, {
            method: 'POST', target: '/v1/webhooks', body: webhookBody,
            headers: { Host: `127.0.0.1:${herald.port}`, Origin: 'https://evil.example',
                       'Content-Type': 'application/json' },
        });
        assert.equal(created.status, 403);
        assert.equal(JSON.parse(created.text).error.code, 'forbidden');
        assert.equal(created.headers['access-control-allow-origin'], undefined);
        const list = await get(herald.url, '/v1/webhooks');
        assert.equal(list.status, 200);
        assert.deepEqual(list.json.webhooks, [], 'nothing was created');
        assert.equal(list.headers.get('access-control-allow-origin'), null, 'the admin API sends no CORS headers');
        // The API's other resources still answer other origins in open mode (CORS *).
        const read = await requestWith(herald.port, {
            target: '/v1/channels/a/messages', headers: { Host: `127.0.0.1:${herald.port}`, Origin: 'https://evil.example' },
        });
        assert.equal(read.headers['access-control-allow-origin'], '*');
    });

    test('the server\'s own pages and loopback Host names may use it', async () => {
        for (const host of [`127.0.0.1:${herald.port}`, `localhost:${herald.port}`, 'localhost', '[::1]:1']) {
            const own = await requestWith(herald.port, {
                target: '/v1/webhooks', headers: { Host: host, Origin: `http://${host}` },
            });
            assert.equal(own.status, 200, host);
        }
    });

    test('DNS rebinding: a Host that is not loopback gets 403', async () => {
        for (const headers of [{ Host: `evil.example:${herald.port}` },
                               { Host: `evil.example:${herald.port}`, Origin: `http://evil.example:${herald.port}` }]) {
            const res = await requestWith(herald.port, { method: 'POST', target: '/v1/webhooks', body: webhookBody,
                                                         headers: { ...headers, 'Content-Type': 'application/json' } });
            assert.equal(res.status, 403, JSON.stringify(headers));
        }
        assert.deepEqual((await get(herald.url, '/v1/webhooks')).json.webhooks, []);
    });

    test('http.allowed_hosts names the hosts for the admin API and WebSockets', async () => {
        const listed = await startHerald({ args: ['--http-allowed-hosts', 'herald.example, app.example:8443'] });
        try {
            const ok = await requestWith(listed.port, { target: '/v1/webhooks', headers: { Host: 'herald.example:9' } });
            assert.equal(ok.status, 200);
            const refused = await requestWith(listed.port, { target: '/v1/webhooks', headers: { Host: 'app.example:9' } });
            assert.equal(refused.status, 403);
            const upgrade = (host) => rawExchange(listed.port, [
                `GET /v1/ws HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
                'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'], { timeoutMs: 1000 });
            assert.deepEqual(statuses((await upgrade('evil.example')).data), [403]);
            assert.deepEqual(statuses((await upgrade('herald.example')).data), [101]);
            assert.deepEqual(statuses((await upgrade('app.example:8443')).data), [101]);
            assert.deepEqual(statuses((await upgrade(`127.0.0.1:${listed.port}`)).data), [101]);
        } finally {
            await listed.stop();
        }
        // Without the option any Host opens a WebSocket, as before.
        const open = await rawExchange(herald.port, [
            'GET /v1/ws HTTP/1.1\r\nHost: evil.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
            'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'], { timeoutMs: 1000 });
        assert.deepEqual(statuses(open.data), [101]);
    });
});

describe('finding 3: RFC 9112 framing', () => {
    let herald;
    before(async () => { herald = await startHerald(); });
    after(() => herald.stop());

    test('the smuggling request of the report gets 400, and its body is never read as a request', async () => {
        const result = await rawExchange(herald.port, [
            'POST /v1/channels/c2/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
            'Transfer-Encoding: identity\r\n\r\nGET /v1/channels/smuggled/messages HTTP/1.1\r\nHost: x\r\n\r\n']);
        assert.deepEqual(statuses(result.data), [400]);
        assert.ok(!result.data.includes('smuggled'), result.data);
        assert.ok(result.closed, 'the connection is closed after the answer');
    });

    test('every Transfer-Encoding but exactly chunked is refused, unknown codings with 501', async () => {
        const cases = [['identity', 400], ['gzip', 400], ['chunked, identity', 400], ['gzip, chunked', 400],
                       ['chunked\r\nTransfer-Encoding: chunked', 400], ['br', 501]];
        for (const [te, status] of cases) {
            const result = await rawExchange(herald.port, [
                `POST /v1/channels/c3/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
                `Transfer-Encoding: ${te}\r\n\r\n0\r\n\r\nGET /v1/channels/smuggled/messages HTTP/1.1\r\nHost: x\r\n\r\n`]);
            assert.deepEqual(statuses(result.data), [status], te);
            assert.equal(JSON.parse(result.data.slice(result.data.indexOf('\r\n\r\n') + 4)).error.code, 'bad_request');
            assert.ok(result.closed, te);
        }
        // chunked with Content-Length too
        const both = await rawExchange(herald.port, [
            'POST /v1/channels/c3/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
            'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n']);
        assert.deepEqual(statuses(both.data), [400]);
        const chunked = await rawExchange(herald.port, [
            'POST /v1/channels/c3/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
            'Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nb\r\n{"data":42}\r\n0\r\n\r\n']);
        assert.deepEqual(statuses(chunked.data), [201]);
        assert.deepEqual((await get(herald.url, '/v1/channels/c3/messages')).json.messages.map((m) => m.data), [42]);
        assert.equal((await get(herald.url, '/v1/channels/smuggled/messages')).json.last_seq, 0);
    });

    test('no Host, or two, is 400; an absolute-form target is served', async () => {
        const none = await rawExchange(herald.port, ['GET /healthz HTTP/1.1\r\n\r\n']);
        assert.deepEqual(statuses(none.data), [400]);
        const two = await rawExchange(herald.port, ['GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n']);
        assert.deepEqual(statuses(two.data), [400]);
        const absolute = await rawExchange(herald.port, [
            `GET http://127.0.0.1:${herald.port}/v1/channels/c3/messages?after=0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`]);
        assert.deepEqual(statuses(absolute.data), [200]);
        assert.ok(absolute.data.includes('"channel":"c3"'));
        const old = await rawExchange(herald.port, ['GET /healthz HTTP/1.0\r\n\r\n']);
        assert.deepEqual(statuses(old.data.replace('HTTP/1.0', 'HTTP/1.1')), [200], 'HTTP/1.0 needs no Host');
    });
});

describe('finding 4: the presence of polls is bounded per connection', () => {
    let herald;
    before(async () => {
        herald = await startHerald({ args: ['--limits-max-subscriptions', '3', '--limits-long-poll-max-wait', '1s',
                                            '--http-request-timeout', '2s'] });
    });
    after(() => herald.stop());

    const present = async (channel) => (await get(herald.url, `/v1/channels/${channel}/presence`)).json.clients.length;

    test('one keep-alive connection polling many channels is present in the newest 3 only', async () => {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        const poll = (channel) => new Promise((resolve, reject) => {
            http.get({ host: '127.0.0.1', port: herald.port, path: `/v1/channels/${channel}/messages?wait=0`, agent }, (res) => {
                res.resume();
                res.on('end', () => resolve(res.statusCode));
            }).on('error', reject);
        });
        for (let i = 0; i < 50; ++i) assert.equal(await poll(`many${i}`), 200);
        assert.equal(await present('many0'), 0);
        assert.equal(await present('many46'), 0);
        for (const i of [47, 48, 49]) assert.equal(await present(`many${i}`), 1, `many${i}`);

        // A channel no longer polled is left once the poll interval has passed (here 1 s of
        // longest wait plus 2 s of idle time), while the connection goes on polling another.
        await poll('kept');
        await poll('lapsing');
        assert.equal(await present('lapsing'), 1);
        await eventually(async () => (await poll('kept')) === 200 && (await present('lapsing')) === 0,
                         10000, 'the unpolled channel to be left');
        assert.equal(await present('kept'), 1);
        agent.destroy();
    });
});

describe('finding 5: the largest cursor', () => {
    let herald;
    before(async () => {
        herald = await startHerald();
        for (let i = 1; i <= 3; ++i) await publish(herald.url, 'cur', { data: i });
    });
    after(() => herald.stop());

    test('after=2^64-1 is a reset gap from the oldest retained, not a wrap', async () => {
        const read = await get(herald.url, `/v1/channels/cur/messages?after=${kMaxSeq}`);
        assert.equal(read.status, 200);
        assert.ok(read.text.includes(`"gap":{"type":"gap","channel":"cur","after":${kMaxSeq},"first_seq":1,"reset":true}`),
                  read.text);
        assert.deepEqual(read.json.messages.map((m) => m.seq), [1, 2, 3]);
        // A long poll with such a cursor answers at once with the same gap.
        const held = await get(herald.url, `/v1/channels/cur/messages?after=${kMaxSeq}&wait=30`);
        assert.equal(held.status, 200);
        assert.equal(held.json.gap.reset, true);
        // At last_seq nothing is due; 2^64 is not a cursor at all.
        const atEnd = await get(herald.url, '/v1/channels/cur/messages?after=3');
        assert.equal(atEnd.json.gap, undefined);
        assert.equal((await get(herald.url, '/v1/channels/cur/messages?after=18446744073709551616')).status, 400);
        const unused = await get(herald.url, '/v1/channels/never-used/messages?after=9223372036854775808');
        assert.deepEqual(unused.json.gap, { type: 'gap', channel: 'never-used', after: 9223372036854775808, first_seq: 1, reset: true });
    });

    test('Last-Event-ID 2^64-1 on SSE, and on NDJSON and WebSocket, replays from the oldest after a reset gap', async () => {
        const sse = await SseClient.open(herald.url, '/v1/channels/cur/events', { headers: { 'Last-Event-ID': kMaxSeq } });
        await eventually(() => sse.seqs.length === 3, 5000, 'the replay');
        const gap = sse.events.find((e) => e.event === 'gap');
        assert.ok(gap.data.includes(`"after":${kMaxSeq},"first_seq":1,"reset":true`), gap.data);
        assert.deepEqual(sse.seqs, [1, 2, 3]);
        const stream = await StreamClient.open(herald.url, `/v1/channels/cur/stream?after=${kMaxSeq}`);
        await eventually(() => stream.count === 3, 5000, 'the NDJSON replay');
        assert.equal(stream.lines[0].reset, true);
        const ws = await connectWs(herald.url);
        ws.send(`{"type":"subscribe","channel":"cur","after":${kMaxSeq},"ref":1}`);
        await eventually(() => ws.seqs('cur').length === 3, 5000, 'the WebSocket replay');
        assert.equal(ws.frames.find((f) => f.type === 'gap').reset, true);
        // Live messages follow the replay on each of them.
        await publish(herald.url, 'cur', { data: 4 });
        await eventually(() => sse.seqs.length === 4 && stream.count === 4 && ws.seqs('cur').length === 4, 5000, 'message 4');
        sse.close();
        stream.close();
        ws.close();
    });
});

describe('finding 6: JWT times near the 64-bit limit', () => {
    const secret = 'fuzz-secret';
    let herald;
    before(async () => { herald = await startHerald({ args: ['--auth-jwt-secret', secret] }); });
    after(() => herald.stop());

    /// An HS256 token whose claims are exactly `claims` (JSON numbers as written, which
    /// jsonwebtoken could not keep).
    const token = (claims) => {
        const b64 = (text) => Buffer.from(text).toString('base64url');
        const input = `${b64('{"alg":"HS256","typ":"JWT"}')}.${b64(claims)}`;
        return `${input}.${crypto.createHmac('sha256', secret).update(input).digest('base64url')}`;
    };
    const herald_ = '"herald":{"subscribe":["*"],"publish":["*"]}';

    test('exp, nbf and iat past 2^53, or not integers, make the token malformed (401)', async () => {
        for (const claim of ['"exp":9223372036854775778', '"exp":9223372036854775807', '"exp":1e300',
                             '"exp":-1e300', '"nbf":9223372036854775807', '"iat":1e300', '"exp":1.5',
                             '"exp":9007199254740993']) {
            const res = await get(herald.url, '/v1/channels/a/messages',
                                  { headers: { Authorization: `Bearer ${token(`{"sub":"u",${claim},${herald_}}`)}` } });
            assert.equal(res.status, 401, claim);
            assert.equal(res.json.error.code, 'unauthorized');
        }
        const ok = await get(herald.url, '/v1/channels/a/messages',
                             { headers: { Authorization: `Bearer ${token(`{"sub":"u","exp":9007199254740992,${herald_}}`)}` } });
        assert.equal(ok.status, 200, 'exp 2^53 is a valid, far expiry');
        assert.equal((await get(herald.url, '/healthz')).status, 200, 'the server still serves');
    });
});
