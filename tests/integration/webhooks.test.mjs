// Webhooks end to end (API.md, Webhooks): the real herald binary delivers to a real receiver
// (tests/support/webhook_receiver.mjs) that verifies every signature with npm standardwebhooks.
// Retry delays are shrunk with webhook_delivery.retry_scale so backoff is observable in
// milliseconds.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { eventually, freePort, get, metric, publish, runHerald, startHerald, tempDir } from '../support/herald.mjs';
import { startWebhookReceiver } from '../support/webhook_receiver.mjs';
import { connectWs } from '../support/ws.mjs';

const newSecret = () => `whsec_${crypto.randomBytes(32).toString('base64')}`;

async function createWebhook(base, body) {
    const res = await fetch(`${base}/v1/webhooks`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
}

/// Waits until endpoint `id` holds no event: each it was given is delivered or failed (one in
/// flight still counts), so no attempt of them is still to come. After an event published as a
/// marker (first attempts leave in the order the events happened), anything sent before the
/// marker has reached the receiver by then.
async function drained(base, id, what = `the queue of ${id} to empty`) {
    await eventually(async () => (await metric(base, `herald_webhook_queue_depth{endpoint="${id}"}`)) === 0, 10000, what);
}

/// A port nothing listens on: bound once by the kernel, then released.
async function closedPort() {
    return freePort();
}

describe('webhooks', () => {
    let herald;
    before(async () => {
        herald = await startHerald({ args: ['--webhook-delivery-retry-scale', '0.1', '--http-threads', '2'] });
    });
    // Exit 0 on SIGTERM with retries pending and connections open (under ASan: no leak).
    after(async () => assert.deepEqual(await herald.stop(), { code: 0, signal: null }));

    test('message.published: Standard Webhooks headers, verified signature, the message as data, channel globs', async () => {
        const secret = newSecret();
        const receiver = await startWebhookReceiver({ secret });
        try {
            const created = await createWebhook(herald.url, { url: receiver.url, events: ['message.published'], channels: ['pub:*'], secret });
            assert.equal(created.status, 201);
            assert.match(created.json.id, /^wh_[0-9A-Z]{26}$/);
            assert.equal(created.json.secret, secret);
            assert.deepEqual(created.json.channels, ['pub:*']);

            await publish(herald.url, 'other:1', { data: { skip: true } });
            const stored = await publish(herald.url, 'pub:1', { data: { text: 'héllo ✓' }, event: 'chat' });
            assert.equal(stored.status, 201);
            const [delivery] = await receiver.waitFor(1);
            assert.equal(delivery.verified, true, delivery.error);
            assert.equal(delivery.method, 'POST');
            assert.equal(delivery.path, '/hooks');
            assert.match(delivery.id, /^evt_[0-9A-Z]{26}$/);
            assert.ok(Math.abs(Number(delivery.timestamp) - Date.now() / 1000) < 30);
            assert.match(delivery.signature, /^v1,[A-Za-z0-9+/]+=*$/);
            assert.match(delivery.headers['content-type'], /^application\/json/);
            assert.equal(delivery.json.type, 'message.published');
            assert.equal(delivery.json.timestamp, new Date(stored.json.time).toISOString());
            assert.deepEqual(delivery.json.data, {
                channel: 'pub:1', seq: stored.json.seq, id: stored.json.id, event: 'chat',
                data: { text: 'héllo ✓' }, time: stored.json.time,
            });
            // pub:1 is the marker: other:1 happened before it.
            await drained(herald.url, created.json.id);
            assert.equal(receiver.deliveries.length, 1, 'other:1 matches no glob');
        } finally {
            await receiver.close();
        }
    });

    test('channel.occupied, channel.vacated, presence.joined and presence.left', async () => {
        const secret = newSecret();
        const receiver = await startWebhookReceiver({ secret });
        try {
            const events = ['channel.occupied', 'channel.vacated', 'presence.joined', 'presence.left'];
            const created = await createWebhook(herald.url, { url: receiver.url, events, channels: ['occ:1'], secret });
            assert.equal(created.status, 201);
            const first = await connectWs(herald.url);
            await first.request({ type: 'subscribe', channel: 'occ:1' });
            const second = await connectWs(herald.url);
            await second.request({ type: 'subscribe', channel: 'occ:1' });
            await second.request({ type: 'subscribe', channel: 'occ:other' });
            first.close();
            second.close();
            await receiver.waitFor(6);
            // A later presence change as the marker: a third client occupies the channel again
            // and joins. Once its join is in and the queue is empty, any extra event of the first
            // two clients has arrived too (it happened before).
            const third = await connectWs(herald.url);
            await third.request({ type: 'subscribe', channel: 'occ:1' });
            let thirdId;
            await eventually(async () => {
                thirdId = (await get(herald.url, '/v1/channels/occ:1/presence')).json.clients[0]?.client;
                return thirdId !== undefined;
            }, 5000, 'the third client listed');
            await eventually(() => receiver.deliveries.some((d) => d.json.type === 'presence.joined' && d.json.data.client === thirdId),
                5000, 'the join of the third client');
            await drained(herald.url, created.json.id);
            // Its leave is no one's business here.
            assert.equal((await fetch(`${herald.url}/v1/webhooks/${created.json.id}`, { method: 'DELETE' })).status, 204);
            third.close();
            const got = receiver.deliveries;
            assert.ok(got.every((d) => d.verified), got.map((d) => d.error).join());
            const types = got.map((d) => d.json.type);
            // The marker adds one channel.occupied and one presence.joined.
            assert.equal(types.filter((t) => t === 'channel.occupied').length, 2, types.join());
            assert.equal(types.filter((t) => t === 'channel.vacated').length, 1, types.join());
            assert.equal(types.filter((t) => t === 'presence.joined').length, 3, types.join());
            assert.equal(types.filter((t) => t === 'presence.left').length, 2, types.join());
            assert.ok(types.indexOf('channel.occupied') < types.indexOf('channel.vacated'));
            const occupied = got.find((d) => d.json.type === 'channel.occupied');
            assert.deepEqual(occupied.json.data, { channel: 'occ:1' });
            assert.match(occupied.json.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
            const joined = got.filter((d) => d.json.type === 'presence.joined');
            for (const d of joined) {
                assert.equal(d.json.data.channel, 'occ:1');
                assert.match(d.json.data.client, /^c_/);
                assert.equal(d.json.data.user, null);
            }
            assert.equal(new Set(joined.map((d) => d.json.data.client)).size, 3, 'a client id per connection');
            assert.equal(new Set(got.map((d) => d.id)).size, got.length, 'one webhook-id per event');
        } finally {
            await receiver.close();
        }
    });

    test('500 twice then 200: three attempts with the same webhook-id, backoff between them, listed in deliveries', async () => {
        const secret = newSecret();
        const receiver = await startWebhookReceiver({ secret });
        try {
            receiver.respond(500, 500, 200);
            const created = await createWebhook(herald.url, { url: receiver.url, events: ['message.published'], channels: ['retry:1'], secret });
            await publish(herald.url, 'retry:1', { data: 1 });
            const got = await receiver.waitFor(3);
            assert.deepEqual(got.map((d) => d.status), [500, 500, 200]);
            assert.equal(new Set(got.map((d) => d.id)).size, 1, 'webhook-id is kept across retries');
            assert.ok(got.every((d) => d.verified));
            assert.equal(got[0].body, got[2].body, 'the body is the same on every attempt');
            // retry_scale 0.1: about 100 ms, then about 500 ms (jitter ±20%).
            const gap1 = got[1].receivedAt - got[0].receivedAt;
            const gap2 = got[2].receivedAt - got[1].receivedAt;
            assert.ok(gap1 >= 70 && gap1 < 400, `first retry after ${gap1} ms`);
            assert.ok(gap2 >= 380 && gap2 < 1200, `second retry after ${gap2} ms`);
            // Delivered and gone from the queue: no attempt is still to come.
            await drained(herald.url, created.json.id);
            assert.equal(receiver.deliveries.length, 3);

            const list = await get(herald.url, `/v1/webhooks/${created.json.id}/deliveries`);
            assert.equal(list.status, 200);
            assert.equal(list.json.webhook, created.json.id);
            assert.deepEqual(list.json.deliveries.map((d) => [d.attempt, d.status, d.outcome]),
                [[3, 200, 'delivered'], [2, 500, 'retrying'], [1, 500, 'retrying']]);
            assert.ok(list.json.deliveries.every((d) => d.event_id === got[0].id && d.type === 'message.published'));
            assert.equal(list.json.deliveries[1].error, 'HTTP 500');
            assert.equal(await metric(herald.url, `herald_webhook_attempts_total{endpoint="${created.json.id}"}`), 3);
            assert.equal(await metric(herald.url, `herald_webhook_failures_total{endpoint="${created.json.id}"}`), 2);
            assert.equal(await metric(herald.url, `herald_webhook_successes_total{endpoint="${created.json.id}"}`), 1);
            assert.equal(await metric(herald.url, `herald_webhook_queue_depth{endpoint="${created.json.id}"}`), 0);
        } finally {
            await receiver.close();
        }
    });

    test('an event waiting for its retry does not hold back the later events of its endpoint', async () => {
        const secret = newSecret();
        // The first event of the channel fails twice; every other event succeeds at once.
        let receiver;
        receiver = await startWebhookReceiver({
            secret,
            defaultStatus: () => {
                const current = receiver.deliveries.at(-1);
                return current.json?.data?.seq === 1 && receiver.byId(current.id).length < 3 ? 500 : 200;
            },
        });
        try {
            await createWebhook(herald.url, { url: receiver.url, events: ['message.published'], channels: ['later:1'], secret });
            await publish(herald.url, 'later:1', { data: 1 });
            await receiver.waitFor(1);
            for (let i = 2; i <= 5; ++i) await publish(herald.url, 'later:1', { data: i });
            await receiver.waitFor(7);  // event 1 three times, events 2-5 once each
            const firstDone = receiver.deliveries.findIndex((d) => d.json.data.seq === 1 && d.status === 200);
            const laterDone = [2, 3, 4, 5].map((seq) => receiver.deliveries.findIndex((d) => d.json.data.seq === seq && d.status === 200));
            assert.ok(laterDone.every((i) => i >= 0 && i < firstDone),
                `events 2-5 delivered before event 1's successful retry: ${JSON.stringify(receiver.deliveries.map((d) => [d.json.data.seq, d.status]))}`);
            assert.deepEqual(receiver.deliveries.filter((d) => d.json.data.seq === 1).map((d) => d.status), [500, 500, 200]);
        } finally {
            await receiver.close();
        }
    });

    test('keep-alive: one connection carries consecutive deliveries; one the receiver closed while idle is replaced without a failed attempt', async () => {
        const secret = newSecret();
        const receiver = await startWebhookReceiver({ secret, keepAliveTimeoutMs: 1000 });
        try {
            const created = await createWebhook(herald.url, { url: receiver.url, events: ['message.published'], channels: ['ka:1'], secret });
            const successes = () => metric(herald.url, `herald_webhook_successes_total{endpoint="${created.json.id}"}`);
            for (let i = 1; i <= 3; ++i) {
                await publish(herald.url, 'ka:1', { data: i });
                // Herald has read the answer (and put the connection back) once it counts it:
                // only then is the next event one that can reuse it.
                await eventually(async () => (await successes()) === i, 3000, `success ${i}`);
            }
            assert.equal(new Set(receiver.deliveries.map((d) => d.remotePort)).size, 1, 'one connection for all three');
            // The receiver closes a connection idle for 1 s (node adds up to 1 s). Herald may or
            // may not have seen the close when the next event goes: either way it must not fail.
            await eventually(() => receiver.connections() === 0, 10000, 'the receiver to close the idle connection');
            await publish(herald.url, 'ka:1', { data: 4 });
            const got = await receiver.waitFor(4);
            assert.notEqual(got[3].remotePort, got[0].remotePort);
            assert.equal(got[3].status, 200);
            await eventually(async () => (await successes()) === 4, 3000, 'success 4');
            assert.equal(await metric(herald.url, `herald_webhook_failures_total{endpoint="${created.json.id}"}`), 0);
            assert.equal(await metric(herald.url, `herald_webhook_attempts_total{endpoint="${created.json.id}"}`), 4);
        } finally {
            await receiver.close();
        }
    });

    test('a receiver that never answers times out after 10 s and the event is retried', async () => {
        const secret = newSecret();
        const receiver = await startWebhookReceiver({ secret });
        try {
            receiver.respond('hang');
            const created = await createWebhook(herald.url, { url: receiver.url, events: ['message.published'], channels: ['slow:1'], secret });
            await publish(herald.url, 'slow:1', { data: 1 });
            const got = await receiver.waitFor(2, { timeoutMs: 15000 });
            assert.equal(got[0].status, 'hang');
            assert.equal(got[1].status, 200);
            assert.equal(got[0].id, got[1].id);
            const waited = got[1].receivedAt - got[0].receivedAt;
            assert.ok(waited >= 9500 && waited < 12500, `retried ${waited} ms after the hanging attempt`);
            const list = await get(herald.url, `/v1/webhooks/${created.json.id}/deliveries`);
            const first = list.json.deliveries.at(-1);
            assert.equal(first.status, null);
            assert.match(first.error, /timeout/i);
        } finally {
            await receiver.close();
        }
    });

    test('410 Gone disables the endpoint', async () => {
        const secret = newSecret();
        const receiver = await startWebhookReceiver({ secret });
        try {
            receiver.respond(410);
            const created = await createWebhook(herald.url, { url: receiver.url, events: ['message.published'], channels: ['gone:1'], secret });
            await publish(herald.url, 'gone:1', { data: 1 });
            await receiver.waitFor(1);
            await eventually(async () => {
                const list = await get(herald.url, '/v1/webhooks');
                return list.json.webhooks.find((w) => w.id === created.json.id)?.enabled === false;
            }, 3000, 'the endpoint to be disabled');
            // A healthy endpoint of the same channel is the marker: an event goes into the queue
            // of each endpoint it is for at once, and the first attempt is counted as it starts,
            // so once the healthy one has event 2, the disabled one would count an attempt for it.
            const other = await startWebhookReceiver({ secret });
            try {
                const healthy = await createWebhook(herald.url, { url: other.url, events: ['message.published'], channels: ['gone:1'], secret });
                assert.equal(healthy.status, 201);
                await publish(herald.url, 'gone:1', { data: 2 });
                const [marker] = await other.waitFor(1);
                assert.equal(marker.json.data.data, 2);
                assert.equal(await metric(herald.url, `herald_webhook_attempts_total{endpoint="${created.json.id}"}`), 1,
                             'nothing is sent to a disabled endpoint');
                assert.equal(await metric(herald.url, `herald_webhook_queue_depth{endpoint="${created.json.id}"}`), 0);
                assert.equal(receiver.deliveries.length, 1, 'nothing is sent to a disabled endpoint');
                const list = await get(herald.url, `/v1/webhooks/${created.json.id}/deliveries`);
                assert.deepEqual(list.json.deliveries.map((d) => [d.status, d.outcome]), [[410, 'disabled']]);
            } finally {
                await other.close();
            }
        } finally {
            await receiver.close();
        }
    });

    test('an unreachable endpoint is retried and does not delay a healthy one', async () => {
        const secret = newSecret();
        const receiver = await startWebhookReceiver({ secret });
        try {
            const dead = await createWebhook(herald.url, { url: `http://127.0.0.1:${await closedPort()}/hooks`, events: ['message.published'], channels: ['mixed:*'] });
            assert.equal(dead.status, 201);
            assert.match(dead.json.secret, /^whsec_[A-Za-z0-9+/]{43}=$/, 'a secret is generated when none is given');
            await createWebhook(herald.url, { url: receiver.url, events: ['message.published'], channels: ['mixed:*'], secret });
            const started = Date.now();
            for (let i = 1; i <= 20; ++i) await publish(herald.url, 'mixed:1', { data: i });
            const got = await receiver.waitFor(20, { timeoutMs: 5000 });
            assert.ok(Date.now() - started < 3000, `the healthy endpoint got 20 events in ${Date.now() - started} ms`);
            // First attempts leave in event order (4 in flight at most, so arrivals may interleave slightly).
            const seqs = got.map((d) => d.json.data.seq);
            assert.deepEqual([...seqs].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1));
            assert.ok(got.every((d) => d.verified));
            await eventually(async () => (await metric(herald.url, `herald_webhook_attempts_total{endpoint="${dead.json.id}"}`)) > 20,
                5000, 'retries to the unreachable endpoint');
            assert.equal(await metric(herald.url, `herald_webhook_successes_total{endpoint="${dead.json.id}"}`), 0);
            assert.equal(await metric(herald.url, `herald_webhook_queue_depth{endpoint="${dead.json.id}"}`), 20);
            const list = await get(herald.url, `/v1/webhooks/${dead.json.id}/deliveries`);
            assert.ok(list.json.deliveries.length > 0);
            assert.equal(list.json.deliveries[0].status, null);
            assert.match(list.json.deliveries[0].error, /refused/i);
            assert.equal((await fetch(`${herald.url}/v1/webhooks/${dead.json.id}`, { method: 'DELETE' })).status, 204);
        } finally {
            await receiver.close();
        }
    });

    test('Retry-After of a 503 (seconds) or a 429 (HTTP date) holds the next attempt back at least that long', async () => {
        const secret = newSecret();
        const receiver = await startWebhookReceiver({ secret });
        try {
            // retry_scale 0.1 alone would retry after about 100 ms; the receiver asks for more.
            receiver.respond({ status: 503, headers: { 'Retry-After': '1' } }, 200,
                () => ({ status: 429, headers: { 'Retry-After': new Date(Date.now() + 2000).toUTCString() } }), 200);
            const created = await createWebhook(herald.url, { url: receiver.url, events: ['message.published'], channels: ['later:1'], secret });
            await publish(herald.url, 'later:1', { data: 1 });
            await receiver.waitFor(2, { timeoutMs: 5000 });
            await publish(herald.url, 'later:1', { data: 2 });
            const got = await receiver.waitFor(4, { timeoutMs: 6000 });
            assert.deepEqual(got.map((d) => d.status), [503, 200, 429, 200]);
            assert.equal(got[0].id, got[1].id);
            assert.equal(got[2].id, got[3].id);
            const afterSeconds = got[1].receivedAt - got[0].receivedAt;
            assert.ok(afterSeconds >= 990 && afterSeconds < 3000, `retried ${afterSeconds} ms after Retry-After: 1`);
            // The date has whole seconds: it is between 1 and 2 s after the 429 was sent.
            const afterDate = got[3].receivedAt - got[2].receivedAt;
            assert.ok(afterDate >= 950 && afterDate < 4000, `retried ${afterDate} ms after a Retry-After date 1-2 s ahead`);
            // The receiver counts a delivery before Herald has read its answer: wait for the list.
            const listed = async () => (await get(herald.url, `/v1/webhooks/${created.json.id}/deliveries`))
                .json.deliveries.map((d) => [d.status, d.outcome]);
            await eventually(async () => (await listed()).length === 4, 3000, 'four attempts listed');
            assert.deepEqual(await listed(), [[200, 'delivered'], [429, 'retrying'], [200, 'delivered'], [503, 'retrying']]);
        } finally {
            await receiver.close();
        }
    });

    test('bad admin input is 400 with the error shape; unknown ids are 404', async () => {
        const cases = [
            [{ url: 'ftp://example.com/x', events: ['message.published'] }, /http/],
            [{ url: 'not a url', events: ['message.published'] }, /url/],
            [{ url: 'http://example.com/x', events: ['message.exploded'] }, /unknown event type/],
            [{ url: 'http://example.com/x', events: [] }, /events/],
            [{ url: 'http://example.com/x', events: ['message.published'], channels: ['ro*om'] }, /\*/],
            [{ url: 'http://example.com/x', events: ['message.published'], secret: 'nope' }, /whsec_/],
            [{ url: 'http://example.com/x' }, /events/],
            [{ events: ['message.published'] }, /url/],
            [{ url: 'http://example.com/x', events: 'message.published' }, /array/],
            [{ url: 'http://example.com/x', events: ['message.published'], extra: 1 }, /unknown field/],
            ['{not json', /JSON/],
        ];
        for (const [body, message] of cases) {
            const res = await createWebhook(herald.url, body);
            assert.equal(res.status, 400, JSON.stringify(body));
            assert.equal(res.json.error.code, 'bad_request');
            assert.match(res.json.error.message, message, JSON.stringify(body));
        }
        const noType = await fetch(`${herald.url}/v1/webhooks`, { method: 'POST', body: '{}' });
        assert.equal(noType.status, 415);
        const del = await fetch(`${herald.url}/v1/webhooks/wh_nope`, { method: 'DELETE' });
        assert.equal(del.status, 404);
        assert.equal((await del.json()).error.code, 'not_found');
        assert.equal((await get(herald.url, '/v1/webhooks/wh_nope/deliveries')).status, 404);
        const list = await get(herald.url, '/v1/webhooks');
        assert.equal(list.status, 200);
        assert.ok(list.json.webhooks.every((w) => w.secret === undefined), 'listing never shows secrets');
    });
});

test('kill -9 with deliveries pending: they arrive after the restart, same webhook-ids', async () => {
    const dataDir = tempDir();
    const secret = newSecret();
    let receiver = await startWebhookReceiver({ secret, defaultStatus: 'hang' });
    const port = receiver.port;
    const args = ['--webhook-delivery-retry-scale', '0.1'];
    let herald = await startHerald({ dataDir, args });
    try {
        const created = await createWebhook(herald.url, { url: receiver.url, events: ['message.published'], channels: ['crash:*'], secret });
        assert.equal(created.status, 201);
        for (let i = 1; i <= 6; ++i) await publish(herald.url, 'crash:1', { data: i });
        await receiver.waitFor(4);  // four in flight, hanging; two more waiting behind them
        const hung = new Set(receiver.deliveries.map((d) => d.id));
        await herald.kill();
        await receiver.close();

        receiver = await startWebhookReceiver({ secret, port });
        herald = await startHerald({ dataDir, args });
        const got = await receiver.waitFor(6, { timeoutMs: 8000 });
        assert.ok(got.every((d) => d.verified));
        assert.deepEqual(got.map((d) => d.json.data.data).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6]);
        for (const id of hung) assert.ok(got.some((d) => d.id === id), `event ${id} is resent with its id`);
        const listed = await get(herald.url, '/v1/webhooks');
        assert.deepEqual(listed.json.webhooks.map((w) => w.id), [created.json.id], 'the endpoint survives too');
        await eventually(async () => (await metric(herald.url, `herald_webhook_queue_depth{endpoint="${created.json.id}"}`)) === 0, 3000, 'an empty queue');
    } finally {
        await herald.stop();
        await receiver.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
    }
});

test('[[webhooks]] in the config file: delivered; a bad entry stops start-up naming it', async () => {
    const dir = tempDir();
    const secret = newSecret();
    const receiver = await startWebhookReceiver({ secret });
    let herald;
    try {
        const config = path.join(dir, 'herald.toml');
        fs.writeFileSync(config, `[[webhooks]]\nurl = "${receiver.url}"\nevents = ["message.published"]\nchannels = ["cfg:*"]\nsecret = "${secret}"\n`);
        herald = await startHerald({ args: ['--config', config] });
        const list = await get(herald.url, '/v1/webhooks');
        assert.equal(list.json.webhooks.length, 1);
        assert.equal(list.json.webhooks[0].source, 'config');
        assert.match(list.json.webhooks[0].id, /^cfg_[0-9a-f]{16}$/);
        await publish(herald.url, 'cfg:1', { data: 'x' });
        const [delivery] = await receiver.waitFor(1);
        assert.equal(delivery.verified, true);
        await herald.stop();
        herald = undefined;

        const bad = [
            [`[[webhooks]]\nurl = "${receiver.url}"\nevents = ["nope"]\nsecret = "${secret}"\n`, /webhooks\[0\].*unknown event type/],
            [`[[webhooks]]\nurl = "${receiver.url}"\nevents = ["message.published"]\n`, /webhooks\[0\].*secret is required/],
            [`[[webhooks]]\nurl = "${receiver.url}"\nevents = ["message.published"]\nsecret = "${secret}"\n[[webhooks]]\nurl = "gopher://x"\nevents = ["message.published"]\nsecret = "${secret}"\n`, /webhooks\[1\].*http/],
            [`[[webhooks]]\nurl = "${receiver.url}"\nevent = ["message.published"]\nsecret = "${secret}"\n`, /webhooks\[0\].*unknown key event/],
        ];
        for (const [text, message] of bad) {
            fs.writeFileSync(config, text);
            const result = await runHerald(['serve', '--config', config, '--data', dir, '--listen', '127.0.0.1:0']);
            assert.equal(result.code, 2, result.stderr);
            assert.match(result.stderr, message);
        }
    } finally {
        if (herald) await herald.stop();
        await receiver.close();
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

test('memory storage: webhooks work, volatile', async () => {
    const secret = newSecret();
    const receiver = await startWebhookReceiver({ secret });
    const herald = await startHerald({ args: ['--storage', 'memory'] });
    try {
        receiver.respond(503);
        await createWebhook(herald.url, { url: receiver.url, events: ['message.published'], secret });
        await publish(herald.url, 'mem:1', { data: 1 });
        const got = await receiver.waitFor(2, { timeoutMs: 5000 });  // 503, then the retry after about 1 s
        assert.equal(got[0].id, got[1].id);
        assert.deepEqual(got.map((d) => d.status), [503, 200]);
    } finally {
        await herald.stop();
        await receiver.close();
    }
});

/// A private CA and a certificate for "localhost" signed by it (openssl CLI), in `dir`.
function makeCertificates(dir) {
    const run = (args) => {
        const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
        if (result.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${result.stderr}`);
    };
    run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
         '-subj', '/CN=Herald test CA', '-keyout', 'ca.key', '-out', 'ca.pem']);
    run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=localhost',
         '-keyout', 'server.key', '-out', 'server.csr']);
    fs.writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName = DNS:localhost\n');
    run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2',
         '-extfile', 'ext.cnf', '-out', 'server.pem']);
    return {
        ca: path.join(dir, 'ca.pem'),
        tls: { key: fs.readFileSync(path.join(dir, 'server.key')), cert: fs.readFileSync(path.join(dir, 'server.pem')) },
    };
}

test('https endpoints: TLS with SNI and certificate checks (a private CA through webhook_delivery.ca_file)', async () => {
    const dir = tempDir();
    const { ca, tls } = makeCertificates(dir);
    const secret = newSecret();
    const receiver = await startWebhookReceiver({ secret, tls, host: 'localhost' });
    const herald = await startHerald({ args: ['--webhook-delivery-ca-file', ca, '--webhook-delivery-retry-scale', '0.1'] });
    try {
        const good = await createWebhook(herald.url, { url: receiver.url, events: ['message.published'], channels: ['tls:ok'], secret });
        assert.equal(good.status, 201);
        // The same server by IP: its certificate names only "localhost", so the check must fail.
        const byIp = await createWebhook(herald.url, { url: `https://127.0.0.1:${receiver.port}/hooks`, events: ['message.published'], channels: ['tls:ip'], secret });
        for (let i = 1; i <= 3; ++i) await publish(herald.url, 'tls:ok', { data: i });
        await publish(herald.url, 'tls:ip', { data: 'refused' });
        const got = await receiver.waitFor(3);
        assert.ok(got.every((d) => d.verified && d.servername === 'localhost'), JSON.stringify(got.map((d) => d.servername)));
        assert.deepEqual(got.map((d) => d.json.data.data).sort(), [1, 2, 3]);
        await eventually(async () => (await get(herald.url, `/v1/webhooks/${byIp.json.id}/deliveries`)).json.deliveries.length > 0,
            3000, 'a failed attempt to the IP URL');
        const failed = (await get(herald.url, `/v1/webhooks/${byIp.json.id}/deliveries`)).json.deliveries[0];
        assert.equal(failed.status, null);
        assert.match(failed.error, /certificate|verify/i);
        assert.equal(receiver.deliveries.length, 3, 'nothing reached the application over an unverified connection');
    } finally {
        await herald.stop();
        await receiver.close();
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

test('a queue longer than webhook_delivery.max_queued waits in the database and is read back: every event once', async () => {
    const secret = newSecret();
    const receiver = await startWebhookReceiver({ secret });
    const herald = await startHerald({ args: ['--webhook-delivery-max-queued', '8', '--webhook-delivery-retry-scale', '0.1'] });
    try {
        receiver.respond(500, 500, 500);  // a few retries among the first events
        const created = await createWebhook(herald.url, { url: receiver.url, events: ['message.published'], channels: ['long:*'], secret });
        await Promise.all(Array.from({ length: 4 }, async (_, p) => {
            for (let i = 0; i < 15; ++i) await publish(herald.url, `long:${p}`, { data: i });
        }));
        await eventually(() => receiver.deliveries.filter((d) => d.status === 200).length >= 60, 15000, '60 delivered events');
        // A marker event last, then an empty queue: a duplicate would have arrived by then.
        await publish(herald.url, 'long:marker', { data: 'marker' });
        await eventually(() => receiver.deliveries.some((d) => d.json?.data?.channel === 'long:marker'), 10000, 'the marker event');
        await drained(herald.url, created.json.id);
        assert.equal(receiver.deliveries.filter((d) => d.json?.data?.channel === 'long:marker').length, 1);
        const delivered = receiver.deliveries.filter((d) => d.status === 200 && d.json.data.channel !== 'long:marker');
        assert.equal(delivered.length, 60, 'each event delivered once');
        assert.equal(new Set(delivered.map((d) => d.id)).size, 60);
        assert.ok(receiver.deliveries.every((d) => d.verified));
        const got = new Set(delivered.map((d) => `${d.json.data.channel}/${d.json.data.seq}`));
        for (let p = 0; p < 4; ++p) {
            for (let seq = 1; seq <= 15; ++seq) assert.ok(got.has(`long:${p}/${seq}`), `long:${p}/${seq}`);
        }
    } finally {
        await herald.stop();
        await receiver.close();
    }
});

test('herald_webhook_queue_depth counts the events waiting in the database, before and after a restart', async () => {
    const dataDir = tempDir();
    // Nothing listens there: every event stays queued, retrying.
    const url = `http://127.0.0.1:${await closedPort()}/hooks`;
    const args = ['--webhook-delivery-max-queued', '8', '--webhook-delivery-retry-scale', '0.1'];
    let herald = await startHerald({ dataDir, args });
    try {
        const created = await createWebhook(herald.url, { url, events: ['message.published'], channels: ['depth:*'] });
        assert.equal(created.status, 201);
        const depth = () => metric(herald.url, `herald_webhook_queue_depth{endpoint="${created.json.id}"}`);
        for (let i = 0; i < 30; ++i) await publish(herald.url, 'depth:1', { data: i });
        await eventually(async () => (await depth()) === 30, 3000, 'a depth of 30, 8 of them in memory');
        await herald.stop();
        herald = await startHerald({ dataDir, args });
        await eventually(async () => (await depth()) === 30, 3000, 'the same depth read back from the database');
        for (let i = 0; i < 5; ++i) await publish(herald.url, 'depth:1', { data: i });
        await eventually(async () => (await depth()) === 35, 3000, 'a depth of 35');
        // Wait for retries to happen (the new events wait in the database behind the 8 in
        // memory, so every attempt now is a retry of one of those), then look again.
        const attempts = () => metric(herald.url, `herald_webhook_attempts_total{endpoint="${created.json.id}"}`);
        const before = (await attempts()) ?? 0;
        await eventually(async () => ((await attempts()) ?? 0) >= before + 2, 20000, 'two more attempts');
        assert.equal(await depth(), 35, 'retries do not change the depth');
    } finally {
        await herald.stop();
        fs.rmSync(dataDir, { recursive: true, force: true });
    }
});

test('an endpoint disabled by 410 comes back: from the config file at the next start, from the admin API by DELETE and POST', async () => {
    const dir = tempDir();
    const dataDir = tempDir();
    const secret = newSecret();
    const receiver = await startWebhookReceiver({ secret });
    const config = path.join(dir, 'herald.toml');
    fs.writeFileSync(config, `[[webhooks]]\nurl = "${receiver.url}"\nevents = ["message.published"]\nchannels = ["back:cfg"]\nsecret = "${secret}"\n`);
    const args = ['--config', config];
    let herald = await startHerald({ dataDir, args });
    try {
        const enabled = async (id) => (await get(herald.url, '/v1/webhooks')).json.webhooks.find((w) => w.id === id)?.enabled;
        const fromConfig = (await get(herald.url, '/v1/webhooks')).json.webhooks[0].id;
        const fromApi = await createWebhook(herald.url, { url: receiver.url, events: ['message.published'], channels: ['back:api'], secret });
        receiver.respond(410, 410);
        await publish(herald.url, 'back:cfg', { data: 1 });
        await publish(herald.url, 'back:api', { data: 1 });
        await receiver.waitFor(2);
        await eventually(async () => (await enabled(fromConfig)) === false && (await enabled(fromApi.json.id)) === false,
            3000, 'both endpoints disabled');

        // The admin API's endpoint: deleted and created again (a new id; the secret it is given).
        assert.equal((await fetch(`${herald.url}/v1/webhooks/${fromApi.json.id}`, { method: 'DELETE' })).status, 204);
        const again = await createWebhook(herald.url, { url: receiver.url, events: ['message.published'], channels: ['back:api'], secret });
        assert.equal(again.status, 201);
        assert.equal(await enabled(again.json.id), true);
        await publish(herald.url, 'back:api', { data: 2 });
        await publish(herald.url, 'back:cfg', { data: 2 });  // still disabled: never sent
        const got = await receiver.waitFor(3);
        assert.deepEqual([got[2].json.data.channel, got[2].json.data.data], ['back:api', 2]);

        // The config file's endpoint: enabled again by the next start, under the same id.
        await herald.stop();
        herald = await startHerald({ dataDir, args });
        assert.equal(await enabled(fromConfig), true);
        assert.equal(await enabled(again.json.id), true);
        await publish(herald.url, 'back:cfg', { data: 3 });
        const last = (await receiver.waitFor(4))[3];
        assert.ok(last.verified);
        assert.deepEqual([last.json.data.channel, last.json.data.data], ['back:cfg', 3]);
        // back:cfg 3 is the marker: back:cfg 2 happened before it.
        await drained(herald.url, fromConfig);
        assert.equal(receiver.deliveries.length, 4, 'what was published while it was disabled is not sent');
    } finally {
        await herald.stop();
        await receiver.close();
        fs.rmSync(dir, { recursive: true, force: true });
        fs.rmSync(dataDir, { recursive: true, force: true });
    }
});
