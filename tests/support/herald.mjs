// Starts the real herald binary for black-box tests: a free loopback port, a fresh data
// directory, stopped by PID when the test ends.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const heraldBin = process.env.HERALD_BIN ?? path.join(repo, 'build/release/herald');

export function tempDir(prefix = 'herald-test-') {
    return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function freePort() {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.on('error', reject);
        server.listen(0, '127.0.0.1', () => {
            const { port } = server.address();
            server.close(() => resolve(port));
        });
    });
}

/// Runs `herald ARGS` to completion: {code, stdout, stderr}.
export function runHerald(args, { env = {}, timeoutMs = 15000, input } = {}) {
    return new Promise((resolve, reject) => {
        const child = spawn(heraldBin, args, { env: { ...process.env, ...env } });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => { stdout += d; });
        child.stderr.on('data', (d) => { stderr += d; });
        const timer = setTimeout(() => {
            child.kill('SIGKILL');
            reject(new Error(`herald ${args.join(' ')} did not finish in ${timeoutMs} ms: ${stderr}`));
        }, timeoutMs);
        child.on('exit', (code) => {
            clearTimeout(timer);
            resolve({ code, stdout, stderr });
        });
        if (input !== undefined) child.stdin.end(input);
    });
}

/// Starts `herald serve` and waits for its "listening on" line; `url` is https:// when the
/// args give it --tls-cert and --tls-key. Returns {url, port, dataDir, proc, stderr(), stop(), kill()}.
export async function startHerald({ args = [], env = {}, dataDir, listen = '127.0.0.1:0', wrapper = [] } = {}) {
    const dir = dataDir ?? tempDir();
    const owned = dataDir === undefined;
    const fullArgs = ['serve', '--data', dir, ...(listen ? ['--listen', listen] : []), ...args];
    // `wrapper`: a command that execs the server in its place (`prlimit --nofile=N`): same pid.
    const [command, ...rest] = [...wrapper, heraldBin, ...fullArgs];
    const proc = spawn(command, rest, { env: { ...process.env, ...env } });
    let log = '';
    const url = await new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
            proc.kill('SIGKILL');
            reject(new Error(`herald did not start: ${log}`));
        }, 10000);
        const onData = (d) => {
            log += d;
            const match = /listening on (https?:\/\/[^ ]+)/.exec(log);
            if (match) {
                clearTimeout(timer);
                resolve(match[1]);
            }
        };
        proc.stdout.on('data', onData);
        proc.stderr.on('data', onData);
        proc.on('exit', (code) => {
            clearTimeout(timer);
            reject(new Error(`herald exited with ${code}: ${log}`));
        });
    });
    const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
    const finish = async (signal) => {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
        // A server that does not stop is a bug: fail the test rather than hang the suite.
        let timer;
        const late = new Promise((resolve) => { timer = setTimeout(resolve, 10000, 'late'); });
        const result = await Promise.race([exited, late]);
        clearTimeout(timer);
        if (result === 'late') {
            proc.kill('SIGKILL');
            await exited;
            if (owned) fs.rmSync(dir, { recursive: true, force: true });
            throw new Error(`herald did not stop within 10 s of ${signal}: ${log}`);
        }
        if (owned) fs.rmSync(dir, { recursive: true, force: true });
        return result;
    };
    return {
        url,
        port: Number(new URL(url).port),
        dataDir: dir,
        proc,
        stderr: () => log,
        exited,
        stop: () => finish('SIGTERM'),
        // Leaves the data directory for a restart on it.
        kill: async () => {
            if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
            return exited;
        },
    };
}

export async function publish(base, channel, body, headers = {}) {
    const res = await fetch(`${base}/v1/channels/${channel}/messages`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: text ? safeJson(text) : null };
}

export async function get(base, target, init = {}) {
    const res = await fetch(`${base}${target}`, init);
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: text ? safeJson(text) : null };
}

function safeJson(text) {
    try {
        return JSON.parse(text);
    } catch {
        return undefined;
    }
}

/// The value of the first sample of `name` in a /metrics text (`name` may carry its labels:
/// `herald_connections{transport="sse"}`); undefined when there is none.
export function sampleIn(text, name) {
    const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
    return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

/// Reads a metric's value from /metrics.
export async function metric(base, name) {
    return sampleIn(await (await fetch(`${base}/metrics`)).text(), name);
}

/// Polls `check` until it returns true or `timeoutMs` passes.
export async function eventually(check, timeoutMs = 3000, what = 'condition') {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        if (await check()) return;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 25));
    }
}

/// Sends raw bytes on a new socket and collects everything until the server closes it (or
/// `timeoutMs`): {data, closed}.
export function rawExchange(port, chunks, { timeoutMs = 5000, gapMs = 0 } = {}) {
    return new Promise((resolve) => {
        const socket = net.connect(port, '127.0.0.1');
        let data = '';
        let done = false;
        const finish = (closed) => {
            if (done) return;
            done = true;
            socket.destroy();
            resolve({ data, closed });
        };
        const timer = setTimeout(() => finish(false), timeoutMs);
        socket.on('data', (d) => { data += d; });
        socket.on('close', () => { clearTimeout(timer); finish(true); });
        socket.on('error', () => {});
        socket.on('connect', async () => {
            for (const chunk of chunks) {
                if (done) return;
                socket.write(chunk);
                if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
            }
        });
    });
}
