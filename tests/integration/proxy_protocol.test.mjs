// Behind a load balancer (API.md Cluster; docs/ARCHITECTURE.md): http.proxy_protocol reads the
// client's address from a PROXY protocol header (v1, v2, over plain HTTP and before TLS), and
// http.trusted_proxies takes it from X-Forwarded-For; per-address limits and the open-mode
// admin API then see the client, not the balancer.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';

import { rawExchange, runHerald, sampleIn, startHerald, tempDir } from '../support/herald.mjs';
import { makeCertificate } from '../support/tls.mjs';

const SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

/// A version 1 header naming `source` (IPv4) as the client.
const v1 = (source, port = 40000) => `PROXY TCP4 ${source} 127.0.0.1 ${port} 8080\r\n`;

/// A version 2 header: PROXY over TCP/IPv4 from `source` (with `tlvs` after the addresses), or
/// LOCAL (a balancer's health check).
function v2(source, { local = false, tlvs = Buffer.alloc(0) } = {}) {
    let body = Buffer.alloc(0);
    if (!local) {
        const block = Buffer.alloc(12);
        source.split('.').forEach((byte, i) => { block[i] = Number(byte); });
        block.set([127, 0, 0, 1], 4);
        block.writeUInt16BE(40000, 8);
        block.writeUInt16BE(8080, 10);
        body = Buffer.concat([block, tlvs]);
    }
    const head = Buffer.from([local ? 0x20 : 0x21, local ? 0x00 : 0x11, 0, 0]);
    head.writeUInt16BE(body.length, 2);
    return Buffer.concat([SIGNATURE, head, body]);
}

const GET_HEALTHZ = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
const closing = (target) => `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`;

/// Opens a raw connection, sends `chunks`, and resolves once `done(data)` holds or the server
/// closes it: {socket, data, closed}. The socket stays open in the first case.
function openRaw(port, chunks, done, { localAddress } = {}) {
    return new Promise((resolve) => {
        const socket = net.connect({ port, host: '127.0.0.1', localAddress });
        let data = '';
        let settled = false;
        const settle = (closed) => {
            if (settled) return;
            settled = true;
            resolve({ socket, data, closed });
        };
        socket.on('data', (d) => {
            data += d;
            if (done(data)) settle(false);
        });
        socket.on('close', () => settle(true));
        socket.on('error', () => {});
        socket.on('connect', () => { for (const chunk of chunks) socket.write(chunk); });
    });
}

/// A keep-alive /healthz through `header`: resolves with the connection held (answered 200) or
/// closed (refused).
const holdWith = (port, header) => openRaw(port, [header, GET_HEALTHZ], (data) => data.endsWith('\r\n\r\nok\n'));

/// One request after `header` on a connection the server closes: {status, body, data, closed}.
async function proxied(port, header, request) {
    const { data, closed } = await rawExchange(port, [header, request], { timeoutMs: 10000 });
    const status = Number(/^HTTP\/1\.1 (\d+)/.exec(data)?.[1] ?? 0);
    return { status, body: data.slice(data.indexOf('\r\n\r\n') + 4), data, closed };
}

/// A sample of /metrics, asked through a PROXY header from an address of its own.
async function proxiedSample(port, name) {
    const value = sampleIn((await proxied(port, v1('192.0.2.250'), closing('/metrics'))).body, name);
    assert.ok(value !== undefined, `no sample ${name} in /metrics`);
    return value;
}

const PER_IP = 'herald_connections_refused_total{reason="per_ip"}';

describe('http.proxy_protocol over plain HTTP', () => {
    let herald;
    before(async () => {
        herald = await startHerald({
            args: ['--http-proxy-protocol', 'true', '--limits-max-connections-per-ip', '2', '--http-threads', '2'],
        });
    });
    after(async () => { await herald.stop(); });

    test('a v1 header then a request: 200, and the log line says the header is required', async () => {
        const answer = await proxied(herald.port, v1('203.0.113.10'), closing('/healthz'));
        assert.equal(answer.status, 200, answer.data);
        assert.equal(answer.body, 'ok\n');
        assert.match(herald.stderr(), /PROXY protocol header \(http\.proxy_protocol\)/);
    });

    test('the header and the request in one segment, or the header split over segments', async () => {
        const together = await proxied(herald.port, `${v1('203.0.113.11')}${closing('/healthz')}`, '');
        assert.equal(together.status, 200, together.data);
        const header = v1('203.0.113.12');
        const split = await rawExchange(herald.port, [header.slice(0, 9), header.slice(9), closing('/healthz')],
                                        { gapMs: 50, timeoutMs: 10000 });
        assert.match(split.data, /^HTTP\/1\.1 200 /);
        const binary = v2('203.0.113.13');
        const pieces = [binary.subarray(0, 10), binary.subarray(10, 20), binary.subarray(20), closing('/healthz')];
        const splitV2 = await rawExchange(herald.port, pieces, { gapMs: 50, timeoutMs: 10000 });
        assert.match(splitV2.data, /^HTTP\/1\.1 200 /);
    });

    test('the per-address limit counts the addresses the headers name, not the balancer\'s', async () => {
        const before = await proxiedSample(herald.port, PER_IP);
        // Three clients, one connection each, all from 127.0.0.1 at the TCP level.
        const distinct = await Promise.all(['198.51.100.1', '198.51.100.2', '198.51.100.3']
            .map((source) => holdWith(herald.port, v1(source))));
        // Three connections of one client: the third is one too many.
        const first = await holdWith(herald.port, v1('198.51.100.9'));
        const second = await holdWith(herald.port, v1('198.51.100.9'));
        const third = await holdWith(herald.port, v1('198.51.100.9'));
        try {
            for (const held of [...distinct, first, second]) {
                assert.equal(held.closed, false, held.data);
                assert.match(held.data, /^HTTP\/1\.1 200 /);
            }
            assert.match(third.data, /^HTTP\/1\.1 429 /);
            assert.match(third.data, /"code":"rate_limited"/);
            assert.ok(third.closed, 'the refused connection is closed');
            assert.equal(await proxiedSample(herald.port, PER_IP), before + 1);
        } finally {
            for (const held of [...distinct, first, second, third]) held.socket.destroy();
        }
    });

    test('a v2 header works the same, TLVs skipped; LOCAL (a health check) is served as the peer', async () => {
        const answer = await proxied(herald.port, v2('203.0.113.20'), closing('/healthz'));
        assert.equal(answer.status, 200, answer.data);
        // An authority TLV (type 0x02) longer than the parser's peek: discarded as it comes.
        const authority = Buffer.concat([Buffer.from([0x02, 0x01, 0x2c]), Buffer.alloc(300, 0x61)]);
        const withTlvs = await proxied(herald.port, v2('203.0.113.21', { tlvs: authority }), closing('/healthz'));
        assert.equal(withTlvs.status, 200, withTlvs.data);
        const local = await proxied(herald.port, v2('', { local: true }), closing('/healthz'));
        assert.equal(local.status, 200, local.data);

        const before = await proxiedSample(herald.port, PER_IP);
        const held = [await holdWith(herald.port, v2('198.51.100.30')), await holdWith(herald.port, v2('198.51.100.30'))];
        const third = await holdWith(herald.port, v2('198.51.100.30'));
        const other = await holdWith(herald.port, v2('198.51.100.31'));
        try {
            for (const connection of [...held, other]) assert.match(connection.data, /^HTTP\/1\.1 200 /);
            assert.match(third.data, /^HTTP\/1\.1 429 /);
            assert.equal(await proxiedSample(herald.port, PER_IP), before + 1);
        } finally {
            for (const connection of [...held, third, other]) connection.socket.destroy();
        }
    });

    test('a connection without a header, or with a broken one, is closed unanswered and counted', async () => {
        const before = await proxiedSample(herald.port, 'herald_malformed_requests_total');
        const bare = await rawExchange(herald.port, [closing('/healthz')], { timeoutMs: 10000 });
        assert.ok(bare.closed, 'closed by the server');
        assert.equal(bare.data, '');
        const broken = await rawExchange(herald.port, ['PROXY TCP4 203.0.113.1 nonsense 1 2\r\n', closing('/healthz')],
                                         { timeoutMs: 10000 });
        assert.ok(broken.closed);
        assert.equal(broken.data, '');
        assert.equal(await proxiedSample(herald.port, 'herald_malformed_requests_total'), before + 2);
        assert.match(herald.stderr(), /proxy protocol: 127\.0\.0\.1 sent "GET \/healthz HTTP\/1\.1\\x0d\\x0a/);
    });

    test('the admin API (open mode: loopback only) sees the header\'s client, not the balancer on this host', async () => {
        const remote = await proxied(herald.port, v1('203.0.113.40'), closing('/v1/webhooks'));
        assert.equal(remote.status, 403, remote.data);
        const local = await proxied(herald.port, v1('127.0.0.1'), closing('/v1/webhooks'));
        assert.equal(local.status, 200, local.data);
    });
});

/// CPU time the process `pid` has used so far, in clock ticks (utime + stime of /proc/PID/stat).
function cpuTicks(pid) {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(fields[11]) + Number(fields[12]);
}

describe('http.proxy_protocol and http.request_timeout', () => {
    let herald;
    before(async () => {
        herald = await startHerald({ args: ['--http-proxy-protocol', 'true', '--http-request-timeout', '1s'] });
    });
    after(async () => { await herald.stop(); });

    test('a connection that sends nothing, or half a header, is closed when the timeout runs out', async () => {
        const idle = await proxiedSample(herald.port, 'herald_timeouts_total{kind="idle"}');
        const slow = await proxiedSample(herald.port, 'herald_timeouts_total{kind="request"}');
        const silent = await rawExchange(herald.port, [], { timeoutMs: 10000 });
        assert.ok(silent.closed, 'an idle connection is closed');
        // While it waits for the rest, the server must not spin on the bytes it has seen.
        const cpuBefore = cpuTicks(herald.proc.pid);
        const half = await rawExchange(herald.port, ['PROXY TCP4 203.0.'], { timeoutMs: 10000 });
        assert.ok(half.closed, 'a header never finished is closed');
        assert.equal(half.data, '');
        const spent = cpuTicks(herald.proc.pid) - cpuBefore;
        assert.ok(spent < 30, `${spent} ticks of CPU (1/100 s each) while a half header waited 1 s`);
        assert.equal(await proxiedSample(herald.port, 'herald_timeouts_total{kind="idle"}'), idle + 1);
        assert.equal(await proxiedSample(herald.port, 'herald_timeouts_total{kind="request"}'), slow + 1);
    });
});

describe('http.proxy_protocol on a TLS port: the header comes before the handshake', () => {
    let herald;
    let dir;
    let ca;
    before(async () => {
        dir = tempDir();
        const certificate = makeCertificate(dir);
        ca = certificate.ca;
        herald = await startHerald({
            args: ['--tls-cert', certificate.cert, '--tls-key', certificate.key, '--http-proxy-protocol', 'true',
                   '--limits-max-connections-per-ip', '2'],
        });
    });
    after(async () => {
        await herald.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    /// A TLS connection after `header`; sends `request` once secure and resolves when `done(data)`
    /// holds or the connection ends: {socket, data, secured, closed}.
    /// `together`: the header and the ClientHello leave in one segment, as a balancer that had
    /// the client's first bytes before it connected sends them.
    function tlsWith(header, request, done, { together = false } = {}) {
        return new Promise((resolve) => {
            const raw = net.connect(herald.port, '127.0.0.1');
            raw.on('error', () => {});
            raw.on('connect', () => {
                if (together) raw.cork();
                raw.write(header);
                const socket = tls.connect({ socket: raw, ca, servername: 'localhost' });
                if (together) setImmediate(() => raw.uncork());
                let data = '';
                let secured = false;
                let settled = false;
                const settle = (closed) => {
                    if (settled) return;
                    settled = true;
                    resolve({ socket, data, secured, closed });
                };
                socket.on('secureConnect', () => {
                    secured = true;
                    socket.write(request);
                });
                socket.on('data', (d) => {
                    data += d;
                    if (done(data)) settle(false);
                });
                socket.on('error', () => settle(true));
                socket.on('close', () => settle(true));
            });
        });
    }

    const tlsSample = async (name) => {
        const { data } = await tlsWith(v1('192.0.2.250'), closing('/metrics'), () => false);
        return sampleIn(data.slice(data.indexOf('\r\n\r\n') + 4), name);
    };

    test('v1 and v2 headers, then TLS: 200; the per-address limit counts the header\'s client', async () => {
        const one = await tlsWith(v1('203.0.113.50'), closing('/healthz'), () => false);
        assert.ok(one.secured);
        assert.match(one.data, /^HTTP\/1\.1 200 /);
        const two = await tlsWith(v2('203.0.113.51'), closing('/healthz'), () => false);
        assert.match(two.data, /^HTTP\/1\.1 200 /);

        const before = await tlsSample(PER_IP);
        const held = await Promise.all([1, 2].map(() =>
            tlsWith(v1('198.51.100.60'), GET_HEALTHZ, (data) => data.endsWith('\r\n\r\nok\n'))));
        const other = await tlsWith(v1('198.51.100.61'), GET_HEALTHZ, (data) => data.endsWith('\r\n\r\nok\n'));
        const third = await tlsWith(v1('198.51.100.60'), GET_HEALTHZ, (data) => data.endsWith('\r\n\r\nok\n'));
        try {
            for (const connection of [...held, other]) {
                assert.equal(connection.closed, false);
                assert.match(connection.data, /^HTTP\/1\.1 200 /);
            }
            // A TLS client could not read a plaintext 429: it is closed before its handshake.
            assert.ok(third.closed);
            assert.equal(third.secured, false);
            assert.equal(await tlsSample(PER_IP), before + 1);
        } finally {
            for (const connection of [...held, other, third]) connection.socket.destroy();
        }
    });

    test('a header and a ClientHello in one segment: the handshake goes on at once', async () => {
        for (const header of [v1('203.0.113.52'), v2('203.0.113.53')]) {
            const answer = await tlsWith(header, closing('/healthz'), () => false, { together: true });
            assert.ok(answer.secured, 'the handshake finished');
            assert.match(answer.data, /^HTTP\/1\.1 200 /);
        }
    });

    test('a TLS handshake without a header first is closed', async () => {
        const bare = await new Promise((resolve) => {
            const socket = tls.connect({ host: '127.0.0.1', port: herald.port, ca, servername: 'localhost' });
            socket.on('secureConnect', () => resolve('secured'));
            socket.on('error', () => resolve('failed'));
            socket.on('close', () => resolve('closed'));
        });
        assert.notEqual(bare, 'secured');
    });
});

/// One GET from `localAddress` with `headers`: {status, text}.
function getFrom(port, target, { localAddress = '127.0.0.1', headers = {} } = {}) {
    return new Promise((resolve, reject) => {
        const request = http.get({ host: '127.0.0.1', port, path: target, localAddress, headers, agent: false }, (res) => {
            let text = '';
            res.on('data', (d) => { text += d; });
            res.on('end', () => resolve({ status: res.statusCode, text }));
        });
        request.on('error', reject);
    });
}

/// A keep-alive connection from `localAddress` that has had /healthz answered (held), or the
/// refusal the server sent before closing: {socket, data, closed}.
function holdFrom(port, localAddress) {
    return openRaw(port, [GET_HEALTHZ], (data) => data.endsWith('\r\n\r\nok\n'), { localAddress });
}

describe('http.trusted_proxies', () => {
    let trusting;
    let plain;
    before(async () => {
        [trusting, plain] = await Promise.all([
            startHerald({ args: ['--http-trusted-proxies', '127.0.0.1/32', '--limits-max-connections-per-ip', '1'] }),
            startHerald(),
        ]);
    });
    after(async () => { await Promise.all([trusting.stop(), plain.stop()]); });

    test('X-Forwarded-For from a trusted proxy names the client: a remote one gets 403 from the open-mode admin API', async () => {
        const forwarded = { 'X-Forwarded-For': '203.0.113.9' };
        assert.equal((await getFrom(trusting.port, '/v1/webhooks', { headers: forwarded })).status, 403);
        assert.equal((await getFrom(plain.port, '/v1/webhooks', { headers: forwarded })).status, 200,
                     'without the option the header means nothing');
        // The client's own claim left of what the proxy appended is not read.
        const claimed = { 'X-Forwarded-For': '127.0.0.1, 203.0.113.9' };
        assert.equal((await getFrom(trusting.port, '/v1/webhooks', { headers: claimed })).status, 403);
        // A loopback client through the proxy, no header, and garbage (ignored: the peer) are loopback.
        assert.equal((await getFrom(trusting.port, '/v1/webhooks', { headers: { 'X-Forwarded-For': '127.0.0.1' } })).status, 200);
        assert.equal((await getFrom(trusting.port, '/v1/webhooks')).status, 200);
        assert.equal((await getFrom(trusting.port, '/v1/webhooks', { headers: { 'X-Forwarded-For': 'unknown' } })).status, 200);
        // From an untrusted peer (127.0.0.2) the header is ignored.
        assert.equal((await getFrom(trusting.port, '/v1/webhooks', { localAddress: '127.0.0.2', headers: forwarded })).status, 200);
    });

    test('a trusted proxy\'s connections are not bounded per address; others still are', async () => {
        const proxy = [await holdFrom(trusting.port, '127.0.0.1'), await holdFrom(trusting.port, '127.0.0.1'),
                       await holdFrom(trusting.port, '127.0.0.1')];
        const client = [await holdFrom(trusting.port, '127.0.0.3'), await holdFrom(trusting.port, '127.0.0.3')];
        try {
            for (const held of [...proxy, client[0]]) assert.match(held.data, /^HTTP\/1\.1 200 /);
            assert.match(client[1].data, /^HTTP\/1\.1 429 /);
        } finally {
            for (const held of [...proxy, ...client]) held.socket.destroy();
        }
    });
});

describe('configuration of the two options', () => {
    test('file and environment; a bad CIDR stops start-up naming the option', async () => {
        const dir = tempDir();
        try {
            const config = path.join(dir, 'herald.toml');
            fs.writeFileSync(config, '[http]\nproxy_protocol = true\ntrusted_proxies = ["10.0.0.0/8", "127.0.0.1", "::1/128"]\n');
            const file = await startHerald({ args: ['--config', config] });
            try {
                assert.match(file.stderr(), /from 10\.0\.0\.0\/8, 127\.0\.0\.1\/32, ::1\/128 \(http\.trusted_proxies\)/);
                const bare = await rawExchange(file.port, [closing('/healthz')], { timeoutMs: 10000 });
                assert.ok(bare.closed && bare.data === '', 'the file turned the PROXY protocol on');
                assert.equal((await proxied(file.port, v1('203.0.113.70'), closing('/healthz'))).status, 200);
            } finally {
                await file.stop();
            }
            const env = await startHerald({ env: { HERALD_HTTP_PROXY_PROTOCOL: 'true', HERALD_HTTP_TRUSTED_PROXIES: '192.168.0.0/16' } });
            try {
                assert.match(env.stderr(), /192\.168\.0\.0\/16 \(http\.trusted_proxies\)/);
                assert.equal((await proxied(env.port, v1('203.0.113.71'), closing('/healthz'))).status, 200);
            } finally {
                await env.stop();
            }
            const bad = await runHerald(['serve', '--listen', '127.0.0.1:0', '--data', dir,
                                         '--http-trusted-proxies', '10.0.0.0/8, 10.1.2.3/8']);
            assert.equal(bad.code, 2);
            assert.match(bad.stderr, /http\.trusted_proxies: '10\.1\.2\.3\/8' has bits set past its \/8 prefix: write 10\.0\.0\.0\/8/);
            const worse = await runHerald(['serve', '--listen', '127.0.0.1:0', '--data', dir],
                                          { env: { HERALD_HTTP_TRUSTED_PROXIES: 'proxy.internal' } });
            assert.equal(worse.code, 2);
            assert.match(worse.stderr, /HERALD_HTTP_TRUSTED_PROXIES: bad value for http\.trusted_proxies: 'proxy\.internal' is not an address/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
