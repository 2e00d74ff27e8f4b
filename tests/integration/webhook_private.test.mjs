// webhook_delivery.deny_private (docs/SECURITY.md): with it, no webhook endpoint reaches a
// loopback, private, link-local or unspecified address, whether its URL names one (refused at
// creation, in any numeric form) or a name resolves to one (refused at each delivery, after
// resolution). Without it (the default), a loopback receiver gets deliveries.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { eventually, get, publish, runHerald, startHerald, tempDir } from '../support/herald.mjs';
import { startWebhookReceiver } from '../support/webhook_receiver.mjs';

const newSecret = () => `whsec_${crypto.randomBytes(32).toString('base64')}`;

async function createWebhook(base, body) {
    const res = await fetch(`${base}/v1/webhooks`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
}

/// The receiver's URL with `localhost` for its host: a name, which passes creation.
const byName = (receiver) => `http://localhost:${receiver.port}/hook`;

describe('webhook_delivery.deny_private = true', () => {
    let herald;
    before(async () => {
        herald = await startHerald({
            args: ['--webhook-delivery-deny-private', 'true', '--webhook-delivery-retry-scale', '0.1'],
        });
    });
    after(async () => assert.deepEqual(await herald.stop(), { code: 0, signal: null }));

    test('a URL whose host is a refused address, in any form, is 400 bad_request naming the setting', async () => {
        const refused = [
            ['http://127.0.0.1:1/x', /127\.0\.0\.1 \(loopback/],
            ['http://[::1]/x', /::1 \(loopback/],
            ['http://0.0.0.0/x', /0\.0\.0\.0 \(unspecified/],
            ['http://169.254.169.254/latest', /169\.254\.169\.254 \(link-local/],
            ['http://2130706433/x', /2130706433 is a refused address: 127\.0\.0\.1 \(loopback/],
            ['http://0x7f.1/x', /0x7f\.1 is a refused address: 127\.0\.0\.1 \(loopback/],
            ['http://10.0.0.1/x', /10\.0\.0\.1 \(private/],
            ['http://[::ffff:127.0.0.1]/x', /::ffff:127\.0\.0\.1 \(loopback/],
        ];
        for (const [url, message] of refused) {
            const res = await createWebhook(herald.url, { url, events: ['message.published'], secret: newSecret() });
            assert.equal(res.status, 400, url);
            assert.equal(res.json.error.code, 'bad_request', url);
            assert.match(res.json.error.message, message, url);
            assert.match(res.json.error.message, /webhook_delivery\.deny_private/, url);
        }
        assert.deepEqual((await get(herald.url, '/v1/webhooks')).json.webhooks, [], 'none was created');

        // A public address is still accepted (no event goes to it: its channel gets none).
        const open = await createWebhook(herald.url, { url: 'http://93.184.216.34/x', events: ['message.published'], channels: ['never:1'] });
        assert.equal(open.status, 201, JSON.stringify(open.json));
        assert.equal((await fetch(`${herald.url}/v1/webhooks/${open.json.id}`, { method: 'DELETE' })).status, 204);
    });

    test('a name that resolves to a refused address is created, then refused at each delivery: listed, retried, nothing sent', async () => {
        const secret = newSecret();
        const receiver = await startWebhookReceiver({ secret });
        try {
            const created = await createWebhook(herald.url, { url: byName(receiver), events: ['message.published'], channels: ['named:1'], secret });
            assert.equal(created.status, 201, JSON.stringify(created.json));
            await publish(herald.url, 'named:1', { data: 1 });

            // Attempts: listed like any other error; retry_scale 0.1 brings the second in about 100 ms.
            const deliveries = async () => (await get(herald.url, `/v1/webhooks/${created.json.id}/deliveries`)).json.deliveries;
            await eventually(async () => (await deliveries()).length >= 2, 5000, 'two refused attempts listed');
            const [second, first] = (await deliveries()).slice(-2);
            for (const attempt of [first, second]) {
                assert.equal(attempt.status, null);
                assert.equal(attempt.outcome, 'retrying');
                assert.match(attempt.error, /^refused address (127\.0\.0\.1|::1) \(loopback; webhook_delivery\.deny_private\)/);
            }
            assert.deepEqual([first.attempt, second.attempt], [1, 2]);
            assert.equal(first.event_id, second.event_id);
            assert.equal(receiver.deliveries.length, 0, 'the receiver got nothing');
        } finally {
            await receiver.close();
        }
    });
});

test('deny_private in the config file or the environment: a [[webhooks]] entry to a refused address stops start-up', async () => {
    const dir = tempDir();
    try {
        const config = path.join(dir, 'herald.toml');
        const endpoint = `[[webhooks]]\nurl = "http://127.0.0.1:9/hook"\nevents = ["message.published"]\nsecret = "${newSecret()}"\n`;
        const serve = ['serve', '--config', config, '--data', dir, '--listen', '127.0.0.1:0'];
        for (const [text, env] of [
            [`[webhook_delivery]\ndeny_private = true\n${endpoint}`, {}],
            [endpoint, { HERALD_WEBHOOK_DELIVERY_DENY_PRIVATE: 'true' }],
        ]) {
            fs.writeFileSync(config, text);
            const result = await runHerald(serve, { env });
            assert.equal(result.code, 2, result.stderr);
            assert.match(result.stderr,
                /webhooks\[0\]: url host is a refused address: 127\.0\.0\.1 \(loopback; webhook_delivery\.deny_private\)/);
        }
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

test('deny_private off (the default): an endpoint on this host gets its deliveries', async () => {
    const secret = newSecret();
    const receiver = await startWebhookReceiver({ secret });
    const herald = await startHerald();
    try {
        const created = await createWebhook(herald.url, { url: byName(receiver), events: ['message.published'], secret });
        assert.equal(created.status, 201);
        await publish(herald.url, 'local:1', { data: 1 });
        const [delivery] = await receiver.waitFor(1);
        assert.equal(delivery.verified, true, delivery.error);
    } finally {
        await herald.stop();
        await receiver.close();
    }
});
