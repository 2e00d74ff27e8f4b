// herald bench: a short run whose report must be complete and self-consistent (never its speed).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import fs from 'node:fs';
import path from 'node:path';

import { runHerald, startHerald, tempDir } from '../support/herald.mjs';

test('a fan-out run over poll and longpoll counts every delivery once, with no loss', async () => {
    const herald = await startHerald();
    const dir = tempDir();
    try {
        const chart = path.join(dir, 'latency.svg');
        const { code, stdout, stderr } = await runHerald([
            'bench', 'fanout', '--transport', 'longpoll,poll', '--subscribers', '20', '--rate', '20',
            '--seconds', '1', '--poll-interval', '0.2', '--json', '--url', herald.url,
            '--pid', String(herald.proc.pid), '--svg', chart], { timeoutMs: 60000 });
        assert.equal(code, 0, stderr);
        const svg = fs.readFileSync(chart, 'utf8');
        assert.match(svg, /^<svg /);
        assert.equal((svg.match(/<polyline /g) ?? []).length, 2, 'a line per transport');
        assert.match(svg, /herald longpoll/);
        const report = JSON.parse(stdout);
        assert.equal(report.workload, 'fanout');
        assert.deepEqual(report.runs.map((r) => r.transport), ['longpoll', 'poll']);
        for (const run of report.runs) {
            assert.equal(run.target, 'herald');
            assert.equal(run.subscribers, 20);
            assert.equal(run.published, 20);
            assert.equal(run.expected_deliveries, 400);
            assert.equal(run.deliveries, 400, `${run.transport}: every message reached every subscriber`);
            assert.equal(run.lost, 0);
            assert.equal(run.duplicated, 0);
            assert.equal(run.out_of_order, 0);
            assert.equal(run.latency.samples, run.deliveries, 'each delivery has a latency');
            assert.ok(run.latency.p50_ms <= run.latency.p99_ms && run.latency.p99_ms <= run.latency.max_ms);
            assert.ok(run.subscriber_requests >= 20, 'each subscriber polled');
            assert.ok(Math.abs(run.requests_per_delivery - run.subscriber_requests / run.deliveries) < 1e-9);
            assert.ok(Math.abs(run.bytes_in_per_delivery - run.subscriber_bytes_in / run.deliveries) < 1e-9);
            assert.ok(run.bytes_in_per_delivery > 100, 'headers and bodies are counted');
            assert.ok(run.server_cpu_seconds >= 0);
            assert.ok(run.seconds > 0 && run.deliveries_per_second > 0);
        }
        const longpoll = report.runs[0];
        const poll = report.runs[1];
        assert.ok(poll.latency.p50_ms > longpoll.latency.p50_ms, 'a short poll waits for its interval');
    } finally {
        await herald.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

test('SSE, stream and WebSocket fan-out deliver every message once, in order, read as they arrive', async () => {
    const herald = await startHerald({ args: ['--storage', 'memory'] });
    try {
        const { code, stdout, stderr } = await runHerald([
            'bench', 'fanout', '--transport', 'sse,stream,ws', '--subscribers', '20', '--rate', '50',
            '--seconds', '1', '--json', '--url', herald.url, '--pid', String(herald.proc.pid)],
            { timeoutMs: 60000 });
        assert.equal(code, 0, stderr);
        const report = JSON.parse(stdout);
        assert.deepEqual(report.runs.map((r) => r.transport), ['sse', 'stream', 'ws']);
        for (const run of report.runs) {
            assert.equal(run.published, 50);
            assert.equal(run.publish_failures, 0);
            assert.equal(run.deliveries, 1000, `${run.transport}: every message reached every subscriber`);
            assert.equal(run.lost, 0);
            assert.equal(run.duplicated, 0);
            assert.equal(run.out_of_order, 0);
            assert.equal(run.latency.samples, run.deliveries, 'each delivery has a latency');
            assert.equal(run.subscriber_requests, 20, 'one request per subscriber, held throughout');
            // Each delivery carries at least its message JSON; headers are counted too.
            assert.ok(run.bytes_in_per_delivery > 60, `${run.transport}: ${run.bytes_in_per_delivery}`);
            assert.ok(run.latency.p99_ms < 1000, 'a stream delivers as messages arrive');
            assert.ok(run.server_cpu_seconds >= 0);
            assert.ok(run.tcp_segments_per_delivery > 0);
        }
    } finally {
        await herald.stop();
    }
});

test('--rate 0 publishes as fast as accepted and still loses nothing', async () => {
    const herald = await startHerald({ args: ['--storage', 'memory'] });
    try {
        const { code, stdout, stderr } = await runHerald([
            'bench', 'fanout', '--transport', 'sse,ws', '--subscribers', '10', '--rate', '0',
            '--seconds', '1', '--json', '--url', herald.url], { timeoutMs: 60000 });
        assert.equal(code, 0, stderr);
        const { runs } = JSON.parse(stdout);
        assert.deepEqual(runs.map((r) => r.transport), ['sse', 'ws']);
        for (const run of runs) {
            assert.equal(run.rate, 0);
            assert.ok(run.published > 50, `published ${run.published} in a second`);
            assert.equal(run.deliveries, 10 * run.published);
            assert.equal(run.lost, 0);
            assert.equal(run.duplicated, 0);
            assert.equal(run.out_of_order, 0);
            assert.ok(run.published_per_second > 0 && run.deliveries_per_second > 0);
        }
    } finally {
        await herald.stop();
    }
});

test('bench idle holds SSE streams open once their headers arrived, WebSockets once subscribed', async () => {
    const { code, stdout, stderr } = await runHerald(['bench', 'idle', '--transport', 'sse,ws',
                                                      '--connections', '50', '--json'],
                                                     { timeoutMs: 60000, env: { HERALD_URL: '' } });
    assert.equal(code, 0, stderr);
    const { runs } = JSON.parse(stdout);
    assert.deepEqual(runs.map((r) => r.transport), ['sse', 'ws']);
    for (const run of runs) {
        assert.equal(run.target, 'herald');
        assert.equal(run.established, 50);
        assert.ok(typeof run.bytes_per_connection === 'number');
    }
});

test('past --per-process subscribers, worker processes share the run and their counts add up', async () => {
    const herald = await startHerald({ args: ['--storage', 'memory'] });
    try {
        const { code, stdout, stderr } = await runHerald([
            'bench', 'fanout', '--transport', 'longpoll', '--subscribers', '20', '--per-process', '7',
            '--rate', '20', '--seconds', '1', '--json', '--url', herald.url], { timeoutMs: 60000 });
        assert.equal(code, 0, stderr);
        const [run] = JSON.parse(stdout).runs;
        assert.equal(run.subscribers, 20);
        assert.equal(run.deliveries, 20 * run.published, 'every process counted its subscribers');
        assert.equal(run.lost, 0);
        assert.equal(run.duplicated, 0);
        assert.equal(run.latency.samples, run.deliveries, 'latency samples came back from the workers');
        assert.ok(run.subscriber_requests >= 20);
    } finally {
        await herald.stop();
    }
});

test('bench starts a server of its own when given no --url, and measures its memory', async () => {
    const { code, stdout, stderr } = await runHerald(['bench', 'idle', '--transport', 'longpoll',
                                                      '--connections', '50', '--json'],
                                                     { timeoutMs: 60000, env: { HERALD_URL: '' } });
    assert.equal(code, 0, stderr);
    assert.match(stderr, /started herald serve at http:\/\/127\.0\.0\.1:\d+/);
    const report = JSON.parse(stdout);
    assert.equal(report.workload, 'idle');
    const [run] = report.runs;
    assert.equal(run.connections, 50);
    assert.equal(run.established, 50);
    assert.ok(run.server_rss_after >= run.server_rss_before);
    assert.ok(typeof run.bytes_per_connection === 'number');
});

test('bench throughput publishes exactly the bounded count', async () => {
    const herald = await startHerald({ args: ['--storage', 'memory'] });
    try {
        const { code, stdout, stderr } = await runHerald([
            'bench', 'throughput', '--connections', '8', '--messages', '500', '--channels', '4',
            '--json', '--url', herald.url], { timeoutMs: 60000 });
        assert.equal(code, 0, stderr);
        const report = JSON.parse(stdout);
        assert.equal(report.accepted, 500);
        assert.equal(report.failed, 0);
        assert.ok(report.latency.p50_ms <= report.latency.max_ms);
        let total = 0;
        for (let c = 0; c < 4; ++c) {
            const info = await (await fetch(`${herald.url}/v1/channels/bench-throughput:${c}`)).json();
            total += info.last_seq;
        }
        assert.equal(total, 500, 'the server stored exactly what was reported');
    } finally {
        await herald.stop();
    }
});

test('bench refuses a transport it does not have, and an unreachable server', async () => {
    const herald = await startHerald();
    try {
        const bad = await runHerald(['bench', 'fanout', '--transport', 'carrier-pigeon', '--url', herald.url]);
        assert.equal(bad.code, 2);
        assert.match(bad.stderr, /carrier-pigeon/);
    } finally {
        await herald.stop();
    }
    const down = await runHerald(['bench', 'fanout', '--seconds', '1', '--url', herald.url]);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /cannot reach the server/);
});
