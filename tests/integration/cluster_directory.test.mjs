// GET /v1/cluster (API.md Cluster): the nodes serving now. A server on SQLite or memory is a
// cluster of one: itself. The admin API's rules hold: no page of another origin, open mode
// answers this host only.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { get, startHerald } from '../support/herald.mjs';
import { connectWs } from '../support/ws.mjs';

describe('GET /v1/cluster on one node', () => {
    let server;
    before(async () => {
        server = await startHerald({ args: ['--cluster-node-id', 'solo'] });
    });
    after(async () => {
        await server?.stop();
    });

    test('lists this node: its id, address, connections and a fresh heartbeat', async () => {
        const ws = await connectWs(server.url);  // one connection besides the request's own
        try {
            const before = Date.now();
            const res = await get(server.url, '/v1/cluster');
            assert.equal(res.status, 200, res.text);
            const { nodes } = JSON.parse(res.text);
            assert.equal(nodes.length, 1, res.text);
            assert.equal(nodes[0].node, 'solo');
            assert.equal(nodes[0].address, `127.0.0.1:${server.port}`);
            assert.ok(nodes[0].connections >= 2, res.text);
            assert.ok(nodes[0].heartbeat >= before - 1000 && nodes[0].heartbeat <= Date.now() + 1000,
                      res.text);
        } finally {
            ws.close();
        }
    });

    test('is the admin API: no CORS, and no page of another origin', async () => {
        const res = await get(server.url, '/v1/cluster', { headers: { Origin: 'http://elsewhere.example' } });
        assert.equal(res.status, 403, res.text);
        assert.equal(JSON.parse(res.text).error.code, 'forbidden');
        assert.equal(res.headers.get('access-control-allow-origin'), null);
    });

    test('other methods get 405 with Allow: GET', async () => {
        const res = await get(server.url, '/v1/cluster', { method: 'POST' });
        assert.equal(res.status, 405, res.text);
        assert.equal(res.headers.get('allow'), 'GET');
    });
});
