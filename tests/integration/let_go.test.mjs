// A subscriber that stops reading is let go on every transport: once it is a slow consumer (or
// its write stalls), the server closes its side of the TCP connection within the configured
// deadlines, instead of holding the socket and its queue for as long as the peer stays connected.
// A healthy subscriber of the same channel gets everything meanwhile.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';

import { eventually, publish, startHerald } from '../support/herald.mjs';
import { metricValue, rawSocket } from '../support/streams.mjs';
import { connectWs, rawWs } from '../support/ws.mjs';

const TCP_ESTABLISHED = '01';

/// The states of the server's side of the TCP connection between `serverPort` and the client's
/// `clientPort`, as the kernel lists them (/proc/net/tcp, tcp6): [] once it is gone.
function serverSideStates(serverPort, clientPort) {
    const hex = (port) => port.toString(16).toUpperCase().padStart(4, '0');
    const states = [];
    for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
        if (!fs.existsSync(file)) continue;
        for (const line of fs.readFileSync(file, 'utf8').split('\n').slice(1)) {
            const fields = line.trim().split(/\s+/);
            if (fields.length < 4) continue;
            const local = fields[1].split(':')[1];
            const remote = fields[2].split(':')[1];
            if (local === hex(serverPort) && remote === hex(clientPort)) states.push(fields[3]);
        }
    }
    return states;
}

const payload = 'x'.repeat(60 * 1024);  // under the 64 KiB publish limit with its envelope

/// Publishes 60 KiB messages to `channel` until `done()` (at most 600: 36 MiB); returns how many.
async function publishUntil(base, channel, done) {
    let published = 0;
    while (published < 600) {
        const res = await publish(base, channel, { data: { n: published + 1, payload } });
        assert.equal(res.status, 201, res.text);
        published += 1;
        if (published % 10 === 0 && await done()) return published;
    }
    throw new Error(`still connected after ${published} messages of 60 KiB`);
}

describe('a subscriber that stops reading is let go', () => {
    let herald;
    before(async () => {
        // The default send queue (1 MiB: a healthy reader keeps up with it), and a closing
        // deadline of half a second: the ticks that check it come four times per shortest interval.
        herald = await startHerald({ args: ['--websocket-close-timeout', '500ms', '--sse-keepalive', '2s'] });
    });
    after(() => herald.stop());

    const slowCloses = async () => (await metricValue(herald.url, 'herald_slow_consumer_closes_total')) ?? 0;

    /// With a healthy WebSocket subscriber of `channel`: publishes until the slow subscriber on
    /// `clientPort` is closed as a slow consumer and the server's side of its connection has left
    /// ESTABLISHED, runs `gone()`, then checks that the healthy one got every message in order.
    async function letGoWhileHealthyGetsAll(channel, clientPort, gone) {
        const healthy = await connectWs(herald.url);
        try {
            assert.equal((await healthy.request({ type: 'subscribe', channel })).type, 'subscribed');
            const before = await slowCloses();
            const published = await publishUntil(herald.url, channel, async () =>
                (await slowCloses()) > before && !serverSideStates(herald.port, clientPort).includes(TCP_ESTABLISHED));
            await gone();
            await eventually(() => healthy.seqs(channel).length >= published, 60000, 'the healthy client to catch up');
            assert.deepEqual(healthy.seqs(channel), Array.from({ length: published }, (_, i) => i + 1));
            assert.equal((await healthy.request({ type: 'ping' })).type, 'pong');
        } finally {
            healthy.close();
        }
    }

    test('WebSocket: the 1013 close frame cannot be written, so the socket is closed', { timeout: 120000 }, async () => {
        const channel = 'letgo:ws';
        const slow = await rawWs(herald.port);
        slow.sendJson({ type: 'subscribe', channel, ref: 1 });
        await slow.waitFrame((f) => f.opcode === 0x1, 5000, 'subscribed');
        slow.socket.pause();  // and never reads again
        const clientPort = slow.socket.localPort;
        assert.deepEqual(serverSideStates(herald.port, clientPort), [TCP_ESTABLISHED]);
        try {
            await letGoWhileHealthyGetsAll(channel, clientPort, () =>
                eventually(async () => (await metricValue(herald.url, 'herald_connections', '{transport="ws"}')) === 1,
                           10000, 'the slow connection to be gone from the server'));
        } finally {
            slow.socket.destroy();
        }
    });

    for (const [transport, resource, label] of [['sse', 'events', 'SSE'], ['stream', 'stream', 'NDJSON']]) {
        test(`${label}: the response is ended and the socket closed`, { timeout: 120000 }, async () => {
            const channel = `letgo:${transport}`;
            const slow = rawSocket(herald.port, `GET /v1/channels/${channel}/${resource} HTTP/1.1\r\nHost: x\r\n\r\n`);
            await eventually(() => slow.data().includes('200 OK'), 5000, 'the response head');
            slow.socket.pause();  // and never reads again
            const clientPort = slow.socket.localPort;
            const connections = `{transport="${transport}"}`;
            assert.equal(await metricValue(herald.url, 'herald_connections', connections), 1);
            try {
                await letGoWhileHealthyGetsAll(channel, clientPort, async () =>
                    assert.equal(await metricValue(herald.url, 'herald_connections', connections), 0));
            } finally {
                slow.socket.destroy();
            }
        });
    }
});
