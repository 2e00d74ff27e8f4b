// Publish: POST /v1/channels/{channel}/messages
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { get, publish, startHerald } from '../support/herald.mjs';

for (const storage of ['sqlite', 'memory']) {
    describe(`publish (${storage})`, () => {
        let herald;
        before(async () => { herald = await startHerald({ args: ['--storage', storage] }); });
        after(() => herald.stop());

        test('201 with channel, seq, id and time; seq grows by one per channel', async () => {
            const before = Date.now();
            const first = await publish(herald.url, 'pub:a', { data: { text: 'hi' } });
            assert.equal(first.status, 201);
            assert.deepEqual(Object.keys(first.json).sort(), ['channel', 'id', 'seq', 'time']);
            assert.equal(first.json.channel, 'pub:a');
            assert.equal(first.json.seq, 1);
            assert.match(first.json.id, /^m_[0-9A-HJKMNP-TV-Z]{26}$/);
            assert.ok(first.json.time >= before - 5 && first.json.time <= Date.now() + 5);
            assert.equal(first.headers.get('content-type'), 'application/json');
            const second = await publish(herald.url, 'pub:a', { data: 2 });
            assert.equal(second.json.seq, 2);
            assert.notEqual(second.json.id, first.json.id);
            const other = await publish(herald.url, 'pub:b', { data: 3 });
            assert.equal(other.json.seq, 1, 'channels are sequenced independently');
        });

        test('the stored message carries data, event and id as sent', async () => {
            const data = { nested: [1, 'two', { three: null }], unicode: 'héllo ☃', quote: '"\\' };
            const sent = await publish(herald.url, 'pub:fields', { data, event: 'chat.message', id: 'client-1' });
            assert.equal(sent.status, 201);
            assert.equal(sent.json.id, 'client-1');
            const read = await get(herald.url, '/v1/channels/pub:fields/messages');
            assert.equal(read.status, 200);
            const [message] = read.json.messages;
            assert.deepEqual(message, {
                channel: 'pub:fields', seq: 1, id: 'client-1', event: 'chat.message', data,
                time: sent.json.time,
            });
        });

        test('data may be any JSON value; event defaults to "message"', async () => {
            const values = [0, -1.5, 'text', true, false, null, [], {}, [1, [2, [3]]]];
            for (const value of values) {
                assert.equal((await publish(herald.url, 'pub:values', { data: value })).status, 201);
            }
            const read = await get(herald.url, '/v1/channels/pub:values/messages');
            assert.deepEqual(read.json.messages.map((m) => m.data), values);
            assert.ok(read.json.messages.every((m) => m.event === 'message'));
        });

        test('same id again: 200 with the original seq, nothing stored twice', async () => {
            const first = await publish(herald.url, 'pub:idem', { data: 1, id: 'retry-me' });
            assert.equal(first.status, 201);
            await publish(herald.url, 'pub:idem', { data: 2 });
            const retry = await publish(herald.url, 'pub:idem', { data: 'different body', id: 'retry-me' });
            assert.equal(retry.status, 200);
            assert.deepEqual(retry.json, first.json);
            const read = await get(herald.url, '/v1/channels/pub:idem/messages');
            assert.deepEqual(read.json.messages.map((m) => m.seq), [1, 2]);
            assert.equal(read.json.messages[0].data, 1);
            // The same id in another channel is another message.
            assert.equal((await publish(herald.url, 'pub:idem2', { data: 1, id: 'retry-me' })).status, 201);
        });

        test('concurrent retries of one id store it once', async () => {
            const results = await Promise.all(Array.from({ length: 20 },
                () => publish(herald.url, 'pub:race', { data: 'x', id: 'same' })));
            assert.equal(results.filter((r) => r.status === 201).length, 1);
            assert.equal(results.filter((r) => r.status === 200).length, 19);
            assert.ok(results.every((r) => r.json.seq === 1));
            const read = await get(herald.url, '/v1/channels/pub:race/messages');
            assert.equal(read.json.messages.length, 1);
        });

        test('Content-Type with charset is accepted', async () => {
            const res = await publish(herald.url, 'pub:charset', { data: 1 },
                                      { 'Content-Type': 'application/json; charset=utf-8' });
            assert.equal(res.status, 201);
        });

        test('415 without a JSON Content-Type', async () => {
            for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx']) {
                const res = await publish(herald.url, 'pub:type', { data: 1 }, { 'Content-Type': type });
                assert.equal(res.status, 415, type);
                assert.equal(res.json.error.code, 'unsupported_media_type');
            }
            const none = await fetch(`${herald.url}/v1/channels/pub:type/messages`,
                                     { method: 'POST', body: new Blob(['{"data":1}']) });
            assert.equal(none.status, 415);
        });

        test('400 for malformed bodies, with the error shape', async () => {
            const bad = ['{', '[1,2]', '"text"', '{}', '{"event":"x"}', '{"data":1,"event":""}',
                         '{"data":1,"event":"has space"}', `{"data":1,"event":"${'e'.repeat(65)}"}`,
                         '{"data":1,"event":5}', '{"data":1,"id":""}', '{"data":1,"id":"a b"}',
                         `{"data":1,"id":"${'i'.repeat(201)}"}`, '{"data":1,"id":7}', ''];
            for (const body of bad) {
                const res = await publish(herald.url, 'pub:bad', body);
                assert.equal(res.status, 400, body);
                assert.deepEqual(Object.keys(res.json), ['error']);
                assert.equal(res.json.error.code, 'bad_request');
                assert.equal(typeof res.json.error.message, 'string');
            }
            const read = await get(herald.url, '/v1/channels/pub:bad/messages');
            assert.deepEqual(read.json.messages, [], 'nothing was stored');
        });

        test('413 for a body over the size limit', async () => {
            const big = JSON.stringify({ data: 'x'.repeat(70 * 1024) });
            const res = await publish(herald.url, 'pub:big', big);
            assert.equal(res.status, 413);
            assert.equal(res.json.error.code, 'too_large');
            const ok = JSON.stringify({ data: 'x'.repeat(60 * 1024) });
            assert.equal((await publish(herald.url, 'pub:big', ok)).status, 201);
        });

        test('channel names: valid punctuation, percent-encoding, invalid names', async () => {
            const name = 'a.b_c:d@e-f';
            assert.equal((await publish(herald.url, name, { data: 1 })).status, 201);
            const encoded = await publish(herald.url, 'a.b_c%3Ad%40e-f', { data: 2 });
            assert.equal(encoded.status, 201);
            assert.equal(encoded.json.channel, name);
            assert.equal(encoded.json.seq, 2, 'percent-encoded name is the same channel');
            assert.equal((await publish(herald.url, 'x'.repeat(200), { data: 1 })).status, 201);
            for (const bad of ['x'.repeat(201), 'a%20b', 'a%2Fb', 'caf%C3%A9', 'a*b']) {
                const res = await publish(herald.url, bad, { data: 1 });
                assert.equal(res.status, 400, bad);
                assert.equal(res.json.error.code, 'bad_request');
            }
        });
    });
}
