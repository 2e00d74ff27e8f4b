// Long-poll wake-up latency: C clients hold a long poll on one channel; a publisher sends a
// message carrying its send time; each client records publish-to-response time, then polls
// again. Repeated for R rounds. Works against Herald and against Nchan (bench/nchan).
//
//   node bench/longpoll_wakeup.mjs --target herald --url http://127.0.0.1:8080 [--clients 1000]
//        [--rounds 20] [--processes 4]
//
// Clients are spread over several processes (default 4) so that reading 1,000 responses in
// one event loop does not dominate the figure; all processes share the publisher's clock
// (performance.timeOrigin + performance.now(), the same wall clock on one machine).
import { fork } from 'node:child_process';
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
    options: {
        target: { type: 'string', default: 'herald' },
        url: { type: 'string', default: 'http://127.0.0.1:8080' },
        clients: { type: 'string', default: '1000' },
        rounds: { type: 'string', default: '20' },
        processes: { type: 'string', default: '4' },
        channel: { type: 'string', default: `lp-bench-${process.pid}` },
        worker: { type: 'boolean', default: false },
    },
});

const now = () => performance.timeOrigin + performance.now();
const url = new URL(args.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

function request(method, path, headers = {}, body = null) {
    return new Promise((resolve, reject) => {
        const req = http.request({ host: url.hostname, port: url.port, method, path, headers, agent },
            (res) => {
                const chunks = [];
                res.on('data', (c) => chunks.push(c));
                res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
                                               body: Buffer.concat(chunks).toString() }));
            });
        req.on('error', reject);
        if (body) req.write(body);
        req.end();
    });
}

// How each target spells "wait for the next message after the one I have".
const targets = {
    herald: {
        poll: async (cursor) => {
            const path = `/v1/channels/${args.channel}/messages?after=${cursor.seq ?? 0}&wait=60`;
            const res = await request('GET', path);
            if (res.status !== 200) return { cursor, sent: null };
            const body = JSON.parse(res.body);
            const last = body.messages.at(-1);
            return { cursor: { seq: last.seq }, sent: last.data.sent };
        },
        publish: (payload) => request('POST', `/v1/channels/${args.channel}/messages`,
                                      { 'Content-Type': 'application/json' },
                                      JSON.stringify({ data: payload })),
        start: async () => {
            const res = await request('GET', `/v1/channels/${args.channel}/messages?limit=1`);
            return { seq: JSON.parse(res.body).last_seq };
        },
    },
    nchan: {
        poll: async (cursor) => {
            const headers = {};
            if (cursor.modified) headers['If-Modified-Since'] = cursor.modified;
            if (cursor.etag) headers['If-None-Match'] = cursor.etag;
            const res = await request('GET', `/sub/${args.channel}`, headers);
            if (res.status !== 200) return { cursor, sent: null };
            return { cursor: { modified: res.headers['last-modified'], etag: res.headers.etag },
                     sent: JSON.parse(res.body).sent };
        },
        publish: (payload) => request('POST', `/pub/${args.channel}`,
                                      { 'Content-Type': 'application/json' },
                                      JSON.stringify(payload)),
        start: async () => ({}),
    },
};
const target = targets[args.target];
if (!target) throw new Error(`unknown target ${args.target}`);

if (args.worker) {
    // A worker: holds its share of clients; reports latencies of each round to the parent.
    const count = Number(process.env.BENCH_CLIENTS);
    let cursors = [];
    let waiting = 0;
    process.on('message', async (msg) => {
        if (msg.type === 'start') {
            const start = await target.start();
            cursors = Array.from({ length: count }, () => ({ ...start }));
            process.send({ type: 'ready' });
        } else if (msg.type === 'arm') {
            const latencies = [];
            waiting = count;
            cursors.forEach((cursor, i) => {
                target.poll(cursor).then(({ cursor: next, sent }) => {
                    const received = now();
                    cursors[i] = next;
                    if (sent != null) latencies.push(received - sent);
                    if (--waiting === 0) process.send({ type: 'round', latencies });
                }, (error) => {
                    process.send({ type: 'error', error: String(error) });
                });
            });
            process.send({ type: 'armed' });
        } else if (msg.type === 'exit') {
            process.exit(0);
        }
    });
} else {
    const clients = Number(args.clients);
    const rounds = Number(args.rounds);
    const processes = Math.min(Number(args.processes), clients);
    const workers = [];
    for (let p = 0; p < processes; ++p) {
        const share = Math.floor(clients / processes) + (p < clients % processes ? 1 : 0);
        workers.push(fork(new URL(import.meta.url).pathname,
                          [...process.argv.slice(2), '--channel', args.channel, '--worker'],
                          { env: { ...process.env, BENCH_CLIENTS: String(share) } }));
    }
    const next = (worker, type) => new Promise((resolve, reject) => {
        const onMessage = (msg) => {
            if (msg.type === 'error') reject(new Error(msg.error));
            if (msg.type !== type) return;
            worker.off('message', onMessage);
            resolve(msg);
        };
        worker.on('message', onMessage);
    });
    const all = [];
    await Promise.all(workers.map((w) => { const r = next(w, 'ready'); w.send({ type: 'start' }); return r; }));
    for (let round = 0; round < rounds; ++round) {
        const done = workers.map((w) => next(w, 'round'));
        await Promise.all(workers.map((w) => { const r = next(w, 'armed'); w.send({ type: 'arm' }); return r; }));
        // Requests are written; give the server time to hold every one of them.
        await new Promise((r) => setTimeout(r, 300 + clients / 5));
        await target.publish({ sent: now(), round });
        const results = await Promise.all(done);
        for (const { latencies } of results) all.push(...latencies);
    }
    workers.forEach((w) => w.send({ type: 'exit' }));
    all.sort((a, b) => a - b);
    const pct = (p) => all[Math.min(all.length - 1, Math.floor((p / 100) * all.length))];
    const summary = {
        target: args.target, clients, rounds, deliveries: all.length,
        expected: clients * rounds,
        p50_ms: +pct(50).toFixed(2), p90_ms: +pct(90).toFixed(2), p99_ms: +pct(99).toFixed(2),
        max_ms: +all.at(-1).toFixed(2),
    };
    console.log(JSON.stringify(summary));
    agent.destroy();
}
