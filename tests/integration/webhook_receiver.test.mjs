// The webhook receiver of tests/support is itself under test: it must accept what the Standard
// Webhooks spec calls a valid signature (computed here with node:crypto, independently of the
// `standardwebhooks` package it verifies with), refuse anything else, and follow its script.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { Webhook } from 'standardwebhooks';

import { startWebhookReceiver } from '../support/webhook_receiver.mjs';

const secret = `whsec_${crypto.randomBytes(32).toString('base64')}`;

/// The spec's scheme: "v1," + base64 HMAC-SHA256 of "{id}.{timestamp}.{body}", keyed with the
/// base64-decoded part of the secret.
function sign(whsec, id, timestamp, body) {
    const key = Buffer.from(whsec.slice('whsec_'.length), 'base64');
    return `v1,${crypto.createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

async function post(url, { id = 'evt_1', timestamp = Math.floor(Date.now() / 1000), body, signature,
                           signal } = {}) {
    const res = await fetch(url, {
        method: 'POST',
        headers: {
            'content-type': 'application/json',
            'webhook-id': id,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': signature ?? sign(secret, id, timestamp, body),
        },
        body,
        signal,
    });
    await res.text();
    return res.status;
}

const body = JSON.stringify({ type: 'message.published', timestamp: '2025-11-22T22:20:00.123Z',
                              data: { channel: 'room:42', seq: 17, data: { text: 'héllo ✓' } } });

describe('webhook receiver', () => {
    let receiver;
    before(async () => { receiver = await startWebhookReceiver({ secret }); });
    after(() => receiver.close());

    test('node:crypto and standardwebhooks agree on the spec example vector', () => {
        const example = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
        const expected = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
        const args = ['msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}'];
        assert.equal(sign(example, ...args), expected);
        assert.equal(new Webhook(example).sign(args[0], new Date(args[1] * 1000), args[2]), expected);
    });

    test('accepts and records a correctly signed request', async () => {
        const before = receiver.deliveries.length;
        assert.equal(await post(receiver.url, { id: 'evt_good', body }), 200);
        const delivery = (await receiver.waitFor(before + 1))[before];
        assert.equal(delivery.verified, true, delivery.error);
        assert.equal(delivery.id, 'evt_good');
        assert.equal(delivery.method, 'POST');
        assert.equal(delivery.path, '/hooks');
        assert.equal(delivery.headers['content-type'], 'application/json');
        assert.equal(delivery.body, body);
        assert.deepEqual(delivery.json, JSON.parse(body));
        assert.equal(delivery.status, 200);
    });

    test('refuses a wrongly signed request with 401 and records why', async () => {
        const before = receiver.deliveries.length;
        const other = `whsec_${crypto.randomBytes(32).toString('base64')}`;
        const timestamp = Math.floor(Date.now() / 1000);
        const cases = [
            { id: 'evt_other_key', timestamp, body, signature: sign(other, 'evt_other_key', timestamp, body) },
            { id: 'evt_tampered', timestamp, body: `${body} `, signature: sign(secret, 'evt_tampered', timestamp, body) },
            { id: 'evt_old', timestamp: timestamp - 3600, body },  // well signed, but a replay
            { id: 'evt_garbage', timestamp, body, signature: 'v1,AAAA' },
        ];
        for (const c of cases) assert.equal(await post(receiver.url, c), 401, c.id);
        const got = (await receiver.waitFor(before + cases.length)).slice(before);
        assert.deepEqual(got.map((d) => d.id), cases.map((c) => c.id));
        for (const d of got) {
            assert.equal(d.verified, false, d.id);
            assert.ok(d.error, d.id);
            assert.equal(d.status, 401);
        }
        assert.deepEqual(got[0].json, JSON.parse(body), 'the body is still parsed for inspection');
    });

    test('answers as scripted, then the default; byId groups the attempts', async () => {
        receiver.respond(500, 500, { status: 410, body: 'gone' });
        const statuses = [];
        for (let i = 0; i < 4; ++i) statuses.push(await post(receiver.url, { id: 'evt_retry', body }));
        assert.deepEqual(statuses, [500, 500, 410, 200]);
        assert.deepEqual(receiver.byId('evt_retry').map((d) => d.status), [500, 500, 410, 200]);
        assert.ok(receiver.byId('evt_retry').every((d) => d.verified));
    });

    test('a bad signature does not use up the script', async () => {
        receiver.respond(503);
        assert.equal(await post(receiver.url, { id: 'evt_x', body, signature: 'v1,AAAA' }), 401);
        assert.equal(await post(receiver.url, { id: 'evt_x', body }), 503);
    });

    test('hangs when told to, until the sender gives up', async () => {
        receiver.respond('hang');
        const before = receiver.deliveries.length;
        await assert.rejects(post(receiver.url, { id: 'evt_hang', body, signal: AbortSignal.timeout(300) }),
                             { name: 'TimeoutError' });
        const delivery = (await receiver.waitFor(before + 1))[before];
        assert.equal(delivery.status, 'hang');
        assert.equal(delivery.verified, true);
        assert.equal(await post(receiver.url, { id: 'evt_after', body }), 200, 'later requests are served');
    });

    test('waitFor fails with a count when deliveries do not come', async () => {
        await assert.rejects(receiver.waitFor(receiver.deliveries.length + 1, { timeoutMs: 50 }),
                             /webhook receiver: \d+ of \d+ deliveries after 50 ms/);
    });
});
