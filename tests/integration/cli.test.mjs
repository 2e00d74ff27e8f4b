// The command line: herald pub, herald sub, and the configuration of herald serve.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { freePort, get, heraldBin, publish, runHerald, startHerald, tempDir } from '../support/herald.mjs';

describe('herald pub and sub', () => {
    let herald;
    before(async () => { herald = await startHerald({ args: ['--history-max-messages', '3'] }); });
    after(() => herald.stop());

    test('pub prints the publish reply', async () => {
        const { code, stdout } = await runHerald(['pub', 'cli:a', '{"text":"hi"}', '--url', herald.url]);
        assert.equal(code, 0);
        const reply = JSON.parse(stdout);
        assert.equal(reply.channel, 'cli:a');
        assert.equal(reply.seq, 1);
        const read = await get(herald.url, '/v1/channels/cli:a/messages');
        assert.deepEqual(read.json.messages[0].data, { text: 'hi' });
    });

    test('pub --id twice stores once; --event is kept', async () => {
        const args = ['pub', 'cli:id', '1', '--id', 'k1', '--event', 'ev', '--url', herald.url];
        assert.equal((await runHerald(args)).code, 0);
        const second = await runHerald(args);
        assert.equal(second.code, 0);
        assert.equal(JSON.parse(second.stdout).seq, 1);
        const read = await get(herald.url, '/v1/channels/cli:id/messages');
        assert.equal(read.json.messages.length, 1);
        assert.equal(read.json.messages[0].event, 'ev');
    });

    test('pub refuses data that is not JSON with exit code 2', async () => {
        const { code, stderr } = await runHerald(['pub', 'cli:a', 'not json', '--url', herald.url]);
        assert.equal(code, 2);
        assert.match(stderr, /not valid JSON/);
    });

    test('pub reports an HTTP error with a non-zero exit code', async () => {
        const { code, stderr } = await runHerald(['pub', 'bad channel', '1', '--url', herald.url]);
        assert.equal(code, 1);
        assert.match(stderr, /400/);
    });

    for (const transport of ['longpoll', 'poll', 'sse', 'stream', 'ws']) {
        test(`sub --transport ${transport} prints full message JSON, one per line`, async () => {
            const channel = `cli:sub-${transport}`;
            for (let i = 1; i <= 3; ++i) await publish(herald.url, channel, { data: i });
            const { code, stdout } = await runHerald(['sub', channel, '--transport', transport, '--after', '0',
                                                      '--count', '3', '--interval', '0.1', '--url', herald.url]);
            assert.equal(code, 0);
            const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
            assert.deepEqual(lines.map((m) => m.seq), [1, 2, 3]);
            assert.deepEqual(Object.keys(lines[0]).sort(), ['channel', 'data', 'event', 'id', 'seq', 'time']);
        });
    }

    for (const transport of ['longpoll', 'sse', 'stream', 'ws']) {
        test(`sub --transport ${transport} prints a gap object when history was trimmed`, async () => {
            const channel = `cli:gap-${transport}`;
            for (let i = 1; i <= 6; ++i) await publish(herald.url, channel, { data: i });
            const { code, stdout } = await runHerald(['sub', channel, '--transport', transport, '--after', '0',
                                                      '--count', '3', '--url', herald.url]);
            assert.equal(code, 0);
            const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
            assert.deepEqual(lines[0], { type: 'gap', channel, after: 0, first_seq: 4 });
            assert.deepEqual(lines.slice(1).map((m) => m.seq), [4, 5, 6]);
        });
    }

    test('sub --transport sse rejects a bad channel with exit code 1', async () => {
        const { code, stderr } = await runHerald(['sub', 'bad channel', '--transport', 'sse', '--url', herald.url]);
        assert.equal(code, 1);
        assert.match(stderr, /400/);
    });

    test('sub --transport ws prints the same lines as sse, byte for byte', async () => {
        const channel = 'cli:same';
        await publish(herald.url, channel, { data: { text: 'hé "quoted"', n: [1, 2.5, null] }, event: 'ev' });
        await publish(herald.url, channel, { data: 'two', id: 'my-id' });
        const args = ['sub', channel, '--after', '0', '--count', '2', '--url', herald.url];
        const sse = await runHerald([...args, '--transport', 'sse']);
        const ws = await runHerald([...args, '--transport', 'ws']);
        assert.equal(ws.code, 0, ws.stderr);
        assert.equal(ws.stdout, sse.stdout);
    });

    test('sub --transport ws reports an error frame (bad channel) with exit code 1', async () => {
        const { code, stderr } = await runHerald(['sub', 'bad channel', '--transport', 'ws', '--after', '0',
                                                  '--url', herald.url]);
        assert.equal(code, 1);
        assert.match(stderr, /bad_request/);
    });

    test('pub --ws publishes over a WebSocket and prints the ack', async () => {
        const { code, stdout, stderr } = await runHerald(['pub', 'cli:ws', '{"text":"over ws"}', '--ws',
                                                          '--url', herald.url]);
        assert.equal(code, 0, stderr);
        const ack = JSON.parse(stdout);
        assert.equal(ack.type, 'ack');
        assert.equal(ack.channel, 'cli:ws');
        assert.equal(ack.seq, 1);
        assert.equal(typeof ack.id, 'string');
        const read = await get(herald.url, '/v1/channels/cli:ws/messages');
        assert.deepEqual(read.json.messages[0].data, { text: 'over ws' });
    });

    test('pub --ws --id twice stores once; --event is kept', async () => {
        const args = ['pub', 'cli:ws-id', '1', '--ws', '--id', 'k1', '--event', 'ev', '--url', herald.url];
        assert.equal((await runHerald(args)).code, 0);
        const second = await runHerald(args);
        assert.equal(second.code, 0, second.stderr);
        assert.equal(JSON.parse(second.stdout).seq, 1);
        assert.equal(JSON.parse(second.stdout).id, 'k1');
        const read = await get(herald.url, '/v1/channels/cli:ws-id/messages');
        assert.equal(read.json.messages.length, 1);
        assert.equal(read.json.messages[0].event, 'ev');
    });

    test('pub --ws prints an error frame and exits 1', async () => {
        const { code, stdout, stderr } = await runHerald(['pub', 'bad channel', '1', '--ws', '--url', herald.url]);
        assert.equal(code, 1);
        assert.equal(stdout, '');
        assert.match(stderr, /error frame.*bad_request/);
    });

    test('pub --ws to a server that is not there exits 1', async () => {
        const port = await freePort();
        const { code, stderr } = await runHerald(['pub', 'cli:ws', '1', '--ws', '--url', `http://127.0.0.1:${port}`]);
        assert.equal(code, 1);
        assert.match(stderr, /cannot connect/);
    });

    test('sub without --after prints only what is published after it starts', async () => {
        await publish(herald.url, 'cli:live', { data: 'old' });
        const child = spawn(heraldBin, ['sub', 'cli:live', '--count', '1', '--url', herald.url]);
        let stdout = '';
        child.stdout.on('data', (d) => { stdout += d; });
        const exited = new Promise((resolve) => child.on('exit', resolve));
        // Wait until the sub holds its long poll, then publish.
        const deadline = Date.now() + 10000;
        while ((await get(herald.url, '/v1/channels/cli:live')).json.subscribers === 0) {
            assert.ok(Date.now() < deadline, 'sub started polling');
            await new Promise((r) => setTimeout(r, 25));
        }
        await publish(herald.url, 'cli:live', { data: 'new' });
        assert.equal(await exited, 0);
        const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
        assert.deepEqual(lines.map((m) => m.data), ['new']);
    });
});

describe('herald sub across a server restart', () => {
    for (const transport of ['sse', 'ws']) {
        test(`sub --transport ${transport} reconnects after kill -9 and prints every message once`, async () => {
            const port = await freePort();
            const dataDir = tempDir();
            let server = await startHerald({ listen: `127.0.0.1:${port}`, dataDir });
            const child = spawn(heraldBin, ['sub', 'cli:restart', '--transport', transport, '--after', '0',
                                            '--count', '6', '--url', server.url]);
            let stdout = '';
            child.stdout.on('data', (d) => { stdout += d; });
            const exited = new Promise((resolve) => child.on('exit', resolve));
            try {
                for (let i = 1; i <= 3; ++i) await publish(server.url, 'cli:restart', { data: i });
                const deadline = Date.now() + 10000;
                while (stdout.trim().split('\n').filter(Boolean).length < 3) {
                    assert.ok(Date.now() < deadline, `sub printed the first three: ${stdout}`);
                    await new Promise((r) => setTimeout(r, 25));
                }
                await server.kill();
                server = await startHerald({ listen: `127.0.0.1:${port}`, dataDir });
                for (let i = 4; i <= 6; ++i) await publish(server.url, 'cli:restart', { data: i });
                assert.equal(await exited, 0);
                const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
                assert.deepEqual(lines.map((m) => m.seq), [1, 2, 3, 4, 5, 6]);
            } finally {
                if (child.exitCode === null) child.kill('SIGKILL');
                await server.stop();
                fs.rmSync(dataDir, { recursive: true, force: true });
            }
        });
    }
});

describe('herald serve configuration', () => {
    test('flags win over HERALD_* variables, which win over the file', async () => {
        const dir = tempDir();
        try {
            const [filePort, envPort, flagPort] = await Promise.all([freePort(), freePort(), freePort()]);
            const config = path.join(dir, 'herald.toml');
            fs.writeFileSync(config, `[http]\nlisten = "127.0.0.1:${filePort}"\n\n[history]\nmax_messages = 2\n`);
            const check = async (env, listen, port) => {
                const herald = await startHerald({ args: ['--config', config], env, listen });
                try {
                    assert.equal(herald.port, port);
                    for (let i = 0; i < 3; ++i) await publish(herald.url, 'cfg', { data: i });
                    const read = await get(herald.url, '/v1/channels/cfg/messages');
                    return read.json.messages.length;
                } finally {
                    await herald.stop();
                }
            };
            assert.equal(await check({}, null, filePort), 2, 'the file sets listen and history');
            assert.equal(await check({ HERALD_HTTP_LISTEN: `127.0.0.1:${envPort}` }, null, envPort), 2);
            assert.equal(await check({ HERALD_HTTP_LISTEN: `127.0.0.1:${envPort}`, HERALD_HISTORY_MAX_MESSAGES: '3' },
                                     `127.0.0.1:${flagPort}`, flagPort), 3, 'env over file, flag over env');
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    const refused = [
        ['a bad value', ['--history-max-messages', 'abc'], {}, /history\.max_messages/],
        ['an unknown flag', ['--no-such-option', '1'], {}, /no-such-option/],
        ['a bad variable', [], { HERALD_STORAGE_BACKEND: 'mysql' }, /HERALD_STORAGE_BACKEND/],
        ['a bad duration', ['--history-max-age', 'soon'], {}, /duration/],
        ['a bad listen address', ['--listen', 'nowhere'], {}, /HOST:PORT/],
        ['a missing config file', ['--config', '/nonexistent/herald.toml'], {}, /cannot read config/],
    ];
    for (const [what, args, env, message] of refused) {
        test(`${what}: one line on stderr and exit code 2`, async () => {
            const { code, stderr } = await runHerald(['serve', '--listen', '127.0.0.1:0', ...args], { env });
            assert.equal(code, 2);
            assert.match(stderr, message);
            assert.equal(stderr.trim().split('\n').length, 1, stderr);
        });
    }

    for (const [what, content, message] of [
        ['malformed TOML', '[http\nlisten = ', /cannot read config/],
        ['an unknown key', '[http]\nlisten = "127.0.0.1:0"\nspeed = 11\n', /unknown option http\.speed/],
        ['a value of the wrong type', '[history]\nmax_messages = "many"\n', /history\.max_messages/],
    ]) {
        test(`a config file with ${what}: exit code 2`, async () => {
            const dir = tempDir();
            try {
                const file = path.join(dir, 'herald.toml');
                fs.writeFileSync(file, content);
                const { code, stderr } = await runHerald(['serve', '--config', file]);
                assert.equal(code, 2);
                assert.match(stderr, message);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    }

    test('serve --help documents every option', async () => {
        const { code, stdout } = await runHerald(['serve', '--help']);
        assert.equal(code, 0);
        for (const flag of ['--listen', '--data', '--storage', '--history-max-messages', '--history-max-age',
                            '--limits-max-message-bytes', '--limits-long-poll-max-wait', '--http-threads',
                            'HERALD_HISTORY_MAX_MESSAGES', '--config', '--limits-max-connections-per-ip',
                            '--limits-max-header-count', '--limits-max-long-poll-waiters', '--http-admin-remote']) {
            assert.ok(stdout.includes(flag), flag);
        }
    });
});
