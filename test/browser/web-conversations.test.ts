// The web page's conversations in chromium against real nodes on 127.0.0.1: drafts, right-to-left text,
// links, date lines, the "new messages" line, sending again, another user's sends, and what the page shows
// while its own node is down. Every wait is for a condition with a deadline; see test/support/web-fixture.ts
// for what fails a test besides its assertions. Run `npm run build` first (`npm test` does).
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/application/ports/clock.js';
import {
  attr,
  BROWSER_TESTS_REQUIRED,
  chromiumMissing,
  draft,
  listItem,
  logLines,
  openConversation,
  type PageGlobals,
  screenshot,
  sendMessage,
  waitConnected,
  waitForMessage,
} from '../support/browser.js';
import { webFixture } from '../support/web-fixture.js';

const missing = chromiumMissing();
const skip = missing !== undefined && !BROWSER_TESTS_REQUIRED;

const DAY_MS = 24 * 3_600_000;

/** A node's clock `offsetMs` off the real one (its messages carry that time). */
function skewedClock(offsetMs: number): Clock {
  return {
    now: () => Date.now() + offsetMs,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref()),
  };
}

describe.skipIf(skip)(
  skip ? `the web page's conversations (skipped: ${missing})` : "the web page's conversations",
  () => {
    const web = webFixture();

    it('keeps a draft per conversation, across switching and reloading, and sends it only where it was written', async () => {
      const [alpha] = await web.network(['alpha', 'bravo']);
      if (!alpha) throw new Error('nodes did not start');
      const page = await web.user(alpha, 'page on alpha');
      await listItem(page, 'bravo').waitFor();

      await openConversation(page, 'bravo');
      await page.locator('#message').fill('a line for bravo');
      await openConversation(page, '*');
      expect(await draft(page)).toBe('');
      await page.locator('#message').fill('a line for everyone');
      await openConversation(page, 'bravo');
      expect(await draft(page)).toBe('a line for bravo');

      await page.reload();
      await waitConnected(page, 'alpha');
      await page.waitForSelector('#chat[data-node-id="bravo"]');
      expect(await draft(page)).toBe('a line for bravo');
      await openConversation(page, '*');
      expect(await draft(page)).toBe('a line for everyone');

      await openConversation(page, 'bravo');
      await page.locator('#send').click();
      await waitForMessage(page, 'a line for bravo', { status: 'delivered' });
      expect(await draft(page)).toBe('');
      await openConversation(page, '*');
      expect(await draft(page)).toBe('a line for everyone');
      expect(await page.locator('#log li.msg').count()).toBe(0);
      await openConversation(page, 'bravo');
      expect(await draft(page)).toBe('');
    });

    it("on a 320 px phone, the conversation's name is not cut short by the Older messages button", async () => {
      const [alpha] = await web.network(['alpha', 'bravo-node'], { historyPage: 2 });
      if (!alpha) throw new Error('nodes did not start');
      const page = await web.user(alpha, 'small phone on alpha', {
        phone: true,
        viewport: { width: 320, height: 640 },
      });
      await openConversation(page, 'bravo-node', 'tap');
      for (const text of ['one', 'two', 'three']) {
        await sendMessage(page, text);
        await waitForMessage(page, text, { status: 'delivered' });
      }
      await page.reload();
      await waitConnected(page, 'alpha');
      await openConversation(page, 'bravo-node', 'tap');
      await page.locator('#load-older').waitFor({ state: 'visible' });
      const title = await page.evaluate(() => {
        const { document } = globalThis as unknown as PageGlobals;
        const h2 = document.getElementById('conv-title') as unknown as {
          scrollWidth: number;
          clientWidth: number;
        };
        return {
          text: document.getElementById('dest-id')?.textContent,
          cut: h2.scrollWidth > h2.clientWidth,
        };
      });
      expect(title).toEqual({ text: 'bravo-node', cut: false });
      await screenshot(page, 'small-phone-older-messages');
    });

    it('lays right-to-left text out right to left and makes http(s) URLs links, and nothing else', async () => {
      const [alpha, bravo] = await web.network(['alpha', 'bravo']);
      if (!alpha || !bravo) throw new Error('nodes did not start');
      const [pageA, pageB] = await Promise.all([
        web.user(alpha, 'page on alpha'),
        web.user(bravo, 'page on bravo'),
      ]);
      await pageA.locator('#display-name').fill('سلمى');
      await openConversation(pageA, 'bravo');
      const arabic = 'مرحبا، كيف حالك؟';
      const links =
        'see https://example.com/a?b=1&c=2, <http://example.org/x>. ' +
        'not javascript:alert(1) nor data:text/html,hi nor ftp://example.net';
      await sendMessage(pageA, arabic);
      await waitForMessage(pageA, arabic, { status: 'delivered' });
      await sendMessage(pageA, links);
      await waitForMessage(pageA, links, { status: 'delivered' });

      await openConversation(pageB, 'alpha');
      await waitForMessage(pageB, arabic);
      const shown = await waitForMessage(pageB, links);
      expect(shown.user).toBe('سلمى');
      const layout = await pageB.evaluate((text) => {
        const win = globalThis as unknown as PageGlobals;
        const item = Array.from(win.document.querySelectorAll('#log li.msg')).find(
          (li) => li.querySelector('.msg-text')?.textContent === text,
        );
        const body = item?.querySelector('.msg-text');
        const name = item?.querySelector('.msg-user');
        const preview = win.document.querySelector('#node-list [data-node-id="alpha"] .conv-preview bdi');
        if (!body || !name || !preview) throw new Error('message, name or preview not found');
        return {
          dirs: [body.dir, name.dir, preview.dir],
          direction: win.getComputedStyle(body).direction,
          nameDirection: win.getComputedStyle(name).direction,
        };
      }, arabic);
      expect(layout).toEqual({ dirs: ['auto', 'auto', 'auto'], direction: 'rtl', nameDirection: 'rtl' });

      const anchors = await pageB.locator('#log li.msg a').evaluateAll((all) =>
        all.map((a) => ({
          text: a.textContent,
          href: a.getAttribute('href'),
          target: a.getAttribute('target'),
          rel: a.getAttribute('rel'),
        })),
      );
      expect(anchors).toEqual([
        {
          text: 'https://example.com/a?b=1&c=2',
          href: 'https://example.com/a?b=1&c=2',
          target: '_blank',
          rel: 'noopener noreferrer',
        },
        {
          text: 'http://example.org/x',
          href: 'http://example.org/x',
          target: '_blank',
          rel: 'noopener noreferrer',
        },
      ]);
      await screenshot(pageB, 'rtl-and-links');
    });

    it('shows what another user of the same node sent as sent from this node, with its delivery tick', async () => {
      const [alpha] = await web.network(['alpha', 'bravo']);
      if (!alpha) throw new Error('nodes did not start');
      const [ana, carla] = await Promise.all([
        web.user(alpha, 'Ana on alpha'),
        web.user(alpha, 'Carla on alpha'),
      ]);
      await ana.locator('#display-name').fill('Ana');
      await openConversation(ana, 'bravo');
      await openConversation(carla, 'bravo');

      await sendMessage(ana, 'from Ana to bravo');
      await waitForMessage(ana, 'from Ana to bravo', { status: 'delivered' });
      const seen = await waitForMessage(carla, 'from Ana to bravo', { status: 'delivered' });
      expect(seen).toMatchObject({ mine: 'true', from: 'alpha', user: 'Ana (this node)' });
      expect(await carla.locator('#log li.msg .tick').textContent()).toBe('✓ delivered');
      // The same after a reload, from history.
      await carla.reload();
      await waitConnected(carla, 'alpha');
      expect(await waitForMessage(carla, 'from Ana to bravo', { status: 'delivered' })).toMatchObject(seen);
    });

    it('offers to send an expired message again, and the new copy is delivered once its node is back', async () => {
      const delivery = {
        ttlMs: 1_500,
        expiryCheckMs: 100,
        ackWaitMs: 200,
        retryBaseMs: 100,
        retryMaxMs: 300,
      };
      const [alpha, bravo] = await web.network(['alpha', 'bravo'], { delivery });
      if (!alpha || !bravo) throw new Error('nodes did not start');
      const page = await web.user(alpha, 'page on alpha');
      await openConversation(page, 'bravo');
      await bravo.stop({ leave: false });

      await sendMessage(page, 'are you there?');
      const expired = await waitForMessage(page, 'are you there?', { status: 'expired' });
      const resend = page.locator(`#log li.msg[data-id=${attr(expired.id ?? '')}] [data-testid="resend"]`);
      await resend.waitFor({ state: 'visible' });
      await page.waitForSelector('#conv-sub [data-testid="conv-note"]:has-text("not delivered: send again")');
      expect(await page.locator('#conv-sub').textContent()).not.toContain('waiting');
      await screenshot(page, 'resend-offered');

      await web.node('bravo', { join: [alpha.url] });
      await page.waitForSelector('#node-list button[data-node-id="bravo"][data-state="alive"]');
      await resend.click();
      await page.waitForFunction(() => {
        const { document } = globalThis as unknown as PageGlobals;
        const items = Array.from(document.querySelectorAll('#log li.msg'));
        return items.length === 2 && items[1]?.dataset.status === 'delivered';
      });
      await resend.waitFor({ state: 'hidden' });
      const ticks = await page.locator('#log li.msg .tick').allTextContents();
      expect(ticks[0]).toMatch(/^✗ expired: .*time to live.* · sent again$/);
      expect(ticks[1]).toBe('✓ delivered');
      expect(await page.locator('#conv-sub').textContent()).not.toContain('not delivered');
    });

    it('offers to send a refused message again, and the new attempt is delivered', async () => {
      const [alpha] = await web.network(['alpha', 'bravo']);
      if (!alpha) throw new Error('nodes did not start');
      const session = await web.browser();
      const page = await session.newPage('page on alpha');
      // The node refuses the page's first send (as it would over its rate limit); the rest pass through.
      let refused = false;
      await page.routeWebSocket(
        (url) => url.pathname === '/ws',
        (ws) => {
          const server = ws.connectToServer();
          ws.onMessage((message) => {
            const frame = typeof message === 'string' ? JSON.parse(message) : undefined;
            if (refused || frame?.type !== 'msg') return server.send(message);
            refused = true;
            const error = { code: 'rate_limited', message: 'Too many messages; try again in a moment.' };
            ws.send(JSON.stringify({ type: 'ack', ref: frame.ref, ok: false, error }));
          });
        },
      );
      await page.goto(alpha.url);
      await waitConnected(page, 'alpha');
      await openConversation(page, 'bravo');

      await sendMessage(page, 'hello again');
      await waitForMessage(page, 'hello again', { status: 'failed' });
      const resend = page.locator('#log li.msg').first().locator('[data-testid="resend"]');
      await resend.waitFor({ state: 'visible' });
      await page.waitForSelector('#conv-sub [data-testid="conv-note"]:has-text("not delivered: send again")');
      await resend.click();
      await page.waitForFunction(() => {
        const { document } = globalThis as unknown as PageGlobals;
        const items = Array.from(document.querySelectorAll('#log li.msg'));
        return items.length === 2 && items[1]?.dataset.status === 'delivered';
      });
      await resend.waitFor({ state: 'hidden' });
      expect(await page.locator('#log li.msg [data-testid="resend"]:visible').count()).toBe(0);
      const ticks = await page.locator('#log li.msg .tick').allTextContents();
      expect(ticks).toEqual([
        '✗ failed: Too many messages; try again in a moment. (rate_limited) · sent again',
        '✓ delivered',
      ]);
    });

    it('dates messages with a line per day, and marks where the unread ones start', async () => {
      const alpha = await web.node('alpha');
      const bravo = await web.node('bravo', { join: [alpha.url], clock: skewedClock(-3 * DAY_MS) });
      const [pageA, pageB] = await Promise.all([
        web.user(alpha, 'page on alpha'),
        web.user(bravo, 'page on bravo'),
      ]);
      await openConversation(pageB, 'alpha');
      await sendMessage(pageB, 'sent three days ago');
      await waitForMessage(pageB, 'sent three days ago', { status: 'delivered' });

      await pageA.waitForSelector('#node-list button[data-node-id="bravo"] .unread[data-unread="1"]');
      await openConversation(pageA, 'bravo');
      await waitForMessage(pageA, 'sent three days ago');
      await sendMessage(pageA, 'and this today');
      await waitForMessage(pageA, 'and this today', { status: 'delivered' });
      const lines = await logLines(pageA);
      expect(lines).toHaveLength(5);
      expect(lines[0]).toMatch(/^day:(?!Today|Yesterday)/);
      expect(lines.slice(1)).toEqual(['new', 'msg:sent three days ago', 'day:Today', 'msg:and this today']);
      await screenshot(pageA, 'day-lines');

      // The "new messages" line stays until another conversation is opened.
      await openConversation(pageA, '*');
      await openConversation(pageA, 'bravo');
      expect((await logLines(pageA)).filter((l) => l === 'new')).toEqual([]);
    });

    it('shows the other nodes as unknown while its node is down, and is back within seconds of its return', async () => {
      const [alpha, bravo] = await web.network(['alpha', 'bravo']);
      if (!alpha || !bravo) throw new Error('nodes did not start');
      const page = await web.user(alpha, 'page on alpha');
      await page.waitForSelector('#node-list button[data-node-id="bravo"][data-state="alive"]');

      const port = Number(new URL(alpha.url).port);
      // Chromium logs each refused attempt to open the socket; those, and only those, are expected here.
      web.allowProblems(
        new RegExp(`console\\.error: WebSocket connection to 'ws://127\\.0\\.0\\.1:${port}/ws' failed`),
      );
      await alpha.stop({ leave: false });
      await page.waitForSelector('#conn-state[data-state="waiting"]');
      await page.waitForSelector('#node-list button[data-node-id="bravo"][data-state="unknown"]');
      await page.waitForSelector('#node-list button[data-node-id="alpha"][data-state="unknown"]');
      await screenshot(page, 'node-down-unknown');
      // Down long enough that an uncapped backoff would wait many seconds before its next try.
      await page.waitForFunction(
        () => {
          const { document } = globalThis as unknown as PageGlobals;
          return Number(document.getElementById('conn-state')?.dataset.attempt) >= 5;
        },
        undefined,
        { timeout: 15_000 },
      );
      await web.node('alpha', { config: { port }, join: [bravo.url] });
      const back = Date.now();
      await page.waitForSelector('#conn-state[data-state="open"]', { timeout: 4_000 });
      console.info(`the page reconnected ${Date.now() - back} ms after its node was back`);
      await page.waitForSelector('#node-list button[data-node-id="bravo"][data-state="alive"]');
    });
  },
);
