// Long polling: GET .../messages?wait=S holds the request until a message or the deadline.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { eventually, get, metric, publish, startHerald } from '../support/herald.mjs';

describe('long polling', () => {
    let herald;
    before(async () => { herald = await startHerald({ args: ['--limits-long-poll-max-wait', '3s'] }); });
    after(() => herald.stop());

    const waiting = () => metric(herald.url, 'herald_long_poll_waits');

    test('a held poll is woken by a publish from another connection', async () => {
        await publish(herald.url, 'lp:wake', { data: 'old' });
        const started = Date.now();
        const poll = get(herald.url, '/v1/channels/lp:wake/messages?after=1&wait=10');
        await eventually(async () => (await waiting()) === 1, 3000, 'the poll to be held');
        const sent = await publish(herald.url, 'lp:wake', { data: 'new', event: 'ping' });
        const res = await poll;
        assert.equal(res.status, 200);
        assert.ok(Date.now() - started < 5000, 'answered long before its 10 s wait');
        assert.equal(res.json.channel, 'lp:wake');
        assert.equal(res.json.messages.length, 1);
        assert.deepEqual(res.json.messages[0], { channel: 'lp:wake', seq: 2, id: sent.json.id,
                                                event: 'ping', data: 'new', time: sent.json.time });
        assert.equal(res.json.last_seq, 2);
        assert.equal(await waiting(), 0);
    });

    test('messages already newer than the cursor answer at once', async () => {
        await publish(herald.url, 'lp:ready', { data: 1 });
        const started = Date.now();
        const res = await get(herald.url, '/v1/channels/lp:ready/messages?after=0&wait=10');
        assert.equal(res.status, 200);
        assert.equal(res.json.messages.length, 1);
        assert.ok(Date.now() - started < 2000);
    });

    test('204 with an empty body when the wait runs out', async () => {
        const before = await metric(herald.url, 'herald_long_poll_timeouts_total');
        const started = Date.now();
        const res = await get(herald.url, '/v1/channels/lp:quiet/messages?after=0&wait=1');
        const took = Date.now() - started;
        assert.equal(res.status, 204);
        assert.equal(res.text, '');
        assert.ok(took >= 900 && took < 2900, `took ${took} ms`);
        assert.equal(await metric(herald.url, 'herald_long_poll_timeouts_total'), before + 1);
    });

    test('wait is capped by limits.long_poll_max_wait', async () => {
        const started = Date.now();
        const res = await get(herald.url, '/v1/channels/lp:cap/messages?after=0&wait=60');
        assert.equal(res.status, 204);
        assert.ok(Date.now() - started < 5500, 'capped at 3 s');
    });

    test('without after, a poll on an empty channel waits for the first message', async () => {
        const poll = get(herald.url, '/v1/channels/lp:first/messages?wait=10');
        await eventually(async () => (await waiting()) === 1, 3000, 'the poll to be held');
        await publish(herald.url, 'lp:first', { data: 'first' });
        const res = await poll;
        assert.equal(res.status, 200);
        assert.deepEqual(res.json.messages.map((m) => m.data), ['first']);
    });

    test('a client that aborts frees its wait at once', async () => {
        const controller = new AbortController();
        const poll = fetch(`${herald.url}/v1/channels/lp:abort/messages?after=0&wait=60`,
                           { signal: controller.signal }).catch((e) => e);
        await eventually(async () => (await waiting()) === 1, 3000, 'the poll to be held');
        const info = await get(herald.url, '/v1/channels/lp:abort');
        assert.equal(info.json.subscribers, 1, 'a held poll counts as a subscriber');
        const list = await get(herald.url, '/v1/channels?prefix=lp:abort');
        assert.deepEqual(list.json.channels, [{ channel: 'lp:abort', last_seq: 0, subscribers: 1 }]);
        controller.abort();
        await poll;
        await eventually(async () => (await waiting()) === 0, 2000, 'the wait to be freed');
        assert.equal((await get(herald.url, '/v1/channels/lp:abort')).json.subscribers, 0);
        // The server still serves.
        assert.equal((await publish(herald.url, 'lp:abort', { data: 1 })).status, 201);
    });

    test('200 concurrent long polls are all woken by one publish, each with that message', async () => {
        const count = 200;
        const polls = Array.from({ length: count },
            () => get(herald.url, '/v1/channels/lp:many/messages?after=0&wait=20'));
        await eventually(async () => (await waiting()) === count, 10000, `${count} held polls`);
        assert.equal((await get(herald.url, '/v1/channels/lp:many')).json.subscribers, count);
        const sent = await publish(herald.url, 'lp:many', { data: { hello: 'everyone' } });
        const results = await Promise.all(polls);
        for (const res of results) {
            assert.equal(res.status, 200);
            assert.equal(res.json.messages.length, 1);
            assert.equal(res.json.messages[0].seq, 1);
            assert.equal(res.json.messages[0].id, sent.json.id);
        }
        assert.equal(await waiting(), 0);
    });

    test('a burst wakes a poll with the messages of one commit, and nothing is lost after', async () => {
        const received = [];
        let cursor = 0;
        const done = (async () => {
            while (received.length < 50) {
                const res = await get(herald.url, `/v1/channels/lp:burst/messages?after=${cursor}&wait=5`);
                if (res.status !== 200) continue;
                for (const m of res.json.messages) received.push(m.seq);
                cursor = res.json.messages.at(-1).seq;
            }
        })();
        await Promise.all(Array.from({ length: 50 }, (_, i) => publish(herald.url, 'lp:burst', { data: i })));
        await done;
        assert.deepEqual(received, Array.from({ length: 50 }, (_, i) => i + 1));
    });
});
