// herald.js: the browser client of Herald. No dependencies.
//
//   import { Herald } from '/herald.js';                 // an ES module
//   <script src="/herald.classic.js"></script>           // or a classic script: globalThis.Herald
//
//   const client = new Herald({ url: 'https://chat.example', token, transport: 'auto' });
//   client.on('state', (s) => console.log(s.state, s.transport));
//   const room = client.subscribe('room:1', { after: 0, presence: true });
//   room.on('message', (m) => console.log(m.seq, m.data));
//   await client.connect();
//   const { seq } = await client.publish('room:1', { text: 'hi' });
//
// One API whatever the transport: 'websocket', 'sse' (+ HTTP publish), 'longpoll', 'poll', or
// 'auto' (the first of those four that connects). The client remembers the last seq of every
// channel and resumes from it after any drop or transport switch, dropping any message it has
// already seen, so a subscriber sees each message once, in order. docs/CLIENT.md has the details.

const TRANSPORTS = ['websocket', 'sse', 'longpoll', 'poll'];

const DEFAULTS = {
    url: undefined,          // the server's base URL; default: the page's origin
    token: undefined,        // a JWT: Authorization header for fetch, ?token= for WebSocket
    transport: 'auto',
    pollInterval: 1000,      // short polling: ms between reads
    longPollWait: 25,        // long polling: seconds the server may hold a read
    presenceInterval: 2000,  // presence over HTTP transports: ms between presence reads
    openTimeout: 5000,       // ms a transport may take to connect before the next is tried
    heartbeat: 20000,        // WebSocket: a ping this often; no pong by the next one is a drop
    silence: 45000,          // SSE: ms without a byte (the server's keepalive comes every 15 s) is a drop
    backoff: { initial: 500, max: 15000, factor: 2, jitter: 0.5 },
};

/// Listeners by event type, with on/off/once; `emit` calls them with the event's detail.
class Emitter {
    #listeners = new Map();

    on(type, listener) {
        if (!this.#listeners.has(type)) this.#listeners.set(type, new Set());
        this.#listeners.get(type).add(listener);
        return this;
    }

    off(type, listener) {
        this.#listeners.get(type)?.delete(listener);
        return this;
    }

    once(type, listener) {
        const wrapper = (detail) => {
            this.off(type, wrapper);
            listener(detail);
        };
        return this.on(type, wrapper);
    }

    emit(type, detail) {
        for (const listener of [...(this.#listeners.get(type) ?? [])]) {
            try {
                listener(detail);
            } catch (error) {
                setTimeout(() => { throw error; });  // a listener's bug must not stop delivery
            }
        }
    }
}

class HeraldError extends Error {
    constructor(code, message, status) {
        super(message);
        this.name = 'HeraldError';
        this.code = code;
        this.status = status;
    }
}

/// One channel the client follows. Events: message, gap, join, leave, presence.
class Subscription extends Emitter {
    constructor(client, channel, options) {
        super();
        this.client = client;
        this.channel = channel;
        this.presence = Boolean(options.presence);
        /// The seq of the last message delivered: the cursor of every resume. null: live.
        this.lastSeq = options.after ?? null;
        /// client id -> {client, user, transport?}, when presence is on.
        this.members = new Map();
        this.presenceKnown = false;
    }

    unsubscribe() {
        this.client.unsubscribe(this.channel);
    }
}

let nextId = 0;
const idPrefix = `h${Math.random().toString(36).slice(2, 10)}${Date.now().toString(36)}`;
/// An idempotency key for a publish: a retry after a drop is stored once.
function makeMessageId() {
    nextId += 1;
    return `${idPrefix}-${nextId}`;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/// The client. Events: message, gap, join, leave, presence (each with a `channel`), state.
export class Herald extends Emitter {
    #options;
    #subscriptions = new Map();
    #transport = null;        // the open (or opening) transport object
    #state = 'disconnected';
    #wanted = false;          // connect() was called and disconnect() was not
    #attempt = 0;
    #retryTimer = null;
    #connecting = null;       // the running connect loop's promise
    #waiters = [];            // connect() promises: resolved on 'connected'
    #pending = [];            // publish and presence calls waiting for a connection
    #generation = 0;          // bumps on every (re)connect: stale transports are ignored

    constructor(options = {}) {
        super();
        this.#options = { ...DEFAULTS, ...options, backoff: { ...DEFAULTS.backoff, ...options.backoff } };
        if (this.#options.url === undefined) {
            this.#options.url = globalThis.location?.origin ?? 'http://127.0.0.1:8080';
        }
        this.#options.url = this.#options.url.replace(/\/+$/, '');
        const wanted = this.#options.transport;
        if (wanted !== 'auto' && !TRANSPORTS.includes(wanted)) {
            throw new TypeError(`transport must be auto or one of ${TRANSPORTS.join(', ')}`);
        }
        // Back online: no need to sit out the rest of a backoff delay.
        globalThis.addEventListener?.('online', () => {
            if (this.#wanted && this.#retryTimer !== null) {
                clearTimeout(this.#retryTimer);
                this.#retryTimer = null;
                this.#start();
            }
        });
    }

    get state() { return this.#state; }
    /// The transport in use ('websocket', 'sse', 'longpoll', 'poll'), or null.
    get transport() { return this.#transport?.name ?? null; }
    get options() { return this.#options; }
    get subscriptions() { return this.#subscriptions; }

    /// Connects (and keeps reconnecting until disconnect()). Resolves once connected.
    connect() {
        this.#wanted = true;
        if (this.#state === 'connected') return Promise.resolve(this);
        const ready = new Promise((resolve) => this.#waiters.push(resolve));
        if (!this.#connecting && this.#retryTimer === null) this.#start();
        return ready;
    }

    /// Closes the connection and stops reconnecting. Subscriptions and their cursors stay, so a
    /// later connect() resumes where this one stopped.
    disconnect() {
        this.#wanted = false;
        this.#generation += 1;
        clearTimeout(this.#retryTimer);
        this.#retryTimer = null;
        this.#transport?.close();
        this.#transport = null;
        this.#attempt = 0;
        this.#setState('disconnected');
        const error = new HeraldError('disconnected', 'disconnect() was called');
        for (const { reject } of this.#pending.splice(0)) reject(error);
    }

    /// Switches to another transport now; subscriptions resume from their last seq on it.
    setTransport(transport) {
        if (transport !== 'auto' && !TRANSPORTS.includes(transport)) {
            throw new TypeError(`transport must be auto or one of ${TRANSPORTS.join(', ')}`);
        }
        this.#options.transport = transport;
        if (!this.#wanted) return Promise.resolve(this);
        this.#generation += 1;
        clearTimeout(this.#retryTimer);
        this.#retryTimer = null;
        this.#transport?.close();
        this.#transport = null;
        this.#attempt = 0;
        const ready = new Promise((resolve) => this.#waiters.push(resolve));
        this.#start();
        return ready;
    }

    /// Follows `channel`: `after` (a seq) replays what came after it first, otherwise live from
    /// now; `presence` adds join, leave and presence events.
    subscribe(channel, { after, presence = false } = {}) {
        let subscription = this.#subscriptions.get(channel);
        if (subscription) return subscription;
        subscription = new Subscription(this, channel, { after, presence });
        this.#subscriptions.set(channel, subscription);
        if (this.#state === 'connected') this.#add(this.#transport, subscription);
        return subscription;
    }

    unsubscribe(channel) {
        const subscription = this.#subscriptions.get(channel);
        if (!subscription) return;
        this.#subscriptions.delete(channel);
        if (this.#state === 'connected') this.#transport.remove(subscription);
    }

    /// Publishes; resolves with {channel, seq, id} once stored. The message gets an id (yours or
    /// a fresh one) so that a retry after a drop cannot store it twice.
    async publish(channel, data, { event, id } = {}) {
        const body = { data, id: id ?? makeMessageId() };
        if (event !== undefined) body.event = event;
        for (let attempt = 1; ; attempt++) {
            await this.#whenConnected();
            const transport = this.#transport;
            try {
                return await transport.publish(channel, body);
            } catch (error) {
                if (error instanceof HeraldError || attempt >= 5) throw error;
                // Lost with the connection: resend on the next one (same id: stored once).
                if (this.#transport === transport) this.#dropped(transport, error);
            }
        }
    }

    /// Who is in `channel` now: [{client, user, ...}].
    async presence(channel) {
        await this.#whenConnected();
        return this.#transport.presence(channel);
    }

    // ---- for transports

    /// A message from the server: delivered once, in seq order.
    deliver(transport, channel, message) {
        if (transport !== this.#transport) return;
        const subscription = this.#subscriptions.get(channel);
        if (!subscription) return;
        if (subscription.lastSeq !== null && message.seq <= subscription.lastSeq) return;  // seen
        subscription.lastSeq = message.seq;
        subscription.emit('message', message);
        this.emit('message', message);
    }

    gap(transport, channel, gap) {
        if (transport !== this.#transport) return;
        const subscription = this.#subscriptions.get(channel);
        if (!subscription) return;
        // A reset gap (the server lost the channel, which starts again) moves the cursor back;
        // any other gap only forward.
        const seen = subscription.lastSeq;
        if (seen !== null && (gap.reset ? gap.after !== seen : gap.first_seq - 1 <= seen)) return;
        subscription.lastSeq = gap.first_seq - 1;
        subscription.emit('gap', gap);
        this.emit('gap', gap);
    }

    /// The full member list of a channel: sets it, then tells what changed (HTTP transports
    /// learn presence this way; the WebSocket gets it once per connection, then join and leave).
    members(transport, channel, clients, { diff }) {
        if (transport !== this.#transport) return;
        const subscription = this.#subscriptions.get(channel);
        if (!subscription?.presence) return;
        const next = new Map(clients.map((c) => [c.client, c]));
        // The first list is who was there already: no join events for it. Later lists (the
        // next presence read, or the first after a reconnect) are diffed against the last one.
        if (diff && subscription.presenceKnown) {
            for (const [id, member] of subscription.members) {
                if (!next.has(id)) this.#presenceEvent(subscription, 'leave', member);
            }
            for (const [id, member] of next) {
                if (!subscription.members.has(id)) this.#presenceEvent(subscription, 'join', member);
            }
        }
        subscription.members = next;
        subscription.presenceKnown = true;
        const detail = { channel, clients: [...next.values()] };
        subscription.emit('presence', detail);
        this.emit('presence', detail);
    }

    /// A join or leave frame (WebSocket).
    presenceChange(transport, type, frame) {
        if (transport !== this.#transport) return;
        const subscription = this.#subscriptions.get(frame.channel);
        if (!subscription?.presence) return;
        const member = { client: frame.client, user: frame.user };
        if (type === 'join') {
            if (subscription.members.has(member.client)) return;
            subscription.members.set(member.client, member);
        } else if (!subscription.members.delete(member.client)) {
            return;
        }
        this.#presenceEvent(subscription, type, member);
        const detail = { channel: subscription.channel, clients: [...subscription.members.values()] };
        subscription.emit('presence', detail);
        this.emit('presence', detail);
    }

    /// The server refused a subscription (a HeraldError: bad channel, forbidden, over the
    /// limit): it ends, with an 'error' event, rather than failing the connection for all.
    refused(transport, subscription, error) {
        if (transport !== this.#transport) return;
        if (!(error instanceof HeraldError)) return this.#dropped(transport, error);
        if (this.#subscriptions.get(subscription.channel) === subscription) {
            this.#subscriptions.delete(subscription.channel);
        }
        subscription.emit('error', error);
        this.emit('error', { channel: subscription.channel, error });
    }

    /// The transport lost its connection: reconnect with backoff.
    dropped(transport, error) {
        if (transport === this.#transport) this.#dropped(transport, error);
    }

    // ---- internals

    #presenceEvent(subscription, type, member) {
        const detail = { type, channel: subscription.channel, ...member };
        subscription.emit(type, detail);
        this.emit(type, detail);
    }

    #setState(state, extra = {}) {
        if (state === this.#state && state !== 'reconnecting') return;
        this.#state = state;
        this.emit('state', { state, transport: this.transport, ...extra });
    }

    /// Adds a subscription to an open transport; a refusal (e.g. the server's subscription limit)
    /// is an 'error' event on the subscription and the client.
    #add(transport, subscription) {
        Promise.resolve(transport.add(subscription))
                .catch((error) => this.refused(transport, subscription, error));
    }

    /// Resolves once connected; rejects if disconnect() comes first.
    #whenConnected() {
        if (this.#state === 'connected') return Promise.resolve();
        if (!this.#wanted) return Promise.reject(new HeraldError('disconnected', 'not connected'));
        return new Promise((resolve, reject) => this.#pending.push({ resolve, reject }));
    }

    #dropped(transport, error) {
        transport.close();
        this.#transport = null;
        this.#generation += 1;
        if (!this.#wanted) return;
        this.lastError = error;
        this.#scheduleRetry();
    }

    #scheduleRetry() {
        const { initial, max, factor, jitter } = this.#options.backoff;
        this.#attempt += 1;
        const base = Math.min(max, initial * factor ** (this.#attempt - 1));
        // "Equal jitter": half the delay fixed, half random, so clients that dropped together
        // come back spread out, yet each waits at least half its step.
        const delay = Math.round(base * (1 - jitter) + Math.random() * base * jitter);
        this.#setState('reconnecting', { attempt: this.#attempt, delay });
        clearTimeout(this.#retryTimer);
        this.#retryTimer = setTimeout(() => {
            this.#retryTimer = null;
            if (this.#wanted) this.#start();
        }, delay);
    }

    /// Starts a connection attempt; one started earlier gives up at its next step.
    #start() {
        const run = this.#run();
        this.#connecting = run;
        run.finally(() => {
            if (this.#connecting === run) this.#connecting = null;
        });
    }

    /// One connection attempt: each candidate transport in turn; the first that opens wins.
    async #run() {
        const generation = ++this.#generation;
        this.#setState('connecting');
        const wanted = this.#options.transport;
        const candidates = wanted === 'auto' ? TRANSPORTS : [wanted];
        let lastError;
        for (const name of candidates) {
            if (generation !== this.#generation) return;
            const transport = makeTransport(name, this);
            if (!transport.supported()) continue;
            this.#transport = transport;
            const opened = [...this.#subscriptions.values()];
            try {
                await withTimeout(transport.open(opened), this.#options.openTimeout);
            } catch (error) {
                transport.close();
                if (this.#transport === transport) this.#transport = null;
                lastError = error;
                continue;
            }
            if (generation !== this.#generation || this.#transport !== transport) {
                transport.close();
                return;
            }
            this.#attempt = 0;
            // (Un)subscribed while the transport opened: catch up now.
            for (const subscription of this.#subscriptions.values()) {
                if (!opened.includes(subscription)) this.#add(transport, subscription);
            }
            for (const subscription of opened) {
                if (this.#subscriptions.get(subscription.channel) !== subscription) {
                    transport.remove(subscription);
                }
            }
            this.#setState('connected');
            for (const resolve of this.#waiters.splice(0)) resolve(this);
            for (const { resolve } of this.#pending.splice(0)) resolve();
            return;
        }
        if (generation !== this.#generation) return;
        this.lastError = lastError;
        this.#scheduleRetry();
    }

    // ---- HTTP helpers shared by the transports

    httpUrl(path, params = {}) {
        const url = new URL(this.#options.url + path);
        for (const [key, value] of Object.entries(params)) {
            if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
        }
        return url.toString();
    }

    channelPath(channel, resource = '') {
        return `/v1/channels/${encodeURIComponent(channel)}${resource ? `/${resource}` : ''}`;
    }

    /// A JSON request; `timeout` (ms) bounds it, so a dead link cannot hold a poll forever.
    async fetchJson(path, { params, method = 'GET', body, signal, timeout = 30000 } = {}) {
        const headers = {};
        if (this.#options.token) headers.Authorization = `Bearer ${this.#options.token}`;
        if (body !== undefined) headers['Content-Type'] = 'application/json';
        const controller = new AbortController();
        const abort = () => controller.abort();
        signal?.addEventListener('abort', abort);
        if (signal?.aborted) abort();
        let timedOut = false;
        const timer = setTimeout(() => {
            timedOut = true;
            abort();
        }, timeout);
        let response;
        let text;
        try {
            response = await fetch(this.httpUrl(path, params), {
                method, headers, signal: controller.signal, cache: 'no-store',
                body: body === undefined ? undefined : JSON.stringify(body),
            });
            text = await response.text();
        } catch (error) {
            if (timedOut) throw new Error(`no answer to ${method} ${path} within ${timeout} ms`);
            throw error;
        } finally {
            clearTimeout(timer);
            signal?.removeEventListener('abort', abort);
        }
        const json = text ? JSON.parse(text) : null;
        if (!response.ok) {
            const error = json?.error ?? { code: 'http_error', message: response.statusText };
            throw new HeraldError(error.code, error.message, response.status);
        }
        return { status: response.status, json };
    }
}

function withTimeout(promise, ms) {
    let timer;
    return Promise.race([
        promise,
        new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no connection within ${ms} ms`)), ms);
        }),
    ]).finally(() => clearTimeout(timer));
}

function makeTransport(name, client) {
    switch (name) {
        case 'websocket': return new WebSocketTransport(client);
        case 'sse': return new SseTransport(client);
        case 'longpoll': return new PollTransport(client, 'longpoll');
        case 'poll': return new PollTransport(client, 'poll');
        default: throw new TypeError(`unknown transport ${name}`);
    }
}

/// One WebSocket for every channel; publish and presence are frames answered by `ref`.
class WebSocketTransport {
    name = 'websocket';
    #client;
    #socket = null;
    #ref = 0;
    #pending = new Map();  // ref -> {resolve, reject}
    #closed = false;
    #heartbeat = null;

    constructor(client) { this.#client = client; }

    supported() { return typeof globalThis.WebSocket === 'function'; }

    open(subscriptions) {
        return new Promise((resolve, reject) => {
            const url = new URL(this.#client.httpUrl('/v1/ws', { token: this.#client.options.token }));
            url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
            const socket = new WebSocket(url.toString(), 'herald.v1');
            this.#socket = socket;
            let opened = false;
            socket.onopen = async () => {
                opened = true;
                try {
                    await Promise.all(subscriptions.map((s) => this.add(s).catch((error) => {
                        if (!(error instanceof HeraldError)) throw error;
                        this.#client.refused(this, s, error);
                    })));
                    this.#startHeartbeat();
                    resolve();
                } catch (error) {
                    reject(error);
                }
            };
            socket.onmessage = (event) => this.#onFrame(event.data);
            socket.onerror = () => {};  // a close event follows, with what we need
            socket.onclose = (event) => {
                const error = new Error(`WebSocket closed (${event.code} ${event.reason})`);
                for (const { reject: fail } of this.#pending.values()) fail(error);
                this.#pending.clear();
                if (!opened) return reject(error);
                if (!this.#closed) this.#client.dropped(this, error);
            };
        });
    }

    close() {
        this.#closed = true;
        clearInterval(this.#heartbeat);
        if (this.#socket && this.#socket.readyState <= 1) this.#socket.close(1000);
    }

    /// A connection can die without a close (a laptop sleeps, a NAT forgets it): ping, and take
    /// a ping still unanswered at the next one as a drop.
    #startHeartbeat() {
        let awaiting = false;
        this.#heartbeat = setInterval(() => {
            if (awaiting) {
                clearInterval(this.#heartbeat);
                if (!this.#closed) this.#client.dropped(this, new Error('no pong from the server'));
                return;
            }
            awaiting = true;
            this.#request({ type: 'ping' }).then(() => { awaiting = false; }, () => {});
        }, this.#client.options.heartbeat);
    }

    async add(subscription) {
        const frame = { type: 'subscribe', channel: subscription.channel };
        if (subscription.lastSeq !== null) frame.after = subscription.lastSeq;
        if (subscription.presence) frame.presence = true;
        const reply = await this.#request(frame);
        if (subscription.lastSeq === null) subscription.lastSeq = reply.last_seq;
        if (subscription.presence) {
            const answer = await this.#request({ type: 'presence', channel: subscription.channel });
            this.#client.members(this, subscription.channel, answer.clients, { diff: true });
        }
    }

    remove(subscription) {
        this.#request({ type: 'unsubscribe', channel: subscription.channel }).catch(() => {});
    }

    async publish(channel, body) {
        const reply = await this.#request({ type: 'publish', channel, ...body });
        return { channel: reply.channel, seq: reply.seq, id: reply.id };
    }

    async presence(channel) {
        return (await this.#request({ type: 'presence', channel })).clients;
    }

    #request(frame) {
        if (!this.#socket || this.#socket.readyState !== 1) {
            return Promise.reject(new Error('WebSocket is not open'));
        }
        const ref = ++this.#ref;
        return new Promise((resolve, reject) => {
            this.#pending.set(ref, { resolve, reject });
            this.#socket.send(JSON.stringify({ ...frame, ref }));
        });
    }

    #onFrame(text) {
        let frame;
        try {
            frame = JSON.parse(text);
        } catch {
            return;
        }
        switch (frame.type) {
            case 'message': {
                const { type, ...message } = frame;
                return this.#client.deliver(this, message.channel, message);
            }
            case 'gap': return this.#client.gap(this, frame.channel, frame);
            case 'join':
            case 'leave': return this.#client.presenceChange(this, frame.type, frame);
            case 'error': {
                const pending = this.#pending.get(frame.ref);
                if (!pending) return;
                this.#pending.delete(frame.ref);
                return pending.reject(new HeraldError(frame.code, frame.message));
            }
            default: {
                const pending = this.#pending.get(frame.ref);
                if (!pending) return;
                this.#pending.delete(frame.ref);
                return pending.resolve(frame);
            }
        }
    }
}

/// The cursor to start a stream or poll from: the last seq seen, or, for a live subscription,
/// the channel's last seq now (so that nothing published from here on is missed on a resume).
async function startCursor(client, subscription, signal) {
    if (subscription.lastSeq === null) {
        const { json } = await client.fetchJson(client.channelPath(subscription.channel), { signal });
        if (subscription.lastSeq === null) subscription.lastSeq = json.last_seq;
    }
    return subscription.lastSeq;
}

/// What the HTTP transports share: HTTP publish and presence, presence by polling.
class HttpTransport {
    #presenceTimers = new Map();
    #channels = new Map();  // channel -> AbortController of its stream or poll loop
    closed = false;

    constructor(client) {
        this.client = client;
        this.abort = new AbortController();
    }

    /// With no channel to read, opening proves only that the server answers.
    async probe(subscriptions) {
        if (subscriptions.length > 0) return;
        const response = await fetch(this.client.httpUrl('/healthz'),
                                     { signal: this.abort.signal, cache: 'no-store' });
        await response.text();
        if (!response.ok) throw new HeraldError('unavailable', 'the server is not healthy', response.status);
    }

    async publish(channel, body) {
        const { json } = await this.client.fetchJson(this.client.channelPath(channel, 'messages'),
                                                      { method: 'POST', body });
        return json;
    }

    async presence(channel) {
        const { json } = await this.client.fetchJson(this.client.channelPath(channel, 'presence'));
        return json.clients;
    }

    /// Presence over HTTP: read the member list now and every presenceInterval, and diff.
    watchPresence(subscription) {
        if (!subscription.presence) return;
        const read = async () => {
            if (this.closed || !this.#presenceTimers.has(subscription.channel)) return;
            try {
                const clients = await this.presence(subscription.channel);
                if (this.closed) return;
                this.client.members(this, subscription.channel, clients, { diff: true });
            } catch {
                // a failed read is retried at the next tick; the message path detects drops
            }
            if (this.#presenceTimers.has(subscription.channel) && !this.closed) {
                this.#presenceTimers.set(subscription.channel,
                                         setTimeout(read, this.client.options.presenceInterval));
            }
        };
        this.#presenceTimers.set(subscription.channel, setTimeout(read, 0));
    }

    unwatchPresence(subscription) {
        clearTimeout(this.#presenceTimers.get(subscription.channel));
        this.#presenceTimers.delete(subscription.channel);
    }

    /// A controller for a channel's stream or poll loop, aborted with the transport.
    startChannel(subscription) {
        const controller = new AbortController();
        this.abort.signal.addEventListener('abort', () => controller.abort());
        this.#channels.set(subscription.channel, controller);
        return controller;
    }

    remove(subscription) {
        this.#channels.get(subscription.channel)?.abort();
        this.#channels.delete(subscription.channel);
        this.unwatchPresence(subscription);
    }

    close() {
        this.closed = true;
        this.abort.abort();
        for (const timer of this.#presenceTimers.values()) clearTimeout(timer);
        this.#presenceTimers.clear();
    }

    fail(error) {
        if (!this.closed) this.client.dropped(this, error);
    }

    /// While opening: a server refusal ends that subscription only; anything else fails the open.
    refuse(subscription, error) {
        if (!(error instanceof HeraldError)) throw error;
        this.client.refused(this, subscription, error);
    }
}

/// Server-Sent Events, one stream per channel, read with fetch: unlike EventSource it sees events
/// of every name (EventSource hands named events only to listeners registered by that name) and
/// can send the token as a header. Resume is by `after`, from the client's own cursor.
class SseTransport extends HttpTransport {
    name = 'sse';

    supported() {
        return typeof fetch === 'function' && typeof ReadableStream === 'function' &&
               typeof TextDecoder === 'function';
    }

    async open(subscriptions) {
        await this.probe(subscriptions);
        await Promise.all(subscriptions.map((s) => this.#start(s).then(
                () => this.watchPresence(s), (error) => this.refuse(s, error))));
    }

    add(subscription) {
        return this.#start(subscription).then(() => this.watchPresence(subscription));
    }

    async #start(subscription) {
        const controller = this.startChannel(subscription);
        const after = await startCursor(this.client, subscription, controller.signal);
        const headers = { Accept: 'text/event-stream' };
        const token = this.client.options.token;
        if (token) headers.Authorization = `Bearer ${token}`;
        const response = await fetch(
                this.client.httpUrl(this.client.channelPath(subscription.channel, 'events'), { after }),
                { headers, signal: controller.signal, cache: 'no-store' });
        if (!response.ok) {
            const json = await response.json().catch(() => null);
            throw new HeraldError(json?.error?.code ?? 'http_error',
                                  json?.error?.message ?? response.statusText, response.status);
        }
        this.#read(subscription, response.body.getReader(), controller);
    }

    async #read(subscription, reader, controller) {
        const decoder = new TextDecoder();
        let buffer = '';
        let event = { type: 'message', data: [] };
        // The server writes at least a keepalive every 15 s: silence far longer means a dead link.
        let watchdog;
        let silent = false;
        const watch = () => {
            clearTimeout(watchdog);
            watchdog = setTimeout(() => {
                silent = true;
                controller.abort();
            }, this.client.options.silence);
        };
        controller.signal.addEventListener('abort', () => clearTimeout(watchdog));
        try {
            for (;;) {
                watch();
                const { value, done } = await reader.read();
                if (done) break;
                buffer += decoder.decode(value, { stream: true });
                let newline;
                while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
                    const line = buffer.slice(0, newline);
                    buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
                    if (line === '') {
                        if (event.data.length > 0) this.#dispatch(subscription, event);
                        event = { type: 'message', data: [] };
                    } else if (!line.startsWith(':')) {
                        const colon = line.indexOf(':');
                        const field = colon < 0 ? line : line.slice(0, colon);
                        let value = colon < 0 ? '' : line.slice(colon + 1);
                        if (value.startsWith(' ')) value = value.slice(1);
                        if (field === 'event') event.type = value;
                        else if (field === 'data') event.data.push(value);
                    }
                }
            }
            if (!controller.signal.aborted) this.fail(new Error('event stream ended'));
        } catch (error) {
            if (silent) this.fail(new Error('the event stream fell silent'));
            else if (!controller.signal.aborted) this.fail(error);
        } finally {
            clearTimeout(watchdog);
        }
    }

    #dispatch(subscription, event) {
        let data;
        try {
            data = JSON.parse(event.data.join('\n'));
        } catch {
            return;
        }
        if (event.type === 'gap') this.client.gap(this, subscription.channel, data);
        else this.client.deliver(this, subscription.channel, data);
    }
}

/// Long polling (reads with `wait`, answered as soon as something is new) or short polling
/// (a read every pollInterval): one loop per channel, each read from the last seq seen.
class PollTransport extends HttpTransport {

    constructor(client, name) {
        super(client);
        this.name = name;
    }

    supported() { return typeof fetch === 'function'; }

    async open(subscriptions) {
        // One read per channel now: it proves the server answers and catches up on history.
        await this.probe(subscriptions);
        await Promise.all(subscriptions.map((s) => this.#first(s).catch((error) => this.refuse(s, error))));
    }

    add(subscription) {
        return this.#first(subscription);
    }

    async #first(subscription) {
        const controller = this.startChannel(subscription);
        await startCursor(this.client, subscription, controller.signal);
        // A read at once. For the short poller, wait=0 also lists this connection in the
        // channel's presence (as "poll"); the long poller's first held read will (as "longpoll").
        await this.#read(subscription, this.name === 'poll' ? 0 : undefined, controller.signal);
        this.watchPresence(subscription);
        this.#loop(subscription, controller.signal);
    }

    async #loop(subscription, signal) {
        const { pollInterval, longPollWait } = this.client.options;
        try {
            while (!signal.aborted) {
                if (this.name === 'poll') {
                    await sleep(pollInterval);
                    if (signal.aborted) return;
                    await this.#read(subscription, 0, signal);
                } else {
                    await this.#read(subscription, longPollWait, signal);
                }
            }
        } catch (error) {
            if (!signal.aborted) this.fail(error);
        }
    }

    async #read(subscription, wait, signal) {
        for (;;) {
            const { status, json } = await this.client.fetchJson(
                    this.client.channelPath(subscription.channel, 'messages'),
                    { params: { after: subscription.lastSeq, limit: 1000, wait }, signal,
                      timeout: ((wait ?? 0) + 10) * 1000 });
            if (status === 204 || this.closed) return;
            if (json.gap) this.client.gap(this, subscription.channel, json.gap);
            for (const message of json.messages) {
                this.client.deliver(this, subscription.channel, message);
            }
            // A full page means more is waiting: read on at once.
            if (json.messages.length < 1000) return;
        }
    }
}

export { TRANSPORTS, HeraldError, Subscription };
export default Herald;
