// The chat demo at / in headless Chromium (API.md: Web): two pages in one room over each
// transport, and mixed; messages typed in one show in the other, in order; presence lists both;
// typing shows; auto falls back when WebSocket is missing; the transport switches live.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { get, publish, startHerald } from '../support/herald.mjs';
import {
    assertExactlyOnce, launchBrowser, lines, openChat, say, waitLines, waitPresence,
} from '../support/browser.mjs';

describe('chat demo', () => {
    let herald;
    let browser;
    before(async () => {
        herald = await startHerald();
        browser = await launchBrowser();
    });
    after(async () => {
        await browser?.close();
        await herald?.stop();
    });

    const pairs = [
        ['websocket', 'websocket'],
        ['sse', 'sse'],
        ['longpoll', 'longpoll'],
        ['poll', 'poll'],
        ['websocket', 'longpoll'],
    ];
    for (const [first, second] of pairs) {
        test(`two pages, ${first} and ${second}: messages in order both ways, presence, typing`, async () => {
            const room = `r-${first}-${second}`;
            const alice = await openChat(browser, herald.url, { name: 'alice', room, transport: first });
            const bob = await openChat(browser, herald.url, { name: 'bob', room, transport: second });
            try {
                assert.equal(await alice.page.getAttribute('#state', 'data-transport'), first);
                assert.equal(await bob.page.getAttribute('#state', 'data-transport'), second);

                // Presence: each page lists both clients.
                for (const { page } of [alice, bob]) {
                    const present = await waitPresence(page, 2);
                    assert.ok(present.length >= 2, JSON.stringify(present));
                }
                const listed = (await get(herald.url, `/v1/channels/room:${room}/presence`)).json.clients;
                const transports = new Set(listed.map((c) => c.transport));
                for (const name of [first, second]) assert.ok(transports.has(name), JSON.stringify(listed));

                // Typing: alice types, bob sees it before she sends.
                await alice.page.locator('#text').pressSequentially('hello b', { delay: 5 });
                await bob.page.waitForFunction(() => document.querySelector('#typing').textContent.includes('alice is typing'));
                await alice.page.locator('#text').pressSequentially('ob', { delay: 5 });
                await alice.page.locator('#text').press('Enter');
                await say(alice.page, 'second from alice');
                await say(alice.page, 'third from alice');
                const expected = ['hello bob', 'second from alice', 'third from alice'];
                assertExactlyOnce(await waitLines(bob.page, 3), expected, 'bob sees alice');
                // bob's typing line clears when alice's message arrives
                assert.equal(await bob.page.textContent('#typing'), '');

                await say(bob.page, 'hi alice');
                await say(bob.page, 'bob again');
                expected.push('hi alice', 'bob again');
                for (const { page } of [alice, bob]) {
                    await waitLines(page, 5);
                    assertExactlyOnce(await lines(page), expected, 'both see all five');
                }
                // Each live line shows its latency (arrival minus the server's receive time).
                for (const line of await lines(bob.page)) {
                    assert.ok(line.latency !== null && line.latency >= 0 && line.latency < 5000,
                              JSON.stringify(line));
                }
                assert.match(await bob.page.textContent('#messages li[data-seq] .latency'),
                             new RegExp(`\\d+ ms via ${second}`));
                assert.deepEqual([...alice.errors, ...bob.errors], []);
            } finally {
                await alice.close();
                await bob.close();
            }
        });
    }

    test('a page opened later sees the room\'s history, marked as history', async () => {
        const room = 'r-history';
        for (const text of ['one', 'two', 'three']) {
            assert.equal((await publish(herald.url, `room:${room}`, { data: { name: 'carol', text } })).status, 201);
        }
        const late = await openChat(browser, herald.url, { name: 'dave', room, transport: 'websocket' });
        try {
            const shown = await waitLines(late.page, 3);
            assertExactlyOnce(shown, ['one', 'two', 'three'], 'history');
            assert.deepEqual(shown.map((l) => l.latency), [null, null, null]);
        } finally {
            await late.close();
        }
    });

    test('auto picks WebSocket, and SSE when the browser has no WebSocket', async () => {
        const room = 'r-auto';
        const normal = await openChat(browser, herald.url, { name: 'erin', room, transport: 'auto' });
        const noWs = await openChat(browser, herald.url, {
            name: 'frank', room, transport: 'auto', init: () => { delete window.WebSocket; },
        });
        try {
            assert.equal(await normal.page.getAttribute('#state', 'data-transport'), 'websocket');
            assert.equal(await noWs.page.getAttribute('#state', 'data-transport'), 'sse');
            await say(noWs.page, 'over sse');
            assertExactlyOnce(await waitLines(normal.page, 1), ['over sse'], 'auto pages talk');
        } finally {
            await normal.close();
            await noWs.close();
        }
    });

    test('switching the transport live loses and repeats nothing', async () => {
        const room = 'r-switch';
        const reader = await openChat(browser, herald.url, { name: 'gina', room, transport: 'websocket' });
        try {
            const expected = [];
            let n = 0;
            for (const transport of ['sse', 'longpoll', 'poll', 'websocket']) {
                // Publish while the switch is under way, then after it.
                const during = publish(herald.url, `room:${room}`, { data: { name: 'hal', text: `m${++n}` } });
                expected.push(`m${n}`);
                await reader.page.selectOption('#transport', transport);
                await during;
                await reader.page.waitForSelector(
                        `#state[data-state="connected"][data-transport="${transport}"]`);
                await publish(herald.url, `room:${room}`, { data: { name: 'hal', text: `m${++n}` } });
                expected.push(`m${n}`);
                await waitLines(reader.page, expected.length);
            }
            assertExactlyOnce(await lines(reader.page), expected, 'across four switches');
            assert.deepEqual(reader.errors, []);
        } finally {
            await reader.close();
        }
    });
});

describe('chat demo on a phone-sized screen', () => {
    let herald;
    let browser;
    before(async () => {
        herald = await startHerald();
        browser = await launchBrowser();
    });
    after(async () => {
        await browser?.close();
        await herald?.stop();
    });

    test('no sideways scrolling; header, people, composer in view; the list scrolls, not the page', async () => {
        const phone = await openChat(browser, herald.url, {
            name: 'ivy', room: 'r-phone', transport: 'websocket', viewport: { width: 360, height: 640 },
        });
        try {
            for (let i = 1; i <= 25; i++) {
                await publish(herald.url, 'room:r-phone', { data: { name: 'jo', text: `line ${i} `.repeat(i % 5 + 1) } });
            }
            await say(phone.page, 'a-very-long-word-that-must-wrap-'.repeat(6));
            await waitLines(phone.page, 26);
            const layout = await phone.page.evaluate(() => {
                const box = (selector) => document.querySelector(selector).getBoundingClientRect();
                const list = document.querySelector('#messages');
                return {
                    pageWidth: document.documentElement.scrollWidth, pageHeight: document.documentElement.scrollHeight,
                    width: innerWidth, height: innerHeight,
                    header: box('header').top, people: box('.people').top, composer: box('#composer').bottom,
                    listScrolls: list.scrollHeight > list.clientHeight,
                    atBottom: list.scrollHeight - list.scrollTop - list.clientHeight < 5,
                };
            });
            assert.ok(layout.pageWidth <= layout.width, JSON.stringify(layout));
            assert.ok(layout.pageHeight <= layout.height, JSON.stringify(layout));
            assert.ok(layout.header >= 0 && layout.people > 0 && layout.people < layout.height / 2, JSON.stringify(layout));
            assert.ok(layout.composer <= layout.height, JSON.stringify(layout));
            assert.ok(layout.listScrolls && layout.atBottom, JSON.stringify(layout));
        } finally {
            await phone.close();
        }
    });
});
