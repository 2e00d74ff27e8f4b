// Headless Chromium (Debian's /usr/bin/chromium) through npm playwright-core, and helpers that
// drive the chat demo at / like a person would: open it with a name, a room and a transport,
// type, send, and read what the page shows.
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

export const chromiumPath = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

export function launchBrowser() {
    return chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'], timeout: 30000 });
}

/// Opens the demo in a context of its own (own cookies, storage and connection pool), joined to
/// `room` as `name` over `transport`, and waits until it is connected.
/// `init` runs in the page before any of its scripts (e.g. to hide WebSocket). `contextOptions`
/// go to Playwright's newContext (e.g. ignoreHTTPSErrors for a self-signed certificate).
export async function openChat(browser, base, { name, room, transport = 'auto', init, viewport, contextOptions } = {}) {
    const context = await browser.newContext({ viewport: viewport ?? { width: 1000, height: 700 }, ...contextOptions });
    const page = await context.newPage();
    page.setDefaultTimeout(10000);
    const errors = [];
    page.on('pageerror', (error) => errors.push(error));
    if (init) await page.addInitScript(init);
    const query = new URLSearchParams({ name, room, transport });
    await page.goto(`${base}/?${query}`);
    await waitConnected(page);
    return { page, context, errors, close: () => context.close() };
}

export async function waitConnected(page, timeout = 10000) {
    await page.waitForSelector('#state[data-state="connected"]', { timeout });
}

/// Types `text` key by key (so the page sees input events), then sends it with Enter.
export async function say(page, text) {
    await page.locator('#text').pressSequentially(text, { delay: 5 });
    await page.locator('#text').press('Enter');
}

/// The chat lines the page shows: [{seq, name, text}] in page order.
export function lines(page) {
    return page.$$eval('#messages li[data-seq]', (items) => items.map((li) => ({
        seq: Number(li.dataset.seq),
        name: li.querySelector('.who').textContent,
        text: li.querySelector('.text').textContent,
        latency: li.dataset.latency === '' ? null : Number(li.dataset.latency),
    })));
}

/// Waits until the page shows at least `count` chat lines; returns them.
export async function waitLines(page, count, timeout = 10000) {
    await page.waitForFunction((n) => document.querySelectorAll('#messages li[data-seq]').length >= n,
                               count, { timeout });
    return lines(page);
}

/// Waits until the page shows a chat line whose text is `text`; returns the lines. With a marker
/// published last, lines of a channel come in seq order, so all before it are shown by then.
export async function waitLine(page, text, timeout = 10000) {
    await page.waitForFunction((t) => [...document.querySelectorAll('#messages li[data-seq] .text')].some((e) => e.textContent === t),
                               text, { timeout });
    return lines(page);
}

/// Waits until the page lists at least `count` clients as present; returns their transports.
export async function waitPresence(page, count, timeout = 10000) {
    await page.waitForFunction((n) => document.querySelectorAll('#presence li').length >= n, count,
                               { timeout });
    return page.$$eval('#presence li', (items) => items.map((li) => li.textContent));
}

/// Asserts that a page's lines are exactly `expected` texts, each once, in seq order.
export function assertExactlyOnce(shown, expected, what) {
    const seqs = shown.map((l) => l.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), `${what}: in seq order`);
    assert.equal(new Set(seqs).size, seqs.length, `${what}: no duplicates`);
    assert.deepEqual(shown.map((l) => l.text), expected, what);
}
