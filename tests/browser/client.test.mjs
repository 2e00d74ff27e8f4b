// herald.js as pages of other sites would load it, in headless Chromium: as a classic <script>,
// as an ES module imported from another origin (localhost vs 127.0.0.1), and the browser's cache
// revalidating the assets with 304s.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { eventually, startHerald } from '../support/herald.mjs';
import { launchBrowser } from '../support/browser.mjs';

describe('herald.js in a browser', () => {
    let herald;
    let browser;
    let context;
    before(async () => {
        herald = await startHerald();
        browser = await launchBrowser();
    });
    after(async () => {
        await browser?.close();
        await herald?.stop();
    });

    const newPage = async () => {
        context = await browser.newContext();
        const page = await context.newPage();
        page.setDefaultTimeout(10000);
        return page;
    };

    test('as a classic script: globalThis.Herald, publish and receive over SSE', async () => {
        const page = await newPage();
        try {
            await page.goto(`${herald.url}/healthz`);
            await page.addScriptTag({ url: '/herald.classic.js' });
            const got = await page.evaluate(async () => {
                const client = new Herald({ transport: 'sse' });
                const room = client.subscribe('classic', { after: 0 });
                const seen = new Promise((resolve) => room.on('message', resolve));
                await client.connect();
                const ack = await client.publish('classic', { text: 'hi' });
                const message = await seen;
                client.disconnect();
                return { seq: ack.seq, data: message.data, transports: Herald.TRANSPORTS };
            });
            assert.deepEqual(got, { seq: 1, data: { text: 'hi' }, transports: ['websocket', 'sse', 'longpoll', 'poll'] });
        } finally {
            await context.close();
        }
    });

    test('as an ES module imported by a page of another origin, over WebSocket', async () => {
        const page = await newPage();
        const other = herald.url.replace('127.0.0.1', 'localhost');  // another origin, same server
        try {
            await page.goto(`${other}/healthz`);
            const got = await page.evaluate(async (base) => {
                const { Herald } = await import(`${base}/herald.js`);
                const client = new Herald({ url: base });
                const room = client.subscribe('module', { after: 0 });
                const seen = new Promise((resolve) => room.on('message', resolve));
                await client.connect();
                await client.publish('module', 42);
                const message = await seen;
                const transport = client.transport;
                client.disconnect();
                return { origin: location.origin, transport, data: message.data };
            }, herald.url);
            assert.notEqual(got.origin, herald.url);
            assert.equal(got.transport, 'websocket');
            assert.equal(got.data, 42);
        } finally {
            await context.close();
        }
    });

    test('a reload revalidates the assets with their ETags and gets 304s', async () => {
        const page = await newPage();
        try {
            await page.goto(`${herald.url}/`);
            const statuses = new Map();
            const conditional = new Map();
            page.on('response', async (response) => {
                const path = new URL(response.url()).pathname;
                if (!['/', '/herald.js', '/chat.js', '/chat.css'].includes(path)) return;
                statuses.set(path, response.status());
                conditional.set(path, (await response.request().allHeaders())['if-none-match'] ?? null);
            });
            await page.reload();
            await page.waitForLoadState('load');
            await page.waitForFunction(() => document.querySelector('#state') !== null);
            await eventually(() => conditional.size === 4, 5000, 'the four responses recorded');
            // Subresources show the 304; for the page itself Chromium reports the cached 200 it
            // revalidated, so check that it asked with the ETag (the server's 304 to that is
            // tests/integration/web.test.mjs's).
            assert.deepEqual(Object.fromEntries(statuses),
                             { '/': 200, '/chat.css': 304, '/chat.js': 304, '/herald.js': 304 });
            const index = await fetch(`${herald.url}/`);
            assert.equal(conditional.get('/'), index.headers.get('etag'));
            for (const path of ['/chat.css', '/chat.js', '/herald.js']) {
                const asset = await fetch(`${herald.url}${path}`);
                assert.equal(conditional.get(path), asset.headers.get('etag'), path);
            }
        } finally {
            await context.close();
        }
    });
});
