// HTTP streaming: GET /v1/channels/{channel}/stream[?after=N], one message JSON per line (NDJSON),
// read with a raw HTTP client.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { get, publish, startHerald } from '../support/herald.mjs';
import { StreamClient, metricValue, publishMany, sleep, subscribers, until } from '../support/streams.mjs';

const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

const subscribed = (base, channel, n, timeoutMs = 10000) =>
    until(async () => (await subscribers(base, channel)) === n, timeoutMs, `${n} subscribers on ${channel}`);

/// Every line of the body is one JSON object (or empty, a keepalive), each ended by \n.
function assertNdjson(raw) {
    assert.ok(raw === '' || raw.endsWith('\n'), `the body ends with a whole line: ${JSON.stringify(raw.slice(-80))}`);
    for (const line of raw.split('\n').slice(0, -1)) {
        if (line === '') continue;
        assert.doesNotThrow(() => JSON.parse(line), `a JSON line: ${JSON.stringify(line.slice(0, 200))}`);
        assert.equal(typeof JSON.parse(line), 'object');
    }
}

describe('HTTP streaming on a default server', () => {
    let herald;
    const open = [];
    before(async () => { herald = await startHerald(); });
    after(async () => {
        for (const c of open) c.close();
        await herald.stop();
    });

    test('headers: application/x-ndjson, chunked, CORS open by default', { timeout: 30000 }, async () => {
        for (const headers of [{ Origin: 'https://anywhere.example' }, {}]) {
            const client = await StreamClient.open(herald.url, '/v1/channels/st:headers/stream', { headers });
            open.push(client);
            assert.equal(client.status, 200);
            assert.match(client.headers['content-type'], /^application\/x-ndjson(;|$)/);
            assert.equal(client.headers['transfer-encoding'], 'chunked');
            assert.equal(client.headers['content-length'], undefined);
            assert.equal(client.headers['access-control-allow-origin'], '*', `with headers ${JSON.stringify(headers)}`);
            await client.close();
        }
    });

    test('without a cursor the stream is live only; each line is the full message', { timeout: 30000 }, async () => {
        const channel = 'st:live';
        for (let i = 1; i <= 3; ++i) await publish(herald.url, channel, { data: `old ${i}` });
        const client = await StreamClient.open(herald.url, `/v1/channels/${channel}/stream`);
        open.push(client);
        assert.equal(client.status, 200);
        await subscribed(herald.url, channel, 1);
        const bodies = [
            { data: { text: 'hi' } },
            { data: 'two\nlines\r\n', event: 'chat.msg', id: 'client-9' },
            { data: [1, null, true, { a: 'snow ☃ smile 😀 sep \u2028 nul \u0000' }], event: 'typing:start' },
            { data: null },
        ];
        const sent = [];
        for (const body of bodies) sent.push((await publish(herald.url, channel, body)).json);
        await until(() => client.count >= bodies.length, 10000, `${bodies.length} lines`);
        const marker = (await publish(herald.url, channel, { data: 'marker' })).json;
        await until(() => client.seqs.includes(marker.seq), 10000, 'the marker');
        assert.deepEqual(client.seqs, [4, 5, 6, 7, 8]);
        bodies.forEach((body, i) => {
            assert.deepEqual(client.lines[i], {
                channel, seq: sent[i].seq, id: sent[i].id, event: body.event ?? 'message', data: body.data, time: sent[i].time,
            });
        });
        assert.equal(client.badLines.length, 0);
        assert.equal(client.raw.split('\n').filter((l) => l !== '').length, 5, 'one line per message, nothing else');
        assertNdjson(client.raw);
        assert.ok(!client.ended);
        client.close();
    });

    test('after=N replays history then goes live, with no gap and no duplicate at the seam', { timeout: 60000 }, async () => {
        for (let round = 0; round < 3; ++round) {
            const channel = `st:seam:${round}`;
            await publishMany(herald.url, channel, 50, { make: (i) => ({ data: { before: i } }) });
            const opening = StreamClient.open(herald.url, `/v1/channels/${channel}/stream?after=20`);
            // The live half starts a little later each round (before the subscription, during the
            // replay, after it): the delay varies the interleaving under test; the assertions hold
            // for any timing.
            await sleep(round * 40);
            const publishing = publishMany(herald.url, channel, 50, { make: (i) => ({ data: { during: i } }) });
            const client = await opening;
            open.push(client);
            await publishing;
            await until(() => client.seqs.includes(100), 15000, `seq 100 on ${channel}`);
            await publish(herald.url, channel, { data: 'marker' });
            await until(() => client.seqs.includes(101), 10000, `the marker on ${channel}`);
            assert.deepEqual(client.seqs, range(21, 101), `round ${round}`);
            assert.equal(client.lines.filter((l) => l.type === 'gap').length, 0, 'nothing was trimmed: no gap');
            assertNdjson(client.raw);
            client.close();
        }
    });

    test('malformed input gets 400 with an error body, and the server keeps serving', { timeout: 30000 }, async () => {
        const channel = 'st:bad';
        const bystander = await StreamClient.open(herald.url, `/v1/channels/${channel}/stream`);
        open.push(bystander);
        await subscribed(herald.url, channel, 1);
        const targets = [
            ...['after=-1', 'after=abc', 'after=1.5', 'after=', 'after=99999999999999999999999']
                .map((q) => `/v1/channels/${channel}/stream?${q}`),
            ...['bad%20name', 'caf%C3%A9', 'x'.repeat(201)].map((c) => `/v1/channels/${c}/stream`),
        ];
        for (const target of targets) {
            const res = await get(herald.url, target);
            assert.equal(res.status, 400, target);
            assert.equal(res.json?.error?.code, 'bad_request', `${target}: ${res.text}`);
        }
        const post = await get(herald.url, `/v1/channels/${channel}/stream`, { method: 'POST' });
        assert.equal(post.status, 405);
        assert.equal(post.json?.error?.code, 'method_not_allowed', post.text);
        await publish(herald.url, channel, { data: 'still here' });
        await until(() => bystander.seqs.includes(1), 10000, 'the message');
        assert.deepEqual(bystander.seqs, [1]);
        bystander.close();
    });
});

describe('HTTP streaming configuration', () => {
    test('a cursor before the oldest retained message gets a gap line first, then what is retained', { timeout: 30000 }, async () => {
        const herald = await startHerald({ args: ['--history-max-messages', '5'] });
        const clients = [];
        try {
            const channel = 'gap';
            await publishMany(herald.url, channel, 12, { publishers: 1 });
            const cases = [
                { after: 3, gap: true },
                { after: 0, gap: true },
                { after: 7, gap: false },
            ];
            for (const c of cases) {
                c.client = await StreamClient.open(herald.url, `/v1/channels/${channel}/stream?after=${c.after}`);
                clients.push(c.client);
                assert.equal(c.client.status, 200);
            }
            await subscribed(herald.url, channel, cases.length);
            await publish(herald.url, channel, { data: 'live 13' });
            for (const c of cases) {
                await until(() => c.client.seqs.includes(13), 10000, `seq 13 after=${c.after}`);
                assert.deepEqual(c.client.seqs, range(8, 13), `after=${c.after}`);
                const gaps = c.client.lines.filter((l) => l.type === 'gap');
                if (!c.gap) {
                    assert.equal(gaps.length, 0, `no gap after=${c.after}`);
                    continue;
                }
                assert.deepEqual(c.client.lines[0], { type: 'gap', channel, after: c.after, first_seq: 8 }, `the first line after=${c.after}`);
                assert.equal(gaps.length, 1, 'one gap');
                assert.ok(c.client.raw.startsWith('{'), 'the gap is the very first line');
                assertNdjson(c.client.raw);
            }
        } finally {
            for (const c of clients) c.close();
            await herald.stop();
        }
    });

    test('an empty line as keepalive while idle, every --sse-keepalive, and between messages', { timeout: 30000 }, async () => {
        const herald = await startHerald({ args: ['--sse-keepalive', '200ms'] });
        let client;
        try {
            const started = Date.now();
            client = await StreamClient.open(herald.url, '/v1/channels/ka/stream');
            assert.equal(client.status, 200);
            await until(() => client.keepalives >= 3, 10000, 'three keepalives');
            const elapsed = Date.now() - started;
            assert.ok(client.keepalives <= elapsed / 100 + 2, `${client.keepalives} keepalives in ${elapsed} ms`);
            assert.ok(/^\n+$/.test(client.raw), `only empty lines: ${JSON.stringify(client.raw.slice(0, 80))}`);

            await publish(herald.url, 'ka', { data: 'between' });
            await until(() => client.count === 1, 10000, 'the message');
            const afterMessage = client.keepalives;
            await until(() => client.keepalives >= afterMessage + 2, 10000, 'keepalives after the message');
            assert.deepEqual(client.seqs, [1]);
            assert.equal(client.badLines.length, 0);
            assert.ok(!client.ended);
        } finally {
            client?.close();
            await herald.stop();
        }
    });

    test('a replay larger than the send queue is paced, not dropped as a slow consumer', { timeout: 60000 }, async () => {
        const herald = await startHerald({ args: ['--limits-send-queue-bytes', '65536', '--history-max-messages', '10000'] });
        let client;
        try {
            const channel = 'replay:big';
            const pad = 'y'.repeat(1000);
            await publishMany(herald.url, channel, 500, { make: (i) => ({ data: { i, pad } }) });
            client = await StreamClient.open(herald.url, `/v1/channels/${channel}/stream?after=0`);
            assert.equal(client.status, 200);
            await until(() => client.count >= 500 || client.ended, 30000, 'the whole replay');
            await publish(herald.url, channel, { data: 'live' });
            await until(() => client.seqs.includes(501) || client.ended, 10000, 'the live message');
            assert.equal(client.ended, false, 'the replaying subscriber is still open');
            assert.deepEqual(client.seqs, range(1, 501));
            assert.equal(await metricValue(herald.url, 'herald_slow_consumer_closes_total'), 0);
        } finally {
            client?.close();
            await herald.stop();
        }
    });

    test('disconnecting frees the subscription', { timeout: 30000 }, async () => {
        const herald = await startHerald();
        const clients = [];
        try {
            const channel = 'free:st';
            for (let i = 0; i < 5; ++i) clients.push(await StreamClient.open(herald.url, `/v1/channels/${channel}/stream`));
            await subscribed(herald.url, channel, 5);
            assert.deepEqual((await get(herald.url, '/v1/channels?prefix=free:')).json,
                             { channels: [{ channel, last_seq: 0, subscribers: 5 }] });
            assert.equal(await metricValue(herald.url, 'herald_connections', '{transport="stream"}'), 5);
            await publish(herald.url, channel, { data: 1 });
            await until(() => clients.every((c) => c.count === 1), 10000, 'the message on all five');

            for (const c of clients.splice(0, 3)) c.close();
            await subscribed(herald.url, channel, 2);
            for (const c of clients) c.close();
            await subscribed(herald.url, channel, 0);
            assert.deepEqual((await get(herald.url, `/v1/channels/${channel}`)).json,
                             { channel, first_seq: 1, last_seq: 1, subscribers: 0 });
            assert.deepEqual((await get(herald.url, '/v1/channels?prefix=free:')).json,
                             { channels: [{ channel, last_seq: 1, subscribers: 0 }] });
            await until(async () => (await metricValue(herald.url, 'herald_connections', '{transport="stream"}')) === 0,
                        10000, 'the stream gauge to return to 0');
            // Still serving after the disconnects.
            assert.equal((await publish(herald.url, channel, { data: 2 })).status, 201);
        } finally {
            for (const c of clients) c.close();
            await herald.stop();
        }
    });
});
