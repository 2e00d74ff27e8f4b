#!/usr/bin/env node
// Does a long replay hold up the other connections of its shard? One shard (http.threads = 1),
// a channel with a long history read back from storage (the server restarted: its window of
// recent messages is empty), and a long poller on another channel. Measures publish-to-answer
// latency of the long poll alone, then while SSE subscribers replay the whole history again and
// again (each replay: many 1,000-row pages read from history.db).
// Usage: bench/replay_longpoll.mjs [path/to/herald]
// Env: BENCH_HISTORY (messages in the replayed channel, default 50000), BENCH_REPLAYERS (20),
// BENCH_SAMPLES (200 long polls per phase).
import http from 'node:http';
import path from 'node:path';

import { publish, startHerald, tempDir } from '../tests/support/herald.mjs';
import { publishMany } from '../tests/support/streams.mjs';

const herald = path.resolve(process.argv[2] ?? 'build/release/herald');
process.env.HERALD_BIN = herald;
const historySize = Number(process.env.BENCH_HISTORY ?? 50000);
const replayers = Number(process.env.BENCH_REPLAYERS ?? 20);
const samples = Number(process.env.BENCH_SAMPLES ?? 200);
const args = ['--http-threads', '1', '--history-max-messages', String(historySize),
              '--limits-max-connections-per-ip', '0'];

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

function request(url, { method = 'GET', body } = {}) {
    return new Promise((resolve, reject) => {
        const req = http.request(url, { method, agent, headers: body ? { 'Content-Type': 'application/json' } : {} }, (res) => {
            let text = '';
            res.on('data', (d) => { text += d; });
            res.on('end', () => resolve({ status: res.statusCode, text }));
        });
        req.on('error', reject);
        req.end(body);
    });
}

/// One long poll held on `live`, then a publish: the time from the publish's send to the poll's
/// answer, `count` times.
async function measureLongPoll(base, count) {
    const latencies = [];
    let after = 0;
    const first = await request(`${base}/v1/channels/live/messages?limit=1`);
    after = JSON.parse(first.text).last_seq ?? 0;
    for (let i = 0; i < count; i += 1) {
        const answered = request(`${base}/v1/channels/live/messages?after=${after}&wait=30`);
        // The poll must be held before the publish: its subscriber count says so.
        for (;;) {
            const info = JSON.parse((await request(`${base}/v1/channels/live`)).text);
            if (info.subscribers >= 1) break;
        }
        const sent = process.hrtime.bigint();
        await request(`${base}/v1/channels/live/messages`, { method: 'POST', body: JSON.stringify({ data: i }) });
        const answer = await answered;
        latencies.push(Number(process.hrtime.bigint() - sent) / 1e6);
        if (answer.status !== 200) throw new Error(`long poll answered ${answer.status}: ${answer.text}`);
        after = JSON.parse(answer.text).last_seq;
    }
    return latencies;
}

/// An SSE subscriber that replays `history` from the start until told to stop; counts events.
function replayLoop(base, state) {
    return (async () => {
        while (!state.stop) {
            const controller = new AbortController();
            state.controllers.add(controller);
            try {
                const res = await fetch(`${base}/v1/channels/history/events?after=0`, { signal: controller.signal });
                let seen = 0;
                let carry = '';  // a marker may be split between two chunks
                const decoder = new TextDecoder();
                for await (const chunk of res.body) {
                    const text = carry + decoder.decode(chunk, { stream: true });
                    let found = 0;
                    for (let at = text.indexOf('\nevent: '); at !== -1; at = text.indexOf('\nevent: ', at + 1)) found += 1;
                    // Keep only what may begin a marker: the last line, when shorter than one.
                    const tail = text.slice(text.lastIndexOf('\n'));
                    carry = tail.length < '\nevent: '.length ? tail : '';
                    seen += found;
                    state.events += found;
                    if (seen >= historySize || state.stop) break;
                }
                if (seen >= historySize) state.replays += 1;
                controller.abort();
            } catch (error) {
                if (!state.stop) throw error;
            } finally {
                state.controllers.delete(controller);
            }
        }
    })();
}

function summary(latencies) {
    const sorted = [...latencies].sort((a, b) => a - b);
    const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] };
}

const dataDir = tempDir('herald-bench-');
let server = await startHerald({ dataDir, args });
await publishMany(server.url, 'history', historySize, { publishers: 16 });
await publish(server.url, 'live', { data: 'start' });
await server.stop();
server = await startHerald({ dataDir, args });  // the window of recent messages is empty now
try {
    const alone = summary(await measureLongPoll(server.url, samples));
    const state = { stop: false, events: 0, replays: 0, controllers: new Set() };
    const loops = Array.from({ length: replayers }, () => replayLoop(server.url, state));
    const started = process.hrtime.bigint();
    const during = summary(await measureLongPoll(server.url, samples));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    state.stop = true;
    for (const controller of state.controllers) controller.abort();
    await Promise.allSettled(loops);
    const reads = await request(`${server.url}/metrics`);
    const storageReads = /herald_reads_total\{source="storage"\} (\d+)/.exec(reads.text)?.[1];
    const fmt = (s) => `p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms, max ${s.max.toFixed(2)} ms`;
    console.log(`history ${historySize} messages, ${replayers} SSE replayers, ${samples} long polls per phase, 1 shard`);
    console.log(`long poll alone:          ${fmt(alone)}`);
    console.log(`long poll during replays: ${fmt(during)}`);
    console.log(`replayed meanwhile: ${state.events} events (${Math.round(state.events / seconds)} events/s), ` +
                `${state.replays} whole replays, ${storageReads} storage reads`);
} finally {
    await server.stop();
    (await import('node:fs')).rmSync(dataDir, { recursive: true, force: true });
}
