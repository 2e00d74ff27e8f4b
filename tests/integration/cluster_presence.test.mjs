// Presence across a cluster (API.md Cluster, docs/CLUSTER.md Presence): three Herald nodes on
// one Redis. A presence query on any node lists the clients of every node, over every transport;
// a watcher on one node hears the joins and leaves of clients on the others; a node killed with
// -9 leaves no ghosts: within 3 heartbeats its members are gone from every list and each
// watcher hears a leave for each.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { useCluster } from '../support/cluster.mjs';
import { get } from '../support/herald.mjs';
import { SseClient, StreamClient, until } from '../support/streams.mjs';
import { connectWs } from '../support/ws.mjs';

/// The presence list of `channel` as node `base` answers it.
async function presenceOn(base, channel) {
    const res = await get(base, `/v1/channels/${channel}/presence`);
    assert.equal(res.status, 200, res.text);
    return res.json.clients;
}

/// Waits until every node lists exactly `count` clients in `channel`; returns node 0's list.
async function everyNodeLists(urls, channel, count, what) {
    let lists;
    await until(async () => {
        lists = await Promise.all(urls.map((url) => presenceOn(url, channel)));
        return lists.every((list) => list.length === count);
    }, 10000, `${what}; lists ${JSON.stringify(lists)}`);
    return lists[0];
}

describe('presence across three nodes', () => {
    // Fast heartbeats: a killed node's members go within 3 x 200 ms of its last beat.
    const fx = useCluster({ nodes: 3, args: ['--cluster-heartbeat', '200ms'] });

    test('every node lists the clients of every node, over every transport', async () => {
        const channel = 'cp:list';
        const [a, b, c] = fx.cluster.urls;
        const ws = await connectWs(b);
        fx.clients.push(ws);
        assert.equal((await ws.request({ type: 'subscribe', channel })).type, 'subscribed');
        const sse = await SseClient.open(c, `/v1/channels/${channel}/events`);
        fx.clients.push(sse);
        assert.equal(sse.status, 200, sse.raw);
        const ndjson = await StreamClient.open(a, `/v1/channels/${channel}/stream`);
        fx.clients.push(ndjson);
        assert.equal(ndjson.status, 200, ndjson.raw);

        const list = await everyNodeLists(fx.cluster.urls, channel, 3, 'three clients listed on every node');
        assert.deepEqual(list.map((e) => e.transport).sort(), ['sse', 'stream', 'websocket']);
        for (const entry of list) {
            assert.deepEqual(Object.keys(entry).sort(), ['client', 'since', 'transport', 'user']);
            assert.equal(entry.user, null, 'open mode');
        }
        for (let i = 1; i < list.length; ++i) {
            assert.ok(list[i - 1].since <= list[i].since, 'by join time');
        }
        // The same list from every node, and from the WebSocket presence frame on node b.
        for (const url of fx.cluster.urls) assert.deepEqual(await presenceOn(url, channel), list, url);
        const frame = await ws.request({ type: 'presence', channel });
        assert.deepEqual(frame.clients, list.map((e) => ({ client: e.client, user: null })));

        sse.close();
        ndjson.close();
        await everyNodeLists(fx.cluster.urls, channel, 1, 'only the WebSocket left, on every node');
        ws.terminate();
        await everyNodeLists(fx.cluster.urls, channel, 0, 'nobody left');
    });

    test('a watcher on one node hears the joins and leaves of clients on the others', async () => {
        const channel = 'cp:watch';
        const [a, b, c] = fx.cluster.urls;
        const { watcher, watcherId, onB, bId } = await watcherAndOne(fx, a, b, channel);
        const sseOnC = await SseClient.open(c, `/v1/channels/${channel}/events`);
        fx.clients.push(sseOnC);
        const sseId = newcomer(await everyNodeLists(fx.cluster.urls, channel, 3, 'the client on c'), [watcherId, bId]);

        await watcher.next((f) => f.type === 'join' && f.client === bId, 'the join of the WebSocket client on node b');
        await watcher.next((f) => f.type === 'join' && f.client === sseId, 'the join of the SSE client on node c');
        sseOnC.close();
        await watcher.next((f) => f.type === 'leave' && f.client === sseId, 'the leave of the SSE client on node c');
        onB.terminate();
        await watcher.next((f) => f.type === 'leave' && f.client === bId, 'the leave of the WebSocket client on node b');
        const frames = watcher.frames.filter((f) => f.type === 'join' || f.type === 'leave');
        assert.deepEqual(frames.map((f) => [f.type, f.client]),
                         [['join', bId], ['join', sseId], ['leave', sseId], ['leave', bId]], 'each once, nothing else');
        for (const f of frames) assert.deepEqual(Object.keys(f).sort(), ['channel', 'client', 'type', 'user']);
    });
});

/// A watcher of `channel` on node `a` and a plain subscriber on node `b`, both listed by every
/// node: {watcher, watcherId, onB, bId}.
async function watcherAndOne(fx, a, b, channel) {
    const watcher = await connectWs(a);
    fx.clients.push(watcher);
    assert.equal((await watcher.request({ type: 'subscribe', channel, presence: true })).type, 'subscribed');
    const [watcherId] = (await everyNodeLists(fx.cluster.urls, channel, 1, 'the watcher')).map((e) => e.client);
    const onB = await connectWs(b);
    fx.clients.push(onB);
    assert.equal((await onB.request({ type: 'subscribe', channel })).type, 'subscribed');
    const bId = newcomer(await everyNodeLists(fx.cluster.urls, channel, 2, 'the client on b'), [watcherId]);
    return { watcher, watcherId, onB, bId };
}

/// The one client of `list` not in `known`.
function newcomer(list, known) {
    const fresh = list.map((e) => e.client).filter((id) => !known.includes(id));
    assert.equal(fresh.length, 1, `one new client in ${JSON.stringify(list)}`);
    return fresh[0];
}

describe('a node killed with -9, with webhooks', () => {
    const fx = useCluster({
        nodes: 3, args: ['--cluster-heartbeat', '200ms'],
        webhooks: { events: ['presence.left'], channels: ['cp:*'] },
    });

    test('a node killed with -9 leaves no ghosts: its members go from every list and watchers hear each leave', async () => {
        const channel = 'cp:kill';
        const [a, b] = fx.cluster.urls;
        const victim = fx.cluster.nodes[2];
        const { watcher, watcherId, onB, bId } = await watcherAndOne(fx, a, b, channel);
        const doomed = [];
        for (let i = 0; i < 3; ++i) {
            const ws = await connectWs(victim.url);
            fx.clients.push(ws);
            assert.equal((await ws.request({ type: 'subscribe', channel })).type, 'subscribed');
        }
        const list = await everyNodeLists(fx.cluster.urls, channel, 5, 'three clients on the doomed node');
        doomed.push(...list.map((e) => e.client).filter((id) => id !== watcherId && id !== bId));
        assert.equal(doomed.length, 3);
        for (const id of doomed) {
            await watcher.next((f) => f.type === 'join' && f.client === id, `the join of ${id}`);
        }

        await victim.kill();
        // Within 3 heartbeats (600 ms) of its last one a survivor sweeps it; the bound here is
        // the test's, not the server's.
        await everyNodeLists([a, b], channel, 2, 'the killed node\'s members gone from the survivors\' lists');
        for (const id of doomed) {
            await watcher.next((f) => f.type === 'leave' && f.client === id, `the leave of ${id}`);
        }
        const leaves = watcher.frames.filter((f) => f.type === 'leave').map((f) => f.client).sort();
        assert.deepEqual(leaves, [...doomed].sort(), 'one leave each, for the killed node\'s members only');
        assert.deepEqual((await presenceOn(b, channel)).map((e) => e.client).sort(), [watcherId, bId].sort());

        // The node that swept them sent one presence.left webhook for each (their own node,
        // dead, could not); the survivors' clients' joins came from their own nodes.
        const lefts = async () => fx.receiver.deliveries.filter((d) => d.json?.type === 'presence.left');
        await until(async () => (await lefts()).length >= 3, 10000, 'a presence.left per killed member');
        // A marker: a survivor's client leaves too; once its presence.left is in, no more
        // for the killed ones can be in flight from the sweep (it came first).
        onB.terminate();
        await until(async () => (await lefts()).some((d) => d.json.data.client === bId), 10000, 'the marker\'s presence.left');
        const leftFor = (await lefts()).map((d) => d.json.data.client);
        for (const id of doomed) assert.equal(leftFor.filter((x) => x === id).length, 1, `one presence.left for ${id}: ${leftFor}`);
        for (const d of await lefts()) {
            assert.equal(d.verified, true, 'signed');
            assert.equal(d.json.data.channel, channel);
        }
    });

});
