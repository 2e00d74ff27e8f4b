// Durability: every acknowledged message survives kill -9, and seqs continue after restart.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import fs from 'node:fs';

import { get, publish, startHerald, tempDir } from '../support/herald.mjs';

async function readAll(url, channel) {
    const messages = [];
    let after = 0;
    for (;;) {
        const res = await get(url, `/v1/channels/${channel}/messages?after=${after}&limit=1000`);
        assert.equal(res.status, 200);
        if (res.json.messages.length === 0) return messages;
        messages.push(...res.json.messages);
        after = res.json.messages.at(-1).seq;
    }
}

test('kill -9 during a publish burst loses no acknowledged message', async () => {
    const dataDir = tempDir();
    const args = ['--history-max-messages', '1000000'];
    try {
        const herald = await startHerald({ dataDir, args });
        const acked = new Map();  // id -> {seq, channel}
        let stop = false;
        const channels = ['dur:a', 'dur:b', 'dur:c'];
        const publishers = Array.from({ length: 16 }, async (_, p) => {
            for (let i = 0; !stop && i < 100000; ++i) {
                const channel = channels[(p + i) % channels.length];
                try {
                    const res = await publish(herald.url, channel, { data: { p, i } });
                    if (res.status === 201) acked.set(res.json.id, { seq: res.json.seq, channel });
                } catch {
                    return;  // the server died under us: what was not acknowledged may be lost
                }
            }
        });
        // Kill mid-burst once enough is acknowledged (bounded: a loaded machine is slow).
        const deadline = Date.now() + 20000;
        while (acked.size < 300 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        await herald.kill();
        stop = true;
        await Promise.all(publishers);
        assert.ok(acked.size > 100, `only ${acked.size} publishes acknowledged`);

        const again = await startHerald({ dataDir, args });
        try {
            let highest = new Map();
            for (const channel of channels) {
                const messages = await readAll(again.url, channel);
                messages.forEach((m, index) => assert.equal(m.seq, index + 1, 'seqs are contiguous from 1'));
                const byId = new Map(messages.map((m) => [m.id, m.seq]));
                for (const [id, { seq, channel: c }] of acked) {
                    if (c !== channel) continue;
                    assert.equal(byId.get(id), seq, `acknowledged ${id} kept its seq ${seq}`);
                }
                highest.set(channel, messages.length);
                const info = await get(again.url, `/v1/channels/${channel}`);
                assert.equal(info.json.last_seq, messages.length);
            }
            for (const channel of channels) {
                const next = await publish(again.url, channel, { data: 'after restart' });
                assert.equal(next.status, 201);
                assert.equal(next.json.seq, highest.get(channel) + 1);
            }
        } finally {
            await again.stop();
        }
    } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
    }
});

test('a graceful restart keeps history, idempotency keys and seqs', async () => {
    const dataDir = tempDir();
    try {
        const first = await startHerald({ dataDir });
        for (let i = 1; i <= 5; ++i) await publish(first.url, 'restart', { data: i });
        const keyed = await publish(first.url, 'restart', { data: 6, id: 'keep-me' });
        assert.equal((await first.stop()).code, 0);

        const second = await startHerald({ dataDir });
        try {
            const read = await get(second.url, '/v1/channels/restart/messages');
            assert.deepEqual(read.json.messages.map((m) => m.data), [1, 2, 3, 4, 5, 6]);
            const retry = await publish(second.url, 'restart', { data: 'again', id: 'keep-me' });
            assert.equal(retry.status, 200);
            assert.equal(retry.json.seq, keyed.json.seq);
            assert.equal((await publish(second.url, 'restart', { data: 7 })).json.seq, 7);
        } finally {
            await second.stop();
        }
    } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
    }
});

test('seqs are never reused, even when retention trimmed everything', async () => {
    const dataDir = tempDir();
    try {
        const args = ['--history-max-age', '1s'];
        const first = await startHerald({ dataDir, args });
        for (let i = 1; i <= 3; ++i) await publish(first.url, 'trimmed', { data: i });
        const deadline = Date.now() + 10000;
        while ((await get(first.url, '/v1/channels/trimmed/messages')).json.messages.length > 0) {
            assert.ok(Date.now() < deadline, 'history was trimmed');
            await new Promise((r) => setTimeout(r, 200));
        }
        await first.stop();
        const second = await startHerald({ dataDir, args });
        try {
            assert.equal((await publish(second.url, 'trimmed', { data: 4 })).json.seq, 4);
        } finally {
            await second.stop();
        }
    } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
    }
});
