// A read storage cannot make is an error, never a gap (a gap would make clients skip messages
// that exist): polls get 503 unavailable, a stream ends, a WebSocket subscription gets an error
// frame; reads the window of recent messages answers go on. The error is injected by
// overwriting SQLite's history file with zeros under the running server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { eventually, get, publish, startHerald } from '../support/herald.mjs';
import { metricValue, SseClient } from '../support/streams.mjs';
import { connectWs } from '../support/ws.mjs';

describe('storage read errors', () => {
    let herald;
    before(async () => {
        // A window (and history) of 20 messages: older cursors must be read from storage.
        herald = await startHerald({ args: ['--history-max-messages', '20'] });
        for (let i = 1; i <= 60; ++i) await publish(herald.url, 'broken', { data: i });
        // The mover copies committed messages into history.db in bulk: wait until it has.
        const history = path.join(herald.dataDir, 'history.db');
        const size = (file) => (fs.existsSync(file) ? fs.statSync(file).size : 0);
        const moved = () => size(history) + size(`${history}-wal`);
        const start = moved();
        await eventually(() => moved() >= start + 4096, 10000, 'the messages to reach history.db');
        for (const file of [history, `${history}-wal`]) {
            if (fs.existsSync(file)) fs.writeFileSync(file, Buffer.alloc(size(file)));
        }
    });
    after(() => herald.stop());

    test('polls get 503 with Retry-After, not an empty answer or a gap', async () => {
        const failures = (await metricValue(herald.url, 'herald_read_failures_total')) ?? 0;
        for (const query of ['', '?after=5', '?after=5&wait=10', '?after=0&limit=3']) {
            const res = await get(herald.url, `/v1/channels/broken/messages${query}`);
            assert.equal(res.status, 503, query);
            assert.equal(res.json.error.code, 'unavailable');
            assert.equal(res.headers.get('retry-after'), '1');
        }
        assert.equal(await metricValue(herald.url, 'herald_read_failures_total'), failures + 4);
        // Near the head the window of recent messages still answers.
        const near = await get(herald.url, '/v1/channels/broken/messages?after=57');
        assert.equal(near.status, 200);
        assert.deepEqual(near.json.messages.map((m) => m.seq), [58, 59, 60]);
    });

    test('an SSE replay that cannot be read ends the stream without a gap', async () => {
        const sse = await SseClient.open(herald.url, '/v1/channels/broken/events?after=5');
        await eventually(() => sse.ended, 5000, 'the stream to end');
        assert.equal(sse.status, 200);
        assert.equal(sse.endInfo.complete, true, 'the response ended with its last chunk, not cut');
        assert.deepEqual(sse.events, [], 'no gap, no message');
    });

    test('a WebSocket subscription that cannot be read gets an unavailable error frame; the connection lives', async () => {
        const ws = await connectWs(herald.url);
        try {
            ws.send(JSON.stringify({ type: 'subscribe', channel: 'broken', after: 5, ref: 1 }));
            const error = await ws.next((f) => f.type === 'error', 'the error frame');
            assert.equal(error.code, 'unavailable');
            assert.ok(!ws.frames.some((f) => f.type === 'gap'), 'no gap');
            assert.equal((await ws.request({ type: 'ping' })).type, 'pong');
            // The subscription ended: it may be made again (near the head, from the window).
            const again = await ws.request({ type: 'subscribe', channel: 'broken', after: 58 });
            assert.equal(again.type, 'subscribed');
            await eventually(() => ws.seqs('broken').join() === '59,60', 5000, 'the window\'s messages');
        } finally {
            ws.close();
        }
    });
});
