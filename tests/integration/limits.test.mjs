// Limits of API.md Flow control that a test can hit: publishes per connection (a token bucket).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';

import WebSocket from 'ws';

import { eventually, metric, startHerald } from '../support/herald.mjs';

/// POSTs on one keep-alive connection of `agent`: {status, headers, body}.
function post(agent, base, channel, body) {
    return new Promise((resolve, reject) => {
        const request = http.request(`${base}/v1/channels/${channel}/messages`, {
            method: 'POST', agent, headers: { 'Content-Type': 'application/json' },
        }, (res) => {
            let text = '';
            res.on('data', (d) => { text += d; });
            res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, json: JSON.parse(text) }));
        });
        request.on('error', reject);
        request.end(JSON.stringify(body));
    });
}

describe('limits.publish_rate', () => {
    let herald;
    before(async () => { herald = await startHerald({ args: ['--limits-publish-rate', '2'] }); });
    after(async () => { await herald.stop(); });

    test('HTTP: past the rate on one connection, 429 with Retry-After; other connections go on', async () => {
        const one = new http.Agent({ keepAlive: true, maxSockets: 1 });
        const other = new http.Agent({ keepAlive: true, maxSockets: 1 });
        try {
            const before = (await metric(herald.url, 'herald_publishes_rate_limited_total')) ?? 0;
            assert.equal((await post(one, herald.url, 'rate', { data: 1 })).status, 201);
            assert.equal((await post(one, herald.url, 'rate', { data: 2 })).status, 201);
            const refused = await post(one, herald.url, 'rate', { data: 3 });
            assert.equal(refused.status, 429);
            assert.equal(refused.json.error.code, 'rate_limited');
            assert.ok(Number(refused.headers['retry-after']) >= 1, JSON.stringify(refused.headers));
            assert.equal((await post(other, herald.url, 'rate', { data: 4 })).status, 201, 'another connection');
            // The bucket refills (a token every 500 ms): publish again until one gets through;
            // until then each is refused with 429 (a refusal takes no token).
            let refusedAgain = 0;
            await eventually(async () => {
                const again = await post(one, herald.url, 'rate', { data: 5 });
                if (again.status === 201) return true;
                assert.equal(again.status, 429, 'refused while the bucket is empty');
                refusedAgain += 1;
                return false;
            }, 10000, 'the bucket to refill');
            assert.equal(await metric(herald.url, 'herald_publishes_rate_limited_total'), before + 1 + refusedAgain);
        } finally {
            one.destroy();
            other.destroy();
        }
    });

    test('WebSocket: past the rate, a rate_limited error frame and the connection lives on', async () => {
        const ws = new WebSocket(`${herald.url.replace(/^http/, 'ws')}/v1/ws`);
        const frames = [];
        ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
        await new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
        try {
            for (let ref = 1; ref <= 3; ++ref) ws.send(JSON.stringify({ type: 'publish', channel: 'rate:ws', data: ref, ref }));
            // The pong comes after the replies to the three publishes.
            ws.send(JSON.stringify({ type: 'ping', ref: 9 }));
            await eventually(() => frames.some((f) => f.ref === 9), 5000, 'the pong');
            const byRef = (ref) => frames.find((f) => f.ref === ref);
            assert.equal(byRef(1).type, 'ack');
            assert.equal(byRef(2).type, 'ack');
            assert.equal(byRef(3).type, 'error');
            assert.equal(byRef(3).code, 'rate_limited');
            assert.equal(byRef(9).type, 'pong');
        } finally {
            ws.close();
        }
    });
});
