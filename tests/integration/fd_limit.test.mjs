// The open-file limit reached (a fault a server meets in production): new connections wait in
// the kernel's backlog instead of failing, the accept loop pauses instead of spinning on EMFILE,
// the clients already connected are served, and the waiting connections are served once
// descriptors are free again.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';

import { eventually, publish, startHerald } from '../support/herald.mjs';
import { connectWs } from '../support/ws.mjs';

/// A plain TCP connection that sends one GET /healthz; `answered` turns true when a 200 came.
function healthProbe(port) {
    const probe = { answered: false, socket: net.connect(port, '127.0.0.1') };
    probe.socket.on('connect', () => probe.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'));
    probe.socket.on('data', (d) => { if (/^HTTP\/1\.1 200/.test(d.toString())) probe.answered = true; });
    probe.socket.on('error', () => {});
    return probe;
}

const pauses = (log) => (log.match(/accept failed: Too many open files; pausing accepts/g) ?? []).length;

test('at the open-file limit new connections wait, the accept loop pauses, the connected are served, and the waiting are served once files free', { timeout: 60000 }, async () => {
    // 128 descriptors: the server's own files and about a hundred connections.
    const herald = await startHerald({ wrapper: ['prlimit', '--nofile=128:128'], args: ['--http-threads', '2'] });
    const probes = [];
    try {
        const channel = 'fd:1';
        const subscriber = await connectWs(herald.url);
        assert.equal((await subscriber.request({ type: 'subscribe', channel })).type, 'subscribed');

        // More connections than the server has descriptors: the kernel completes them all, the
        // server accepts until EMFILE.
        for (let i = 0; i < 200; ++i) probes.push(healthProbe(herald.port));
        await eventually(() => pauses(herald.stderr()) >= 1, 10000, 'the server to hit the limit and pause');
        const limitHit = Date.now();
        await eventually(() => probes.filter((p) => p.answered).length >= 10, 10000, 'the connections it could accept answered');
        const answered = probes.filter((p) => p.answered);
        const waiting = probes.filter((p) => !p.answered);
        assert.ok(waiting.length > 0, `some connections wait: ${answered.length} of ${probes.length} answered`);

        // The connected are served meanwhile: a publish over a kept connection reaches the
        // subscriber. (A new HTTP connection would wait too, so the publish goes on the
        // subscriber's own WebSocket.)
        const ack = await subscriber.request({ type: 'publish', channel, data: 'at the limit' });
        assert.equal(ack.type, 'ack', JSON.stringify(ack));
        await subscriber.next((f) => f.type === 'message' && f.data === 'at the limit', 'the message published at the limit');

        // No busy loop: since it hit the limit each of the two shards retried its accept every
        // 100 ms (and logged each), not thousands of times a second.
        const retries = pauses(herald.stderr());
        const elapsed = Date.now() - limitHit;
        assert.ok(retries <= 2 * (elapsed / 100 + 3), `${retries} paused accept attempts in ${elapsed} ms`);

        // Files freed: the waiting connections are accepted and answered.
        for (const probe of answered) probe.socket.destroy();
        await eventually(() => waiting.filter((p) => p.answered).length >= Math.min(waiting.length, 50), 20000,
                         'the waiting connections to be answered once descriptors are free');
        for (const probe of probes) probe.socket.destroy();
        // And a new client is served as before.
        await eventually(async () => (await publish(herald.url, channel, { data: 'after' }).catch(() => ({ status: 0 }))).status === 201,
                         10000, 'a publish over a new connection');
        subscriber.terminate();
    } finally {
        for (const probe of probes) probe.socket.destroy();
        await herald.stop();
    }
});
