// Reading: short polling, cursors, limits, gaps, channel info and list.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { get, publish, startHerald } from '../support/herald.mjs';

const seqs = (res) => res.json.messages.map((m) => m.seq);

for (const storage of ['sqlite', 'memory']) {
    describe(`read (${storage})`, () => {
        let herald;
        before(async () => {
            herald = await startHerald({ args: ['--storage', storage, '--history-max-messages', '5'] });
        });
        after(() => herald.stop());

        test('a channel nobody used reads as empty', async () => {
            const res = await get(herald.url, '/v1/channels/read:unused/messages');
            assert.equal(res.status, 200);
            assert.deepEqual(res.json, { channel: 'read:unused', messages: [], last_seq: 0 });
            const info = await get(herald.url, '/v1/channels/read:unused');
            assert.deepEqual(info.json, { channel: 'read:unused', first_seq: 0, last_seq: 0, subscribers: 0 });
        });

        test('after and limit select messages in seq order', async () => {
            for (let i = 1; i <= 4; ++i) await publish(herald.url, 'read:c', { data: i });
            assert.deepEqual(seqs(await get(herald.url, '/v1/channels/read:c/messages')), [1, 2, 3, 4]);
            assert.deepEqual(seqs(await get(herald.url, '/v1/channels/read:c/messages?after=2')), [3, 4]);
            assert.deepEqual(seqs(await get(herald.url, '/v1/channels/read:c/messages?after=0&limit=2')), [1, 2]);
            const end = await get(herald.url, '/v1/channels/read:c/messages?after=4');
            assert.deepEqual(end.json, { channel: 'read:c', messages: [], last_seq: 4 });
            // A cursor beyond last_seq: the channel was reset (API.md Cluster), read from the oldest.
            const beyond = await get(herald.url, '/v1/channels/read:c/messages?after=99');
            assert.deepEqual(beyond.json.gap, { type: 'gap', channel: 'read:c', after: 99, first_seq: 1, reset: true });
            assert.deepEqual(seqs(beyond), [1, 2, 3, 4]);
            assert.equal(beyond.json.last_seq, 4);
            const big = await get(herald.url, '/v1/channels/read:c/messages?limit=5000');
            assert.equal(big.status, 200, 'a limit above 1000 is capped, not refused');
        });

        test('bad numeric parameters are 400', async () => {
            for (const query of ['after=-1', 'after=x', 'after=1.5', 'after=', 'limit=0', 'limit=-3',
                                 'limit=abc', 'wait=-1', 'wait=1.5', 'wait=x',
                                 'after=99999999999999999999999']) {
                const res = await get(herald.url, `/v1/channels/read:c/messages?${query}`);
                assert.equal(res.status, 400, query);
                assert.equal(res.json.error.code, 'bad_request');
            }
        });

        test('reads near the head are answered from memory, the same bytes as from storage', async () => {
            const reads = async (source) => Number((await get(herald.url, '/metrics')).text
                .split('\n').find((l) => l.startsWith(`herald_reads_total{source="${source}"} `))?.split(' ').at(-1));
            for (let i = 1; i <= 4; ++i) await publish(herald.url, 'read:near', { data: { n: i, big: 123456789012345678901234567890 } });
            const memory = await reads('memory');
            const storage = await reads('storage');
            const near = await get(herald.url, '/v1/channels/read:near/messages?after=2');
            assert.deepEqual(seqs(near), [3, 4]);
            assert.equal(await reads('memory'), memory + 1);
            // Without a cursor storage answers; the messages it gives are the same text.
            const all = await get(herald.url, '/v1/channels/read:near/messages');
            assert.equal(await reads('storage'), storage + 1);
            assert.equal(JSON.stringify(all.json.messages.slice(2)), JSON.stringify(near.json.messages));
            assert.ok(all.text.includes(near.text.slice(near.text.indexOf('{"channel":"read:near","seq":3'),
                                                       near.text.indexOf(']'))));
        });

        test('trimmed history is announced as a gap', async () => {
            for (let i = 1; i <= 12; ++i) await publish(herald.url, 'read:gap', { data: i });
            const fromStart = await get(herald.url, '/v1/channels/read:gap/messages?after=0');
            assert.deepEqual(seqs(fromStart), [8, 9, 10, 11, 12]);
            assert.deepEqual(fromStart.json.gap, { type: 'gap', channel: 'read:gap', after: 0, first_seq: 8 });
            assert.equal(fromStart.json.last_seq, 12);
            const fromThree = await get(herald.url, '/v1/channels/read:gap/messages?after=3&limit=2');
            assert.deepEqual(seqs(fromThree), [8, 9]);
            assert.deepEqual(fromThree.json.gap, { type: 'gap', channel: 'read:gap', after: 3, first_seq: 8 });
            const noCursor = await get(herald.url, '/v1/channels/read:gap/messages');
            assert.deepEqual(seqs(noCursor), [8, 9, 10, 11, 12]);
            assert.equal(noCursor.json.gap, undefined, 'no cursor, no gap');
            const inside = await get(herald.url, '/v1/channels/read:gap/messages?after=7');
            assert.equal(inside.json.gap, undefined, 'nothing missing after 7');
            const info = await get(herald.url, '/v1/channels/read:gap');
            assert.deepEqual(info.json, { channel: 'read:gap', first_seq: 8, last_seq: 12, subscribers: 0 });
        });

        test('channel list by prefix, sorted, with last_seq', async () => {
            await publish(herald.url, 'list:b', { data: 1 });
            await publish(herald.url, 'list:a', { data: 1 });
            await publish(herald.url, 'list:a', { data: 2 });
            await publish(herald.url, 'other', { data: 1 });
            const res = await get(herald.url, '/v1/channels?prefix=list:');
            assert.equal(res.status, 200);
            assert.deepEqual(res.json, { channels: [
                { channel: 'list:a', last_seq: 2, subscribers: 0 },
                { channel: 'list:b', last_seq: 1, subscribers: 0 },
            ] });
            const all = await get(herald.url, '/v1/channels');
            const names = all.json.channels.map((c) => c.channel);
            assert.ok(names.includes('other') && names.includes('list:a'));
            assert.deepEqual(names, [...names].sort());
            const none = await get(herald.url, '/v1/channels?prefix=nothing-here');
            assert.deepEqual(none.json, { channels: [] });
        });
    });
}

describe('read (age retention)', () => {
    test('messages older than history.max_age are trimmed and reported as a gap', async () => {
        const herald = await startHerald({ args: ['--history-max-age', '1s'] });
        try {
            for (let i = 1; i <= 3; ++i) await publish(herald.url, 'age', { data: i });
            const deadline = Date.now() + 10000;  // polled: the trim is the event waited for
            let res;
            do {
                await new Promise((r) => setTimeout(r, 200));
                res = await get(herald.url, '/v1/channels/age/messages?after=0');
            } while (res.json.messages.length > 0 && Date.now() < deadline);
            assert.deepEqual(res.json.messages, []);
            assert.deepEqual(res.json.gap, { type: 'gap', channel: 'age', after: 0, first_seq: 4 });
            assert.equal(res.json.last_seq, 3);
            const next = await publish(herald.url, 'age', { data: 4 });
            assert.equal(next.json.seq, 4, 'seqs continue after a full trim');
        } finally {
            await herald.stop();
        }
    });
});
