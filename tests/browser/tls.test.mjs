// The chat demo served over https (tls.cert, tls.key) in headless Chromium: the page loads over
// https and herald.js connects with wss and https on its own, with no setting.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { startHerald, tempDir } from '../support/herald.mjs';
import { assertExactlyOnce, launchBrowser, openChat, say, waitLines } from '../support/browser.mjs';
import { makeCertificate } from '../support/tls.mjs';

describe('chat demo over https', () => {
    let dir;
    let herald;
    let browser;
    before(async () => {
        dir = tempDir('herald-browser-tls-');
        const { cert, key } = makeCertificate(dir);
        herald = await startHerald({ args: ['--tls-cert', cert, '--tls-key', key] });
        browser = await launchBrowser();
    });
    after(async () => {
        await browser?.close();
        await herald?.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    for (const [first, second] of [['websocket', 'sse'], ['websocket', 'longpoll']]) {
        test(`${first} (wss) and ${second} (https): messages both ways`, async () => {
            assert.match(herald.url, /^https:/);
            // The certificate is self-signed: the browser is told to accept it, as a user would.
            const contextOptions = { ignoreHTTPSErrors: true };
            const room = `tls-${second}`;
            const alice = await openChat(browser, herald.url, { name: 'alice', room, transport: first, contextOptions });
            const bob = await openChat(browser, herald.url, { name: 'bob', room, transport: second, contextOptions });
            try {
                assert.match(alice.page.url(), /^https:/);
                assert.equal(await alice.page.getAttribute('#state', 'data-transport'), first);
                assert.equal(await bob.page.getAttribute('#state', 'data-transport'), second);
                await say(alice.page, 'hello over wss');
                await say(bob.page, `hello over ${second}`);
                const expected = ['hello over wss', `hello over ${second}`];
                assertExactlyOnce(await waitLines(alice.page, 2), expected, 'alice sees both');
                assertExactlyOnce(await waitLines(bob.page, 2), expected, 'bob sees both');
                assert.deepEqual([...alice.errors, ...bob.errors], []);
            } finally {
                await alice.close();
                await bob.close();
            }
        });
    }
});
