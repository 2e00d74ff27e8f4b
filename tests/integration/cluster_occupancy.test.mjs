// Subscriber counts and occupancy across a cluster (API.md Cluster): three Herald nodes on one
// Redis. Channel info and the channel list count the subscribers of every node; channel.occupied
// is sent once when the first subscriber anywhere arrives, channel.vacated once when the last one
// anywhere has gone and none came back for cluster.vacated_delay; a subscriber moving between
// nodes within the delay sends neither; a node killed with -9 leaves no counts behind.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { closeAll, useCluster } from '../support/cluster.mjs';
import { get, publish } from '../support/herald.mjs';
import { SseClient, until } from '../support/streams.mjs';
import { connectWs } from '../support/ws.mjs';

/// Waits until channel info on every node counts `count` subscribers.
async function everyNodeCounts(urls, channel, count, what) {
    let seen;
    await until(async () => {
        seen = await Promise.all(urls.map(async (url) => (await get(url, `/v1/channels/${channel}`)).json?.subscribers));
        return seen.every((n) => n === count);
    }, 10000, `${what}; counts ${JSON.stringify(seen)}`);
}

describe('subscriber counts and occupancy across three nodes', () => {
    const fx = useCluster({
        nodes: 3, args: ['--cluster-heartbeat', '200ms', '--cluster-vacated-delay', '1s'],
        webhooks: { events: ['channel.occupied', 'channel.vacated'], channels: ['co:*'] },
    });

    /// The occupancy webhooks received for `channel`, in order: ['occupied', 'vacated', ...].
    const events = (channel) => fx.receiver.deliveries
        .filter((d) => d.json?.data?.channel === channel)
        .map((d) => d.json.type.replace('channel.', ''));

    test('channel info and the channel list count the subscribers of every node', async () => {
        const channel = 'co:count';
        const [a, b, c] = fx.cluster.urls;
        assert.equal((await publish(a, channel, { data: 1 })).status, 201);  // listed from now on
        for (const url of [b, b, c]) {
            const ws = await connectWs(url);
            fx.clients.push(ws);
            assert.equal((await ws.request({ type: 'subscribe', channel })).type, 'subscribed');
        }
        const sse = await SseClient.open(c, `/v1/channels/${channel}/events`);
        fx.clients.push(sse);
        await everyNodeCounts(fx.cluster.urls, channel, 4, 'three WebSockets and an SSE stream');
        const listed = await get(a, '/v1/channels?prefix=co:count');
        assert.equal(listed.status, 200, listed.text);
        assert.deepEqual(listed.json.channels.find((x) => x.channel === channel)?.subscribers, 4, listed.text);
        sse.close();
        await everyNodeCounts(fx.cluster.urls, channel, 3, 'the SSE stream gone');
        closeAll(fx.clients);
        await everyNodeCounts(fx.cluster.urls, channel, 0, 'everyone gone');
    });

    test('occupied once for the first subscriber anywhere; moving between nodes within the delay sends no vacated; the last leaving sends one', async () => {
        const channel = 'co:move';
        const [a, b] = fx.cluster.urls;
        const first = await connectWs(a);
        fx.clients.push(first);
        assert.equal((await first.request({ type: 'subscribe', channel })).type, 'subscribed');
        await until(() => events(channel).length === 1, 10000, 'channel.occupied');
        // A second subscriber on another node: the channel was occupied already.
        const second = await connectWs(b);
        fx.clients.push(second);
        assert.equal((await second.request({ type: 'subscribe', channel })).type, 'subscribed');
        await everyNodeCounts(fx.cluster.urls, channel, 2, 'two subscribers');
        // Both leave, and one comes back on the other node well within the 1 s delay.
        first.terminate();
        second.terminate();
        const back = await connectWs(b);
        fx.clients.push(back);
        assert.equal((await back.request({ type: 'subscribe', channel })).type, 'subscribed');
        await everyNodeCounts(fx.cluster.urls, channel, 1, 'the one that came back');
        // The last one leaves: vacated once, after the delay.
        const left = Date.now();
        back.terminate();
        await until(() => events(channel).length === 2, 10000, 'channel.vacated');
        assert.ok(Date.now() - left >= 900, `vacated after the delay, not ${Date.now() - left} ms`);
        // A marker: another channel's occupied event arrives after anything still in flight.
        const marker = await connectWs(a);
        fx.clients.push(marker);
        assert.equal((await marker.request({ type: 'subscribe', channel: 'co:marker' })).type, 'subscribed');
        await until(() => events('co:marker').length === 1, 10000, 'the marker\'s channel.occupied');
        assert.deepEqual(events(channel), ['occupied', 'vacated'], 'once each, for all three nodes');
        for (const d of fx.receiver.deliveries) assert.equal(d.verified, true, 'signed');
    });

    // Last: it kills a node of the suite.
    test('a node killed with -9 leaves no counts behind; the channel it emptied is vacated', async () => {
        const channel = 'co:kill';
        const [a] = fx.cluster.urls;
        const victim = fx.cluster.nodes[2];
        for (let i = 0; i < 2; ++i) {
            const ws = await connectWs(victim.url);
            fx.clients.push(ws);
            assert.equal((await ws.request({ type: 'subscribe', channel })).type, 'subscribed');
        }
        await everyNodeCounts(fx.cluster.urls, channel, 2, 'two subscribers on the doomed node');
        await until(() => events(channel).length === 1, 10000, 'channel.occupied');
        await victim.kill();
        await everyNodeCounts(fx.cluster.urls.slice(0, 2), channel, 0, 'its subscribers no longer counted');
        await until(() => events(channel).length === 2, 10000, 'channel.vacated, sent by a survivor');
        assert.deepEqual(events(channel), ['occupied', 'vacated']);
        const info = await get(a, `/v1/channels/${channel}`);
        assert.equal(info.json.subscribers, 0);
    });
});
