// herald pub and sub over https (and wss): a self-signed certificate made here with the
// openssl CLI, trusted through --cacert or HERALD_CACERT, refused without it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { heraldBin, runHerald, startHerald, tempDir } from '../support/herald.mjs';
import { httpsRequest, makeCertificate } from '../support/tls.mjs';

/// Runs `herald ARGS` in the background: {stdout(), exited}.
function spawnHerald(args, env = {}) {
    const child = spawn(heraldBin, args, { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

describe('herald pub and sub over https', () => {
    let dir;
    let tls;
    let herald;
    let ca;
    const publish = (channel, body) => httpsRequest(`${herald.url}/v1/channels/${channel}/messages`,
        { method: 'POST', headers: { 'Content-Type': 'application/json' }, body, ca });

    before(async () => {
        dir = tempDir('herald-cli-tls-');
        tls = makeCertificate(dir);
        ca = fs.readFileSync(tls.cert);
        herald = await startHerald({ args: ['--tls-cert', tls.cert, '--tls-key', tls.key] });
    });
    after(async () => {
        await herald.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    test('the server says https, and startHerald hands back the https URL', () => {
        assert.match(herald.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    });

    test('pub --cacert publishes over https and prints the reply', async () => {
        const { code, stdout, stderr } = await runHerald(['pub', 'tls:pub', '{"text":"secret"}', '--url', herald.url,
                                                          '--cacert', tls.cert]);
        assert.equal(code, 0, stderr);
        assert.equal(JSON.parse(stdout).seq, 1);
        const read = await httpsRequest(`${herald.url}/v1/channels/tls:pub/messages`, { ca });
        assert.deepEqual(read.json.messages[0].data, { text: 'secret' });
    });

    test('pub --ws --cacert publishes over wss and prints the ack', async () => {
        const { code, stdout, stderr } = await runHerald(['pub', 'tls:ws', '1', '--ws', '--url', herald.url,
                                                          '--cacert', tls.cert]);
        assert.equal(code, 0, stderr);
        const ack = JSON.parse(stdout);
        assert.equal(ack.type, 'ack');
        assert.equal(ack.seq, 1);
    });

    test('the host name localhost matches the certificate too', async () => {
        const url = `https://localhost:${herald.port}`;
        const { code, stderr } = await runHerald(['pub', 'tls:name', '1', '--url', url, '--cacert', tls.cert]);
        assert.equal(code, 0, stderr);
    });

    for (const transport of ['ws', 'sse', 'stream', 'longpoll', 'poll']) {
        test(`sub --transport ${transport} over https prints messages published meanwhile, in order`, async () => {
            const channel = `tls:sub-${transport}`;
            const sub = spawnHerald(['sub', channel, '--transport', transport, '--after', '0', '--count', '3',
                                     '--interval', '0.1', '--url', herald.url, '--cacert', tls.cert]);
            try {
                for (let i = 1; i <= 3; ++i) {
                    assert.equal((await publish(channel, { data: { n: i } })).status, 201);
                    // Spread over the sub's polls (it reads from seq 0, so no timing can lose one).
                    await new Promise((r) => setTimeout(r, 50));
                }
                assert.equal(await sub.exited, 0, sub.stderr());
                const lines = sub.stdout().trim().split('\n').map((l) => JSON.parse(l));
                assert.deepEqual(lines.map((m) => m.seq), [1, 2, 3]);
                assert.deepEqual(lines.map((m) => m.data.n), [1, 2, 3]);
            } finally {
                if (sub.child.exitCode === null) sub.child.kill('SIGKILL');
            }
        });
    }

    test('HERALD_CACERT and HERALD_URL stand for --cacert and --url', async () => {
        const env = { HERALD_CACERT: tls.cert, HERALD_URL: herald.url };
        const pub = await runHerald(['pub', 'tls:env', '"by env"'], { env });
        assert.equal(pub.code, 0, pub.stderr);
        const sub = await runHerald(['sub', 'tls:env', '--transport', 'sse', '--after', '0', '--count', '1'], { env });
        assert.equal(sub.code, 0, sub.stderr);
        assert.equal(JSON.parse(sub.stdout).data, 'by env');
    });

    test('without --cacert pub refuses the self-signed server in one line', async () => {
        const { code, stdout, stderr } = await runHerald(['pub', 'tls:refused', '1', '--url', herald.url]);
        assert.equal(code, 1);
        assert.equal(stdout, '');
        assert.match(stderr, /certificate verification failed.*self[- ]signed/);
        assert.match(stderr, /--cacert/);
        assert.equal(stderr.trim().split('\n').length, 1, stderr);
    });

    for (const transport of ['ws', 'sse', 'longpoll']) {
        test(`without --cacert sub --transport ${transport} exits at once instead of retrying`, async () => {
            const { code, stderr } = await runHerald(['sub', 'tls:refused', '--transport', transport, '--after', '0',
                                                      '--url', herald.url], { timeoutMs: 5000 });
            assert.equal(code, 1);
            assert.match(stderr, /certificate verification failed/);
            assert.doesNotMatch(stderr, /retrying/);
        });
    }

    test('a certificate for another name is refused even when its CA is trusted', async () => {
        const other = makeCertificate(dir, { name: 'other', cn: 'other.test', names: 'DNS:other.test' });
        const server = await startHerald({ args: ['--tls-cert', other.cert, '--tls-key', other.key] });
        try {
            const { code, stderr } = await runHerald(['pub', 'tls:name', '1', '--url', server.url,
                                                      '--cacert', other.cert]);
            assert.equal(code, 1);
            assert.match(stderr, /certificate verification failed.*mismatch/);
        } finally {
            await server.stop();
        }
    });

    test('a --cacert that cannot be read is a start-up error', async () => {
        const { code, stderr } = await runHerald(['pub', 'tls:x', '1', '--url', herald.url,
                                                  '--cacert', path.join(dir, 'missing.pem')]);
        assert.equal(code, 1);
        assert.match(stderr, /--cacert: cannot load/);
    });
});

describe('an https URL to a plain-HTTP server', () => {
    let herald;
    before(async () => { herald = await startHerald(); });
    after(() => herald.stop());

    test('pub fails cleanly in one line', async () => {
        const url = herald.url.replace('http://', 'https://');
        const { code, stderr } = await runHerald(['pub', 'tls:plain', '1', '--url', url]);
        assert.equal(code, 1);
        assert.match(stderr, /TLS handshake with 127\.0\.0\.1:\d+ failed/);
        assert.equal(stderr.trim().split('\n').length, 1, stderr);
    });

    test('sub --transport stream exits instead of retrying', async () => {
        const url = herald.url.replace('http://', 'https://');
        const { code, stderr } = await runHerald(['sub', 'tls:plain', '--transport', 'stream', '--after', '0',
                                                  '--url', url], { timeoutMs: 5000 });
        assert.equal(code, 1);
        assert.match(stderr, /TLS handshake .* failed/);
        assert.doesNotMatch(stderr, /retrying/);
    });
});
