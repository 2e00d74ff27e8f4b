#!/usr/bin/env node
// Takes the chat demo's screenshots in docs/ with headless Chromium: a desktop page on WebSocket
// and a phone-sized page on long polling, in one room, mid-conversation, one of them typing.
// Usage: HERALD_BIN=build/release/herald node scripts/screenshot.mjs
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { launchBrowser, openChat, say, waitLines, waitPresence } from '../tests/support/browser.mjs';
import { startHerald } from '../tests/support/herald.mjs';

const docs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../docs');
const herald = await startHerald();
const browser = await launchBrowser();
try {
    const room = 'lobby';
    const ann = await openChat(browser, herald.url, { name: 'Ann', room, transport: 'websocket' });
    const bo = await openChat(browser, herald.url, {
        name: 'Bo', room, transport: 'longpoll', viewport: { width: 390, height: 700 },
    });
    await waitPresence(ann.page, 2);
    await waitPresence(bo.page, 2);
    await say(ann.page, 'Hi Bo! This page is on WebSocket.');
    await say(bo.page, 'Hello Ann, I am long polling from my phone.');
    await say(ann.page, 'Each line shows the latency it arrived with.');
    await say(bo.page, 'And who is here, and who is typing.');
    await waitLines(ann.page, 4);
    await waitLines(bo.page, 4);
    await bo.page.locator('#text').pressSequentially('Switching to SSE', { delay: 10 });
    await ann.page.waitForFunction(() => document.querySelector('#typing').textContent !== '');
    await ann.page.screenshot({ path: path.join(docs, 'chat-demo.png') });
    await bo.page.screenshot({ path: path.join(docs, 'chat-demo-phone.png') });
    console.log(`wrote ${path.join(docs, 'chat-demo.png')} and chat-demo-phone.png`);
} finally {
    await browser.close();
    await herald.stop();
}
