// The receiver of bench/webhooks: a node:http server on 127.0.0.1 that answers every POST with
// 204 at once and counts what arrives, so that it costs as little as a receiver can.
//
// Usage: node bench/webhook_receiver.mjs SECRET [VERIFY_EVERY]
//   Prints its port on the first line of stdout. SECRET is the endpoints' `whsec_...` (the bench
//   gives every endpoint the same one). One delivery in VERIFY_EVERY (default 100; 1: all) has
//   its Standard Webhooks signature checked with npm `standardwebhooks`, the library of the
//   tests; the rest are counted unchecked (checking each would make the receiver, not Herald,
//   the bound). A sample that fails verification is counted in `bad_signatures`.
//   GET /stats: {now, deliveries, distinct, duplicates, first, last, verified, bad_signatures,
//   by_path} (times in ms since the epoch); POST /reset zeroes everything.
// Distinct deliveries are counted by path and webhook-id: the same event goes to every endpoint
// with the same webhook-id, and a retry of it to the same endpoint is a duplicate.
import http from 'node:http';

import { Webhook } from 'standardwebhooks';

const [secret, every = '100'] = process.argv.slice(2);
if (!secret) {
    console.error('usage: node bench/webhook_receiver.mjs SECRET [VERIFY_EVERY]');
    process.exit(2);
}
const verifyEvery = Math.max(1, Number(every));
const verifier = new Webhook(secret);

let stats;
let seen;
function reset() {
    stats = { deliveries: 0, distinct: 0, duplicates: 0, first: 0, last: 0, verified: 0, bad_signatures: 0, by_path: {} };
    seen = new Set();
}
reset();

function count(req, body) {
    const now = Date.now();
    if (stats.first === 0) stats.first = now;
    stats.last = now;
    stats.deliveries += 1;
    stats.by_path[req.url] = (stats.by_path[req.url] ?? 0) + 1;
    const key = `${req.url} ${req.headers['webhook-id']}`;
    if (seen.has(key)) {
        stats.duplicates += 1;
    } else {
        seen.add(key);
        stats.distinct += 1;
    }
    if (stats.deliveries % verifyEvery !== 0) return;
    try {
        verifier.verify(body, req.headers);
        stats.verified += 1;
    } catch {
        stats.bad_signatures += 1;
    }
}

const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/stats') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ now: Date.now(), ...stats }));
        return;
    }
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
        if (req.method === 'POST' && req.url === '/reset') {
            reset();
        } else {
            count(req, Buffer.concat(chunks).toString('utf8'));
        }
        res.writeHead(204);
        res.end();
    });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
    console.log(server.address().port);
});
process.on('SIGTERM', () => process.exit(0));
