// Resume after a server restart: a page stays open while the server stops and starts
// again on the same port and data directory; over each transport it reconnects by itself and
// shows every message published meanwhile exactly once, in order.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { freePort, publish, startHerald, tempDir } from '../support/herald.mjs';
import { assertExactlyOnce, launchBrowser, lines, openChat, waitConnected, waitLine, waitLines } from '../support/browser.mjs';

describe('resume after a restart', () => {
    let browser;
    let herald;
    let port;
    const dataDir = tempDir();
    before(async () => {
        port = await freePort();
        herald = await startHerald({ dataDir, listen: `127.0.0.1:${port}` });
        browser = await launchBrowser();
    });
    after(async () => {
        await browser?.close();
        await herald?.stop();
        fs.rmSync(dataDir, { recursive: true, force: true });
    });

    for (const transport of ['websocket', 'sse', 'longpoll', 'poll']) {
        test(`over ${transport}`, async () => {
            const room = `resume-${transport}`;
            const channel = `room:${room}`;
            const say = async (text) => {
                const res = await publish(herald.url, channel, { data: { name: 'server', text } });
                assert.equal(res.status, 201, res.text);
            };
            const chat = await openChat(browser, herald.url, { name: 'reader', room, transport });
            try {
                const expected = ['before 1', 'before 2'];
                for (const text of expected) await say(text);
                await waitLines(chat.page, 2);

                await herald.stop();
                await chat.page.waitForSelector('#state[data-state="reconnecting"]');
                // The page stays cut off (browser offline) until the messages below are in, so
                // they are surely published while it is away, whatever its retry timing.
                await chat.context.setOffline(true);
                herald = await startHerald({ dataDir, listen: `127.0.0.1:${port}` });
                for (const text of ['while away 1', 'while away 2', 'while away 3']) {
                    await say(text);
                    expected.push(text);
                }
                // All three are published while the page is away: it is not back yet.
                assert.notEqual(await chat.page.getAttribute('#state', 'data-state'), 'connected');
                assert.equal((await lines(chat.page)).length, 2);
                await chat.context.setOffline(false);
                await waitConnected(chat.page, 20000);
                await say('after');
                expected.push('after');
                await waitLines(chat.page, expected.length);
                // A marker last: anything shown twice would come before it.
                await say('marker');
                expected.push('marker');
                assertExactlyOnce(await waitLine(chat.page, 'marker'), expected, transport);
                const states = await chat.page.evaluate(() => window.chat.states.map((s) => s.state));
                assert.ok(states.includes('reconnecting'), states.join(' '));
                const retry = await chat.page.evaluate(() => window.chat.states.find((s) => s.state === 'reconnecting'));
                assert.equal(retry.attempt, 1);
                assert.ok(retry.delay > 0, JSON.stringify(retry));
                assert.deepEqual(chat.errors, []);
            } finally {
                await chat.close();
            }
        });
    }
});
