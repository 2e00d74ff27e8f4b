// Raw clients for the streaming transports (SSE and NDJSON) over node:http, light enough to run a
// thousand at once in one process, plus small probes of the server (subscribers, labelled metrics,
// resident memory).
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

import { get } from './herald.mjs';

/// Waits for `check()` to hold, polling; fails after `timeoutMs` with `what`.
export async function until(check, timeoutMs, what) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        if (await check()) return;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
    }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/// Opens `GET base+target` and hands each decoded body chunk to `onText`. Resolves once the
/// response head arrives: {status, headers, req, res, ended, close()}. `ended` resolves when the
/// response finishes or the connection drops, whichever comes first. An https `base` is trusted
/// with the CA certificate `ca`.
function openRaw(base, target, { headers = {}, onText, ca }) {
    return new Promise((resolve, reject) => {
        const client = base.startsWith('https:') ? https : http;
        const req = client.get(`${base}${target}`, {
            agent: false,
            ca,
            headers: { Connection: 'keep-alive', ...headers },
        });
        let settled = false;
        let endedResolve;
        const ended = new Promise((r) => { endedResolve = r; });
        const timer = setTimeout(() => {
            if (settled) return;
            settled = true;
            req.destroy();
            reject(new Error(`no response head for GET ${target} within 15 s`));
        }, 15000);
        req.on('error', (error) => {
            endedResolve({ error });
            if (!settled) {
                settled = true;
                clearTimeout(timer);
                reject(new Error(`GET ${target}: ${error.message} (no response head)`, { cause: error }));
            }
        });
        req.on('response', (res) => {
            clearTimeout(timer);
            res.setEncoding('utf8');
            res.on('data', (text) => onText(text, res.statusCode));
            res.on('end', () => endedResolve({ complete: true }));
            res.on('close', () => endedResolve({ complete: res.complete }));
            res.on('error', () => {});
            settled = true;
            resolve({
                status: res.statusCode,
                headers: res.headers,
                req,
                res,
                ended,
                close: () => { req.destroy(); return ended; },
            });
        });
    });
}

/// An SSE client on raw HTTP. With `keep` (default) it records every item in order:
/// {kind:'retry', value}, {kind:'comment', text} and {kind:'event', fields:[names in order], id,
/// event, data}; and the whole decoded body as `raw`. Always, whatever `keep`: it checks that the
/// `id:` of successive events grows by exactly one from the first one (`count`, `firstId`,
/// `lastId`, `orderError`). A non-200 answer leaves its body in `raw`.
export class SseClient {
    constructor({ keep = true } = {}) {
        this.keep = keep;
        this.raw = '';
        this.items = [];
        this.count = 0;
        this.firstId = undefined;
        this.lastId = undefined;
        this.orderError = undefined;
        this.ended = false;
        this.endInfo = undefined;
        this.rest = '';
        this.current = null;
    }

    static async open(base, target, { headers = {}, keep = true, ca } = {}) {
        const client = new SseClient({ keep });
        const head = await openRaw(base, target, {
            ca,
            headers: { Accept: 'text/event-stream', ...headers },
            onText: (text, status) => client.feed(text, status),
        });
        Object.assign(client, head);
        client.ended = false;
        head.ended.then((info) => { client.ended = true; client.endInfo = info; });
        return client;
    }

    /// Events only (not comments or retry), in order.
    get events() { return this.items.filter((i) => i.kind === 'event'); }
    get messages() { return this.events.filter((e) => e.event !== 'gap').map((e) => JSON.parse(e.data)); }
    get seqs() { return this.messages.map((m) => m.seq); }
    get keepalives() { return this.items.filter((i) => i.kind === 'comment').length; }

    feed(text, status) {
        if (this.keep || status !== 200) this.raw += text;
        if (status !== undefined && status !== 200) return;
        if (!this.keep) return this.feedFast(text);
        const buffer = this.rest + text;
        const newlines = /\r\n|\r|\n/g;
        let start = 0;
        let match;
        while ((match = newlines.exec(buffer)) !== null) {
            // A lone \r at the very end might be the first half of \r\n: wait for more.
            if (match[0] === '\r' && match.index === buffer.length - 1) break;
            this.line(buffer.slice(start, match.index));
            start = match.index + match[0].length;
        }
        this.rest = buffer.slice(start);
    }

    line(line) {
        if (line === '') {
            if (this.current !== null) this.dispatch(this.current);
            this.current = null;
            return;
        }
        if (line.startsWith(':')) {
            this.items.push({ kind: 'comment', text: line.slice(1).replace(/^ /, '') });
            return;
        }
        const colon = line.indexOf(':');
        const name = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (name === 'retry') {
            this.items.push({ kind: 'retry', value });
            return;
        }
        this.current ??= { kind: 'event', fields: [], id: undefined, event: undefined, data: undefined };
        this.current.fields.push(name);
        if (name === 'data') this.current.data = this.current.data === undefined ? value : `${this.current.data}\n${value}`;
        else if (name === 'id') this.current.id = value;
        else if (name === 'event') this.current.event = value;
    }

    dispatch(event) {
        this.items.push(event);
        if (event.id !== undefined) this.track(Number(event.id));
    }

    // Only the `id:` lines of complete events: enough to check order and count cheaply.
    feedFast(text) {
        const buffer = this.rest + text;
        const end = buffer.lastIndexOf('\n\n');
        if (end < 0) {
            this.rest = buffer;
            return;
        }
        const done = buffer.slice(0, end + 2);
        this.rest = buffer.slice(end + 2);
        const pattern = /^id: (\d+)$/gm;
        let match;
        while ((match = pattern.exec(done)) !== null) this.track(Number(match[1]));
    }

    track(id) {
        if (this.firstId === undefined) this.firstId = id;
        else if (id !== this.lastId + 1 && this.orderError === undefined) {
            this.orderError = `id ${id} after ${this.lastId}`;
        }
        this.lastId = id;
        this.count += 1;
    }
}

/// An NDJSON client (`/stream`) on raw HTTP. Records parsed lines (`lines`: message and gap
/// objects), `keepalives` (empty lines), the decoded body as `raw` (with `keep`), and checks that
/// successive message seqs grow by exactly one (`count`, `firstSeq`, `lastSeq`, `orderError`).
/// Lines that are not JSON are kept in `badLines`.
export class StreamClient {
    constructor({ keep = true } = {}) {
        this.keep = keep;
        this.raw = '';
        this.lines = [];
        this.badLines = [];
        this.keepalives = 0;
        this.count = 0;
        this.firstSeq = undefined;
        this.lastSeq = undefined;
        this.orderError = undefined;
        this.ended = false;
        this.endInfo = undefined;
        this.rest = '';
    }

    static async open(base, target, { headers = {}, keep = true, onMessage, ca } = {}) {
        const client = new StreamClient({ keep });
        client.onMessage = onMessage;
        const head = await openRaw(base, target, {
            ca,
            headers,
            onText: (text, status) => client.feed(text, status),
        });
        Object.assign(client, head);
        client.ended = false;
        head.ended.then((info) => { client.ended = true; client.endInfo = info; });
        return client;
    }

    get messages() { return this.lines.filter((l) => l.type !== 'gap'); }
    get seqs() { return this.messages.map((m) => m.seq); }

    feed(text, status) {
        if (this.keep || status !== 200) this.raw += text;
        if (status !== undefined && status !== 200) return;
        const parts = (this.rest + text).split('\n');
        this.rest = parts.pop();
        for (const line of parts) {
            if (line === '') {
                this.keepalives += 1;
                continue;
            }
            let object;
            try {
                object = JSON.parse(line);
            } catch {
                this.badLines.push(line);
                continue;
            }
            if (this.keep) this.lines.push(object);
            if (object.type === 'gap') continue;
            this.onMessage?.(object);
            const seq = object.seq;
            if (this.firstSeq === undefined) this.firstSeq = seq;
            else if (seq !== this.lastSeq + 1 && this.orderError === undefined) {
                this.orderError = `seq ${seq} after ${this.lastSeq}`;
            }
            this.lastSeq = seq;
            this.count += 1;
        }
    }
}

/// Sends `request` on a raw socket: {socket, data(): everything received so far as a Buffer,
/// closed: Promise}. The caller may pause() the socket to stop reading.
export function rawSocket(port, request, { pause = false } = {}) {
    const socket = net.connect(port, '127.0.0.1');
    if (pause) socket.pause();
    const chunks = [];
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', () => {});
    const closed = new Promise((resolve) => socket.on('close', resolve));
    socket.on('connect', () => socket.write(request));
    return { socket, data: () => Buffer.concat(chunks), closed };
}

/// Splits a raw HTTP/1.1 response with a chunked body (possibly cut short) into {head, body}.
export function dechunk(buffer) {
    const text = buffer.toString('latin1');
    const split = text.indexOf('\r\n\r\n');
    if (split < 0) return { head: text, body: '' };
    const head = text.slice(0, split);
    let at = split + 4;
    const parts = [];
    for (;;) {
        const lineEnd = text.indexOf('\r\n', at);
        if (lineEnd < 0) break;
        const size = parseInt(text.slice(at, lineEnd).split(';')[0], 16);
        if (!Number.isFinite(size) || size === 0) break;
        const start = lineEnd + 2;
        parts.push(text.slice(start, Math.min(start + size, text.length)));
        if (start + size + 2 > text.length) break;
        at = start + size + 2;
    }
    return { head, body: Buffer.from(parts.join(''), 'latin1').toString('utf8') };
}

/// A metric's value, labels included in the match: metricValue(base, 'herald_connections',
/// '{transport="sse"}'). Undefined when absent.
export async function metricValue(base, name, labels = '') {
    const text = await (await fetch(`${base}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
    return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

export async function subscribers(base, channel) {
    const info = await get(base, `/v1/channels/${channel}`);
    return info.json?.subscribers;
}

/// Resident memory of a process in bytes, from /proc (Linux).
export function rssBytes(pid) {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
}

/// Publishes `count` messages to `channel` from `publishers` concurrent loops, each waiting for its
/// reply before the next. `make(i)` gives the body of message i (0-based). Resolves to the replies
/// indexed by i.
export async function publishMany(base, channel, count, { publishers = 4, make = (i) => ({ data: i }) } = {}) {
    const replies = new Array(count);
    let next = 0;
    await Promise.all(Array.from({ length: publishers }, async () => {
        while (next < count) {
            const i = next++;
            const res = await fetch(`${base}/v1/channels/${channel}/messages`, {
                method: 'POST',
                headers: { 'Content-Type': 'application/json' },
                body: JSON.stringify(make(i)),
            });
            const text = await res.text();
            if (res.status !== 201) throw new Error(`publish ${i} to ${channel}: ${res.status} ${text}`);
            replies[i] = JSON.parse(text);
        }
    }));
    return replies;
}

/// publishMany on a worker thread, so that publishing does not wait on this thread's event loop
/// (busy reading subscribers) and readers get their bytes in larger reads. Message i has body
/// {data: {p: i % publishers, i}}. Resolves to the replies indexed by i.
export function publishManyInWorker(base, channel, count, { publishers = 4 } = {}) {
    return new Promise((resolve, reject) => {
        const worker = new Worker(new URL(import.meta.url), {
            workerData: { publishManyJob: { base, channel, count, publishers } },
        });
        let result;
        worker.on('message', (m) => { result = m; });
        worker.on('error', reject);
        worker.on('exit', (code) => {
            if (code === 0 && result?.replies) resolve(result.replies);
            else reject(new Error(`publisher worker exited with ${code}: ${result?.error ?? ''}`));
        });
    });
}

// The worker side of publishManyInWorker.
if (!isMainThread && workerData?.publishManyJob) {
    const { base, channel, count, publishers } = workerData.publishManyJob;
    publishMany(base, channel, count, { publishers, make: (i) => ({ data: { p: i % publishers, i } }) })
        .then((replies) => parentPort.postMessage({ replies }))
        .catch((error) => parentPort.postMessage({ error: String(error?.stack ?? error) }));
}
