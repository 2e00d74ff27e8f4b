// WebSocket helpers for the black-box tests: an npm `ws` client that records the JSON frames it
// receives, raw RFC 6455 frames (client side, masked, any length), a parser for the server's
// frames, a raw upgrade on a plain socket, and the holder process of the scale test (many `ws`
// clients in one child process, driven over IPC).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import zlib from 'node:zlib';
import WebSocket from 'ws';

import { eventually } from './herald.mjs';

export const wsUrl = (base) => `${base.replace(/^http/, 'ws')}/v1/ws`;

/// A connected npm `ws` client that records every JSON frame it receives in `ws.frames`.
/// `ws.next(predicate)` waits for a recorded frame that matches; `ws.closed` resolves with
/// {code, reason}; `ws.request(frame)` sends a frame with a fresh ref and waits for the reply with
/// that ref. `options` go to `ws` (perMessageDeflate, maxPayload...).
export async function connectWs(base, { protocols, options = { perMessageDeflate: false }, timeoutMs = 5000 } = {}) {
    const ws = new WebSocket(wsUrl(base), protocols, options);
    const frames = [];
    ws.binaryFrames = 0;
    ws.on('message', (data, isBinary) => {
        if (isBinary) {
            ws.binaryFrames += 1;
            return;
        }
        frames.push(JSON.parse(data.toString()));
    });
    ws.upgradeHeaders = undefined;
    ws.on('upgrade', (res) => { ws.upgradeHeaders = res.headers; });
    ws.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the WebSocket did not open')), timeoutMs);
        ws.once('open', () => { clearTimeout(timer); resolve(); });
        ws.once('error', (error) => { clearTimeout(timer); reject(error); });
    });
    ws.on('error', () => {});
    ws.frames = frames;
    ws.next = async (predicate, what = 'a frame', waitMs = 5000) => {
        let found;
        await eventually(() => (found = frames.find(predicate)) !== undefined, waitMs, what);
        return found;
    };
    let ref = 1000;
    ws.request = async (frame, what = `a reply to ${frame.type}`, waitMs = 5000) => {
        const r = ++ref;
        ws.send(JSON.stringify({ ...frame, ref: r }));
        return ws.next((f) => f.ref === r, what, waitMs);
    };
    ws.seqs = (channel) => frames.filter((f) => f.type === 'message' && f.channel === channel).map((f) => f.seq);
    return ws;
}

/// The raw bytes of one client frame: masked unless told otherwise, any payload length.
export function clientFrame(opcode, payload, { mask = true, fin = true, rsv = 0 } = {}) {
    const body = Buffer.from(payload);
    const header = [(fin ? 0x80 : 0) | rsv | opcode];
    const maskBit = mask ? 0x80 : 0;
    let extended = Buffer.alloc(0);
    if (body.length < 126) {
        header.push(maskBit | body.length);
    } else if (body.length < 65536) {
        header.push(maskBit | 126);
        extended = Buffer.alloc(2);
        extended.writeUInt16BE(body.length);
    } else {
        header.push(maskBit | 127);
        extended = Buffer.alloc(8);
        extended.writeBigUInt64BE(BigInt(body.length));
    }
    const key = crypto.randomBytes(4);
    const masked = Buffer.from(body);
    if (mask) for (let i = 0; i < masked.length; ++i) masked[i] ^= key[i % 4];
    return Buffer.concat([Buffer.from(header), extended, mask ? key : Buffer.alloc(0), masked]);
}

/// A client text frame carrying `object` as JSON.
export const jsonFrame = (object, options) => clientFrame(0x1, JSON.stringify(object), options);

/// permessage-deflate of one message (RFC 7692 7.2.1): raw deflate, flushed, with the trailing
/// 00 00 ff ff removed.
export function deflateMessage(payload) {
    const out = zlib.deflateRawSync(Buffer.from(payload), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    assert.ok(out.subarray(-4).equals(Buffer.from([0, 0, 0xff, 0xff])));
    return out.subarray(0, -4);
}

/// The inverse, with a fresh inflater (what server_no_context_takeover promises is enough).
export function inflateMessage(payload) {
    return zlib.inflateRawSync(Buffer.concat([payload, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
}

/// Parses server frames from a growing buffer. `push(chunk)` returns the complete frames parsed
/// so far: {fin, rsv1, rsv2, rsv3, opcode, masked, payload}. Throws on a frame a client must
/// reject (masked server frame).
export class FrameParser {
    constructor() {
        this.buffer = Buffer.alloc(0);
    }

    push(chunk) {
        this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
        const frames = [];
        for (;;) {
            const b = this.buffer;
            if (b.length < 2) break;
            let length = b[1] & 0x7f;
            let at = 2;
            if (length === 126) {
                if (b.length < 4) break;
                length = b.readUInt16BE(2);
                at = 4;
            } else if (length === 127) {
                if (b.length < 10) break;
                length = Number(b.readBigUInt64BE(2));
                at = 10;
            }
            const masked = (b[1] & 0x80) !== 0;
            if (masked) at += 4;
            if (b.length < at + length) break;
            frames.push({
                fin: (b[0] & 0x80) !== 0,
                rsv1: (b[0] & 0x40) !== 0,
                rsv2: (b[0] & 0x20) !== 0,
                rsv3: (b[0] & 0x10) !== 0,
                opcode: b[0] & 0x0f,
                masked,
                payload: Buffer.from(b.subarray(at, at + length)),
            });
            this.buffer = b.subarray(at + length);
        }
        return frames;
    }
}

/// The close code and reason of a close frame's payload.
export function closeInfo(frame) {
    return {
        code: frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : undefined,
        reason: frame.payload.subarray(2).toString(),
    };
}

export function upgradeRequest({ extensions, protocol, target = '/v1/ws' } = {}) {
    return `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
        (extensions ? `Sec-WebSocket-Extensions: ${extensions}\r\n` : '') +
        (protocol ? `Sec-WebSocket-Protocol: ${protocol}\r\n` : '') +
        '\r\n';
}

/// A WebSocket client on a plain socket. Resolves after the response head: {socket, status, head
/// (the raw response head), headers (lower-case names), frames (every server frame parsed so far,
/// in order), messages() (the text frames' JSON, inflated when rsv1 is set), send(bytes),
/// sendJson(object), waitFrame(predicate, ms), closed (a Promise)}. With `pause` the caller
/// controls reading through socket.pause()/resume(). With `allowHalfOpen` the socket does not
/// end its side when the server ends its own: a peer that never lets go.
export function rawWs(port, { extensions, protocol, timeoutMs = 5000, allowHalfOpen = false } = {}) {
    return new Promise((resolve, reject) => {
        const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen });
        const parser = new FrameParser();
        let head;
        let pending = Buffer.alloc(0);
        const client = {
            socket,
            frames: [],
            error: undefined,
            closed: new Promise((r) => socket.on('close', r)),
            send: (bytes) => socket.write(bytes),
            sendJson: (object, options) => socket.write(jsonFrame(object, options)),
            messages: () => client.frames.filter((f) => f.opcode === 0x1).map((f) => JSON.parse((f.rsv1 ? inflateMessage(f.payload) : f.payload).toString())),
            waitFrame: async (predicate, ms = 5000, what = 'a frame') => {
                let found;
                await eventually(() => (found = client.frames.find(predicate)) !== undefined || client.ended, ms, what);
                if (found === undefined) throw new Error(`the connection ended before ${what}`);
                return found;
            },
            waitMessage: async (predicate, ms = 5000, what = 'a message') => {
                let found;
                await eventually(() => (found = client.messages().find(predicate)) !== undefined || client.ended, ms, what);
                if (found === undefined) throw new Error(`the connection ended before ${what}`);
                return found;
            },
            ended: false,
        };
        client.closed.then(() => { client.ended = true; });
        const timer = setTimeout(() => {
            socket.destroy();
            reject(new Error('no upgrade response'));
        }, timeoutMs);
        socket.on('error', (error) => {
            client.error = error;
            if (head === undefined) {
                clearTimeout(timer);
                reject(error);
            }
        });
        socket.on('close', () => {
            if (head === undefined) {
                clearTimeout(timer);
                reject(new Error(`closed before the response head: ${pending}`));
            }
        });
        socket.on('connect', () => socket.write(upgradeRequest({ extensions, protocol })));
        socket.on('data', (chunk) => {
            if (head === undefined) {
                pending = Buffer.concat([pending, chunk]);
                const end = pending.indexOf('\r\n\r\n');
                if (end < 0) return;
                head = pending.subarray(0, end).toString('latin1');
                const rest = pending.subarray(end + 4);
                const lines = head.split('\r\n');
                client.head = head;
                client.status = Number(lines[0].split(' ')[1]);
                client.headers = {};
                for (const line of lines.slice(1)) {
                    const colon = line.indexOf(':');
                    const name = line.slice(0, colon).trim().toLowerCase();
                    const value = line.slice(colon + 1).trim();
                    client.headers[name] = client.headers[name] === undefined ? value : `${client.headers[name]}, ${value}`;
                }
                clearTimeout(timer);
                if (client.status === 101 && rest.length) client.frames.push(...parser.push(rest));
                resolve(client);
                return;
            }
            if (client.status === 101) client.frames.push(...parser.push(chunk));
        });
    });
}

// ---------------------------------------------------------------------------------------------
// The holder of the scale test: a child process (child_process.fork of this file with
// HERALD_WS_HOLDER=1) that keeps many `ws` connections and answers its parent over IPC.
//   {cmd:'open', base, channel, count, expect, concurrency}  -> {event:'subscribed', count} or
//                                                             {event:'failed', error}
//   {cmd:'report'}                                           -> {event:'report', ...}
//   {cmd:'close'}                                            -> {event:'closed', count}
// Each connection checks that its messages come with seq 1, 2, 3... (strictly ascending, no
// duplicate, no gap) and counts them.

async function holder() {
    const sockets = [];
    const state = { complete: 0, received: 0, errors: [], closedEarly: 0 };
    let expect = 0;
    const problem = (text) => { if (state.errors.length < 20) state.errors.push(text); };

    const openOne = (base, channel, index) => new Promise((resolve, reject) => {
        const ws = new WebSocket(wsUrl(base), { perMessageDeflate: false });
        const conn = { ws, last: 0, count: 0, subscribed: false, closing: false };
        const timer = setTimeout(() => { ws.terminate(); reject(new Error(`connection ${index} not subscribed in 60 s`)); }, 60000);
        ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', channel, ref: index })));
        ws.on('message', (data) => {
            let frame;
            try {
                frame = JSON.parse(data.toString());
            } catch {
                problem(`connection ${index}: a frame that is not JSON`);
                return;
            }
            if (frame.type === 'subscribed') {
                if (frame.ref !== index || frame.channel !== channel) problem(`connection ${index}: ${JSON.stringify(frame)}`);
                conn.subscribed = true;
                clearTimeout(timer);
                resolve();
            } else if (frame.type === 'message') {
                state.received += 1;
                if (frame.channel !== channel) problem(`connection ${index}: a message of ${frame.channel}`);
                if (frame.seq !== conn.last + 1) problem(`connection ${index}: seq ${frame.seq} after ${conn.last}`);
                conn.last = frame.seq;
                conn.count += 1;
                if (conn.count === expect) state.complete += 1;
            } else {
                problem(`connection ${index}: unexpected ${JSON.stringify(frame).slice(0, 200)}`);
            }
        });
        ws.on('error', (error) => {
            if (!conn.subscribed) {
                clearTimeout(timer);
                reject(error);
            } else problem(`connection ${index}: ${error.message}`);
        });
        ws.on('close', (code) => {
            if (!conn.closing) {
                state.closedEarly += 1;
                problem(`connection ${index}: closed by the server with ${code}`);
            }
        });
        conn.closedPromise = new Promise((r) => ws.on('close', r));
        sockets.push(conn);
    });

    process.on('message', async (m) => {
        if (m.cmd === 'open') {
            expect = m.expect;
            try {
                let next = 0;
                await Promise.all(Array.from({ length: m.concurrency ?? 100 }, async () => {
                    while (next < m.count) {
                        const i = next++;
                        await openOne(m.base, m.channel, i);
                    }
                }));
                process.send({ event: 'subscribed', count: sockets.filter((c) => c.subscribed).length });
            } catch (error) {
                process.send({ event: 'failed', error: String(error?.message ?? error) });
            }
        } else if (m.cmd === 'report') {
            const counts = sockets.map((c) => c.count);
            process.send({
                event: 'report',
                connections: sockets.length,
                open: sockets.filter((c) => c.ws.readyState === WebSocket.OPEN).length,
                complete: state.complete,
                received: state.received,
                minCount: counts.length ? Math.min(...counts) : 0,
                maxCount: counts.length ? Math.max(...counts) : 0,
                minLast: sockets.length ? Math.min(...sockets.map((c) => c.last)) : 0,
                maxLast: sockets.length ? Math.max(...sockets.map((c) => c.last)) : 0,
                closedEarly: state.closedEarly,
                errors: state.errors,
            });
        } else if (m.cmd === 'close') {
            for (const c of sockets) {
                c.closing = true;
                c.ws.close(1000);
            }
            const all = Promise.all(sockets.map((c) => c.closedPromise));
            const late = new Promise((r) => setTimeout(r, 30000, 'late'));
            const result = await Promise.race([all, late]);
            if (result === 'late') for (const c of sockets) c.ws.terminate();
            process.send({ event: 'closed', count: sockets.length, late: result === 'late' }, () => process.exit(0));
        }
    });
    process.on('disconnect', () => process.exit(0));
    process.send({ event: 'ready' });
}

if (process.env.HERALD_WS_HOLDER === '1' && typeof process.send === 'function') holder();
