// A history read that storage cannot answer is an error for its reader, never a gap: short and
// long polls get 503 with Retry-After, an SSE or NDJSON replay ends its stream without a gap
// event, a WebSocket subscription gets an `unavailable` error frame. Everyone else is served.
// The fault is injected with storage.fail_reads, on one channel prefix, after a restart: the
// window of recent messages is empty then, so every read goes to history.db.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';

import { get, publish, startHerald, tempDir } from '../support/herald.mjs';
import { SseClient, StreamClient, metricValue, until } from '../support/streams.mjs';
import { connectWs } from '../support/ws.mjs';

describe('a failed history read', () => {
    let server;
    let dataDir;

    before(async () => {
        dataDir = tempDir();
        const first = await startHerald({ dataDir });
        for (const channel of ['broken-a', 'fine-a']) {
            for (let n = 1; n <= 3; n += 1) {
                const res = await publish(first.url, channel, { data: { n } });
                assert.equal(res.status, 201, res.text);
            }
        }
        await first.stop();
        server = await startHerald({
            dataDir,
            env: { HERALD_STORAGE_FAIL_READS: 'broken-' },
        });
    });

    after(async () => {
        await server?.stop();
        fs.rmSync(dataDir, { recursive: true, force: true });
    });

    test('a poll gets 503 unavailable with Retry-After, not a gap', async () => {
        for (const target of ['/v1/channels/broken-a/messages?after=0',
                              '/v1/channels/broken-a/messages',
                              '/v1/channels/broken-a/messages?after=1&wait=0']) {
            const res = await get(server.url, target);
            assert.equal(res.status, 503, `${target}: ${res.text}`);
            assert.equal(res.headers.get('retry-after'), '1', target);
            const body = JSON.parse(res.text);
            assert.equal(body.error.code, 'unavailable', res.text);
            assert.equal(body.gap, undefined, res.text);
        }
    });

    test('a long poll that must read history first gets 503 at once', async () => {
        const res = await get(server.url, '/v1/channels/broken-a/messages?after=0&wait=30');
        assert.equal(res.status, 503, res.text);
        assert.equal(JSON.parse(res.text).error.code, 'unavailable');
    });

    test('an SSE and an NDJSON replay end their stream, with no gap and no message', async () => {
        const sse = await SseClient.open(server.url, '/v1/channels/broken-a/events',
                                         { headers: { 'Last-Event-ID': '0' } });
        await until(() => sse.ended, 5000, 'the SSE stream to end');
        assert.deepEqual(sse.events, [], sse.raw);
        const ndjson = await StreamClient.open(server.url, '/v1/channels/broken-a/stream?after=0');
        await until(() => ndjson.ended, 5000, 'the NDJSON stream to end');
        assert.deepEqual(ndjson.lines ?? [], [], ndjson.raw);
    });

    test('a WebSocket subscription gets an unavailable error frame; the connection lives', async () => {
        const ws = await connectWs(server.url);
        try {
            ws.send(JSON.stringify({ type: 'subscribe', channel: 'broken-a', after: 0 }));
            const error = await ws.next((f) => f.type === 'error', 'an error frame');
            assert.equal(error.code, 'unavailable', JSON.stringify(error));
            assert.equal(ws.frames.filter((f) => f.type === 'gap' || f.type === 'message').length, 0,
                         JSON.stringify(ws.frames));
            // The same connection still works: a channel whose history reads fine replays.
            ws.send(JSON.stringify({ type: 'subscribe', channel: 'fine-a', after: 0 }));
            await until(() => ws.seqs('fine-a').length === 3, 5000, 'the replay of fine-a');
            assert.deepEqual(ws.seqs('fine-a'), [1, 2, 3]);
        } finally {
            ws.close();
        }
    });

    test('other channels are read as usual and the failures are counted', async () => {
        const res = await get(server.url, '/v1/channels/fine-a/messages?after=0');
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(JSON.parse(res.text).messages.map((m) => m.data.n), [1, 2, 3]);
        assert.ok(await metricValue(server.url, 'herald_read_failures_total') >= 1);
        assert.match(server.stderr(), /storage: reading broken-a failed: injected fault/);
    });
});
