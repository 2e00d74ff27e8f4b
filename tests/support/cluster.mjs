// A Herald cluster on loopback for black-box tests (docs/CLUSTER.md): a redis-server of its own,
// Herald nodes sharing it, and nginx round-robin in front of them from deploy/nginx.conf.template.
// Everything is stopped by PID, and every wait is bounded.
import { execFile, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';

import { freePort, startHerald, tempDir } from './herald.mjs';
import { startWebhookReceiver } from './webhook_receiver.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const delay = (ms) => new Promise((r) => setTimeout(r, ms));

/// Sends one inline command to the Redis on `port` and resolves with its first reply line
/// ('+PONG', '-LOADING ...'), or undefined when nothing answers within `timeoutMs`.
export function redisLine(port, command, timeoutMs = 500) {
    return new Promise((resolve) => {
        const socket = net.connect(port, '127.0.0.1');
        let data = '';
        const done = (value) => {
            clearTimeout(timer);
            socket.destroy();
            resolve(value);
        };
        const timer = setTimeout(() => done(undefined), timeoutMs);
        socket.on('error', () => done(undefined));
        socket.on('connect', () => socket.write(`${command}\r\n`));
        socket.on('data', (d) => {
            data += d;
            const end = data.indexOf('\r\n');
            if (end >= 0) done(data.slice(0, end));
        });
        socket.on('close', () => done(undefined));
    });
}

/// `redis-cli -p PORT ARGS...`: its stdout, trimmed. Rejects when it fails or takes over 10 s.
export function redisCli(port, ...args) {
    return new Promise((resolve, reject) => {
        execFile('redis-cli', ['-p', String(port), ...args.map(String)], { timeout: 10000 }, (error, stdout, stderr) => {
            if (error) reject(new Error(`redis-cli ${args.join(' ')}: ${error.message} ${stderr}`));
            else resolve(stdout.trim());
        });
    });
}

/// Waits up to `timeoutMs` for `proc` to exit; true if it did.
async function exitedWithin(proc, exited, timeoutMs) {
    if (proc.exitCode !== null || proc.signalCode !== null) return true;
    let timer;
    const late = new Promise((r) => { timer = setTimeout(r, timeoutMs, 'late'); });
    const result = await Promise.race([exited, late]);
    clearTimeout(timer);
    return result !== 'late';
}

/// Starts `redis-server` on a free loopback port with no RDB snapshots and AOF on or off, and waits
/// until it answers PING. Returns {port, pid, dir, log(), stop(), kill(), restart(), cli(...args),
/// destroy()}: stop() is SIGTERM (a clean shutdown) and waits for the exit, kill() is SIGKILL (a
/// crash), restart() starts it again on the same port and directory (its AOF, if any, is loaded),
/// destroy() stops it if it runs and removes the directory when this function made it.
export async function startRedis({ appendonly = false, dir } = {}) {
    const owned = dir === undefined;
    const home = dir ?? tempDir('herald-redis-');
    const port = await freePort();
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', appendonly ? 'yes' : 'no',
                  '--dir', home, '--logfile', ''];
    let log = '';
    let proc;
    let exited;

    const launch = async () => {
        proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
        const started = proc;
        exited = new Promise((resolve) => started.on('exit', (code, signal) => resolve({ code, signal })));
        started.stdout.on('data', (d) => { log += d; });
        started.stderr.on('data', (d) => { log += d; });
        const deadline = Date.now() + 10000;
        for (;;) {
            if (started.exitCode !== null || started.signalCode !== null) {
                throw new Error(`redis-server exited at start: ${log}`);
            }
            if (await redisLine(port, 'PING') === '+PONG') return;
            if (Date.now() > deadline) {
                started.kill('SIGKILL');
                throw new Error(`redis-server did not answer PING on ${port} within 10 s: ${log}`);
            }
            await delay(20);
        }
    };

    const running = () => proc && proc.exitCode === null && proc.signalCode === null;
    const finish = async (signal) => {
        if (!proc) return undefined;
        if (running()) proc.kill(signal);
        if (!await exitedWithin(proc, exited, 10000)) {
            proc.kill('SIGKILL');
            await exited;
            throw new Error(`redis-server did not stop within 10 s of ${signal}: ${log}`);
        }
        return exited;
    };

    await launch();
    return {
        port,
        dir: home,
        url: `redis://127.0.0.1:${port}`,
        get pid() { return proc.pid; },
        get running() { return running(); },
        log: () => log,
        cli: (...command) => redisCli(port, ...command),
        stop: () => finish('SIGTERM'),
        kill: () => finish('SIGKILL'),
        restart: async () => {
            if (running()) throw new Error('redis-server is still running: stop() or kill() it first');
            await launch();
        },
        destroy: async () => {
            await finish('SIGTERM');
            if (owned) fs.rmSync(home, { recursive: true, force: true });
        },
    };
}

/// Whether process `pid` is gone (a zombie nobody reaps counts as gone).
function processGone(pid) {
    try {
        process.kill(pid, 0);
    } catch (error) {
        return error.code === 'ESRCH';
    }
    try {
        return /^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    } catch {
        return true;
    }
}

function run(command, args, timeoutMs = 10000) {
    return new Promise((resolve, reject) => {
        execFile(command, args, { timeout: timeoutMs }, (error, stdout, stderr) => {
            if (error) reject(new Error(`${command} ${args.join(' ')}: ${error.message} ${stdout}${stderr}`));
            else resolve(stdout);
        });
    });
}

/// nginx (round-robin, deploy/nginx.conf.template) on a free loopback port in front of the given
/// upstream ports. It daemonizes: its master's PID comes from its pid file. Returns {port, url,
/// dir, pid, errorLog(), stop()}: stop() sends SIGQUIT (graceful: close streams through it first)
/// and waits until the master is gone, with SIGTERM after 5 s.
export async function startNginx(upstreamPorts) {
    const port = await freePort();
    const dir = tempDir('herald-nginx-');
    // The workers run as an unprivileged user when nginx is started as root.
    fs.chmodSync(dir, 0o755);
    const upstreams = upstreamPorts.map((p) => `server 127.0.0.1:${p} max_fails=1 fail_timeout=2s;`).join('\n        ');
    const template = fs.readFileSync(path.join(repo, 'deploy/nginx.conf.template'), 'utf8');
    // The template's comments name the placeholders too: fill in the directives only.
    const conf = template.split('\n').map((line) => (line.trimStart().startsWith('#') ? line : line
        .replaceAll('@PORT@', String(port)).replaceAll('@DIR@', dir).replaceAll('@UPSTREAMS@', upstreams))).join('\n');
    const confPath = path.join(dir, 'nginx.conf');
    const errorLog = path.join(dir, 'error.log');
    fs.writeFileSync(confPath, conf);
    await run('nginx', ['-c', confPath, '-e', errorLog]);
    const pidFile = path.join(dir, 'nginx.pid');
    const readLog = () => (fs.existsSync(errorLog) ? fs.readFileSync(errorLog, 'utf8') : '');
    let pid;
    const deadline = Date.now() + 10000;
    for (;;) {
        if (fs.existsSync(pidFile)) {
            const text = fs.readFileSync(pidFile, 'utf8').trim();
            if (/^\d+$/.test(text)) {
                pid = Number(text);
                break;
            }
        }
        if (Date.now() > deadline) throw new Error(`nginx wrote no pid file within 10 s: ${readLog()}`);
        await delay(20);
    }
    // Listening once a connection is accepted.
    for (;;) {
        const ok = await new Promise((resolve) => {
            const socket = net.connect(port, '127.0.0.1');
            socket.on('connect', () => { socket.destroy(); resolve(true); });
            socket.on('error', () => resolve(false));
        });
        if (ok) break;
        if (Date.now() > deadline) throw new Error(`nginx does not accept on ${port} within 10 s: ${readLog()}`);
        await delay(20);
    }
    const waitGone = async (ms) => {
        const until = Date.now() + ms;
        while (!processGone(pid)) {
            if (Date.now() > until) return false;
            await delay(20);
        }
        return true;
    };
    let stopped = false;
    return {
        port,
        url: `http://127.0.0.1:${port}`,
        dir,
        pid,
        errorLog: readLog,
        stop: async () => {
            if (stopped) return;
            stopped = true;
            if (!processGone(pid)) process.kill(pid, 'SIGQUIT');
            if (!await waitGone(5000)) {
                if (!processGone(pid)) process.kill(pid, 'SIGTERM');
                if (!await waitGone(5000)) throw new Error(`nginx (pid ${pid}) did not stop: ${readLog()}`);
            }
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}

/// `nodes` Herald nodes on one Redis (from startRedis), each with its own node id (node-1...),
/// trusting 127.0.0.1 as a proxy, plus `args`. Returns {nodes (startHerald results, each with
/// `id`), urls, logs() (every node's output, labelled), stop()}.
export async function startCluster({ nodes = 3, redis, args = [] }) {
    const started = [];
    try {
        for (let i = 1; i <= nodes; ++i) {
            const id = `node-${i}`;
            const node = await startHerald({
                args: ['--storage', 'redis', '--redis', `redis://127.0.0.1:${redis.port}`, '--cluster-node-id', id,
                       '--http-trusted-proxies', '127.0.0.1/32', ...args],
            });
            node.id = id;
            started.push(node);
        }
    } catch (error) {
        await Promise.allSettled(started.map((n) => n.stop()));
        throw error;
    }
    return {
        nodes: started,
        urls: started.map((n) => n.url),
        logs: () => started.map((n) => `--- ${n.id} (${n.url}) ---\n${n.stderr()}`).join('\n'),
        stop: async () => {
            const results = await Promise.allSettled(started.map((n) => n.stop()));
            const failed = results.find((r) => r.status === 'rejected');
            if (failed) throw failed.reason;
        },
    };
}

/// Closes whatever clients were opened (WebSocket, SSE, NDJSON), ignoring those already gone.
export function closeAll(clients) {
    for (const client of clients.splice(0)) {
        try {
            if (typeof client.terminate === 'function') client.terminate();
            else client.close?.();
        } catch {
            // already closed
        }
    }
}

/// Starts a Redis and `nodes` Herald nodes on it before a suite's tests, and stops them (and
/// closes the clients the tests pushed) after: {redis, cluster, clients, receiver}, filled by
/// `before`. With `webhooks` ({events, channels}), every node gets one endpoint for them in its
/// config file, delivering to a receiver started first (`receiver`, checking signatures).
export function useCluster({ nodes, args = [], webhooks }) {
    const fixture = { redis: undefined, cluster: undefined, clients: [], receiver: undefined };
    let dir;
    before(async () => {
        const extra = [];
        if (webhooks) {
            const secret = `whsec_${crypto.randomBytes(32).toString('base64')}`;
            fixture.receiver = await startWebhookReceiver({ secret });
            dir = tempDir();
            const config = path.join(dir, 'herald.toml');
            const list = (items) => `[${items.map((x) => JSON.stringify(x)).join(', ')}]`;
            fs.writeFileSync(config, `[[webhooks]]\nurl = "${fixture.receiver.url}"\nevents = ${list(webhooks.events)}\n` +
                                     `channels = ${list(webhooks.channels)}\nsecret = "${secret}"\n`);
            extra.push('--config', config);
        }
        fixture.redis = await startRedis();
        fixture.cluster = await startCluster({ nodes, redis: fixture.redis, args: [...args, ...extra] });
    });
    after(async () => {
        closeAll(fixture.clients);
        await fixture.cluster?.stop();
        await fixture.redis?.destroy();
        await fixture.receiver?.close();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });
    return fixture;
}
