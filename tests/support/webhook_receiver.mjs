// A real webhook receiver for black-box tests: a node:http server on 127.0.0.1 (a port the kernel
// picks) that checks every request's Standard Webhooks signature with the npm `standardwebhooks`
// package, the library a Herald user would use, and records each delivery.
//
// It answers as scripted: `respond(500, 500, 200)` makes the next three requests get those
// statuses; 'hang' never answers (the sender's timeout must fire); a function is called when the
// request arrives and returns the answer (headers that depend on the time); once the script runs out,
// `defaultStatus`. A request whose signature does not verify gets 401 and does not use up the
// script, as a real receiver would refuse it; tests then assert on `verified` of each delivery.
import http from 'node:http';
import https from 'node:https';

import { Webhook } from 'standardwebhooks';

/// Starts a receiver. `secret`: the endpoint's `whsec_...`. Returns a handle:
///   url            http://127.0.0.1:PORT/hooks (any path is accepted; `path` records it)
///   deliveries     [{id, timestamp, signature, headers, path, method, body, json, verified,
///                    error, status, receivedAt}] in arrival order (status 'hang' if unanswered)
///   respond(...s)  appends statuses (numbers, 'hang', {status, headers, body}, or a function
///                  returning one of these when the request arrives) to the script
///   waitFor(n)     resolves with `deliveries` once n have arrived (rejects after timeoutMs)
///   byId(id)       the deliveries with that webhook-id: the attempts of one event
///   connections()  how many connections from senders are open now
///   close()        drops hanging requests and stops the server
/// `port`: listen there (a restarted receiver at the URL an endpoint already has); 0: any.
/// `tls`: {key, cert} (PEM) to serve https; `host`: the name the URL gives (default 127.0.0.1);
/// `keepAliveTimeoutMs`: how long an idle connection stays open (node's default otherwise).
export async function startWebhookReceiver({ secret, defaultStatus = 200, rejectInvalid = true, port: wanted = 0,
                                             tls, host = '127.0.0.1', keepAliveTimeoutMs } = {}) {
    const verifier = new Webhook(secret);
    const deliveries = [];
    const script = [];
    const waiters = new Set();
    const hanging = new Set();  // every open connection: close() drops the hanging ones with it

    const handler = (req, res) => {
        const chunks = [];
        req.on('data', (chunk) => chunks.push(chunk));
        req.on('end', () => {
            const delivery = record(req, Buffer.concat(chunks).toString('utf8'), verifier);
            deliveries.push(delivery);
            answer(delivery, res, delivery.verified || !rejectInvalid ? nextAnswer() : 401);
            for (const waiter of waiters) waiter();
        });
    };
    const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
    if (keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = keepAliveTimeoutMs;
    server.on('connection', (socket) => {
        hanging.add(socket);
        socket.on('close', () => hanging.delete(socket));
    });

    const nextAnswer = () => {
        const planned = script.length > 0 ? script.shift() : defaultStatus;
        return typeof planned === 'function' ? planned() : planned;
    };
    const answer = (delivery, res, planned) => {
        if (planned === 'hang') {
            delivery.status = 'hang';
            return;  // the socket stays open until the sender gives up or close() runs
        }
        const { status, headers = {}, body = '' } = typeof planned === 'object' ? planned : { status: planned };
        delivery.status = status;
        res.writeHead(status, { 'Content-Type': 'text/plain', ...headers });
        res.end(body);
    };

    await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(wanted, '127.0.0.1', resolve);
    });
    const { port } = server.address();

    return {
        url: `${tls ? 'https' : 'http'}://${host}:${port}/hooks`,
        port,
        deliveries,
        respond: (...statuses) => { script.push(...statuses); },
        byId: (id) => deliveries.filter((d) => d.id === id),
        connections: () => hanging.size,
        waitFor: (count, { timeoutMs = 10000 } = {}) => waitFor(count, timeoutMs, deliveries, waiters),
        close: () => new Promise((resolve) => {
            for (const socket of hanging) socket.destroy();
            server.close(() => resolve());
        }),
    };
}

/// One request as the tests inspect it; `verified` says whether standardwebhooks accepted it.
function record(req, body, verifier) {
    const delivery = {
        id: req.headers['webhook-id'],
        timestamp: req.headers['webhook-timestamp'],
        signature: req.headers['webhook-signature'],
        headers: req.headers,
        method: req.method,
        path: req.url,
        body,
        json: undefined,
        verified: false,
        error: undefined,
        status: undefined,
        receivedAt: Date.now(),
        servername: req.socket.servername,  // TLS SNI, when served over https
        remotePort: req.socket.remotePort,  // the sender's port: the same one for a reused connection
    };
    try {
        delivery.json = verifier.verify(body, req.headers);
        delivery.verified = true;
    } catch (error) {
        delivery.error = error.message;
        try {
            delivery.json = JSON.parse(body);
        } catch {
            // not JSON either: `body` keeps the text
        }
    }
    return delivery;
}

function waitFor(count, timeoutMs, deliveries, waiters) {
    return new Promise((resolve, reject) => {
        const check = () => {
            if (deliveries.length < count) return;
            done();
            resolve(deliveries);
        };
        const timer = setTimeout(() => {
            done();
            reject(new Error(`webhook receiver: ${deliveries.length} of ${count} deliveries after ${timeoutMs} ms`));
        }, timeoutMs);
        const done = () => {
            clearTimeout(timer);
            waiters.delete(check);
        };
        waiters.add(check);
        check();
    });
}
