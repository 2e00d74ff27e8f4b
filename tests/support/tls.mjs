// TLS for black-box tests: a self-signed certificate made with the openssl CLI, and a small
// https client that trusts it (Node's fetch cannot be given a CA).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';

import { sampleIn } from './herald.mjs';

/// Makes a self-signed EC P-256 certificate in `dir`, valid one day, for `names` (its
/// subjectAltName entries): {cert, key} paths and `ca` (the certificate's PEM, to trust it).
export function makeCertificate(dir, { name = 'server', cn = 'localhost', names = 'DNS:localhost,IP:127.0.0.1' } = {}) {
    const cert = path.join(dir, `${name}.crt.pem`);
    const key = path.join(dir, `${name}.key.pem`);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
        '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', `/CN=${cn}`,
        '-addext', `subjectAltName=${names}`], { stdio: 'ignore' });
    return { cert, key, ca: fs.readFileSync(cert) };
}

/// One https request: {status, headers, text, json, alpn}. `agent` may keep the connection;
/// `localAddress` picks the client's address (127.0.0.2 is another client to the server).
export function httpsRequest(url, { method = 'GET', headers = {}, body, ca, agent = false, localAddress } = {}) {
    return new Promise((resolve, reject) => {
        const req = https.request(url, { method, headers, ca, agent, localAddress }, (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d) => { text += d; });
            res.on('end', () => {
                let json;
                try { json = text ? JSON.parse(text) : null; } catch { json = undefined; }
                resolve({ status: res.statusCode, headers: res.headers, text, json, alpn: res.socket?.alpnProtocol });
            });
        });
        req.on('error', reject);
        req.end(body === undefined ? undefined : JSON.stringify(body));
    });
}

/// Reads one metric over https, like herald.mjs `metric`.
export async function httpsMetric(base, name, ca) {
    return sampleIn((await httpsRequest(`${base}/metrics`, { ca })).text, name);
}
