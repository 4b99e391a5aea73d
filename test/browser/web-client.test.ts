// The web client in a real browser (Debian's chromium through playwright-core) against real nodes on
// 127.0.0.1. Every wait is for a condition with a deadline; a page error, console error, dialog or request
// leaving loopback fails the test. Screenshots go to test-output/screenshots/. Run `npm run build` first
// (`npm test` does): the nodes serve dist/web/app.js.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { detectionBoundMs, MEMBERSHIP_PROFILES } from '../../src/application/membership/settings.js';
import type { MeshNode } from '../../src/mesh-node.js';
import type { NodeConfig } from '../../src/node-config.js';
import {
  assertBrowserSuiteCanRun,
  attr,
  BROWSER_TESTS_REQUIRED,
  type BrowserOptions,
  type BrowserSession,
  chromiumMissing,
  holdBackMeshFrames,
  launchBrowser,
  listItem,
  openConversation,
  type PageGlobals,
  screenshot,
  sendMessage,
  waitConnected,
  waitForMessage,
} from '../support/browser.js';
import { startTestNode, stopAll } from '../support/nodes.js';
import { connectSocketIoUser } from '../support/users.js';

const missing = chromiumMissing();
const skip = missing !== undefined && !BROWSER_TESTS_REQUIRED;
if (skip) console.warn(`browser tests skipped: ${missing}; install it with \`apt-get install chromium\``);

/** Fast failure detection for the crash test, still far above a loaded machine's scheduling hiccups. */
const FAST = {
  ...MEMBERSHIP_PROFILES.lan,
  probeIntervalMs: 300,
  suspicionTimeoutMs: 1_500,
  gossipIntervalMs: 500,
};
/** The nodes' leave timeout (test/support/nodes.ts): by then the others were told. */
const LEAVE_TIMEOUT_MS = 2_000;
/** Slack for a loaded CI machine (chromium and other test files share the CPUs). */
const CI_MARGIN_MS = 4_500;
/** By then every node (and so the page on one) shows a crashed node as down. */
const DOWN_DEADLINE_MS = detectionBoundMs(FAST) + FAST.gossipIntervalMs + CI_MARGIN_MS;
/** A node that leaves tells the others itself. */
const LEFT_DEADLINE_MS = LEAVE_TIMEOUT_MS + CI_MARGIN_MS;

const PHONE: BrowserOptions = { viewport: { width: 390, height: 844 }, phone: true };
/** Between phone and laptop: the map is a pane of its own, opened with the Network button. */
const TABLET: BrowserOptions = { viewport: { width: 900, height: 760 } };

describe.skipIf(skip)(
  skip ? `the web client in chromium (skipped: ${missing})` : 'the web client in chromium',
  () => {
    const nodes: MeshNode[] = [];
    const browsers: BrowserSession[] = [];
    /** Data dirs of keyed nodes, removed once the nodes stopped. */
    const dataDirs: string[] = [];

    beforeEach(() => assertBrowserSuiteCanRun());

    afterEach(async () => {
      // What the pages reported while the test ran; closing them and stopping the nodes may add noise.
      const problems = browsers.flatMap((b) => [...b.problems]);
      try {
        await Promise.all(browsers.splice(0).map((b) => b.close()));
      } finally {
        await stopAll(nodes);
        for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
      }
      expect(problems, 'the pages reported errors').toEqual([]);
    });

    async function browser(options?: BrowserOptions): Promise<BrowserSession> {
      const session = await launchBrowser(options);
      browsers.push(session);
      return session;
    }

    /** A node of the map, in `state`. */
    const meshNode = (page: Page, id: string, state: string) =>
      page.locator(`#mesh g.mesh-node[data-node-id=${attr(id)}][data-state=${attr(state)}]`);
    /** The arrow saying `from` lists `to`. */
    const meshEdge = (page: Page, from: string, to: string) =>
      page.locator(`#mesh path.mesh-edge[data-from=${attr(from)}][data-to=${attr(to)}]`);

    /** Starts nodes `ids`, each joined through the first, with `config` for all. */
    async function network(ids: string[], config?: Partial<NodeConfig>) {
      const started: MeshNode[] = [];
      for (const id of ids) {
        const join = started[0] ? [started[0].url] : [];
        const node = await startTestNode(id, { join, ...(config ? { config } : {}) });
        nodes.push(node);
        started.push(node);
      }
      return started;
    }

    /** Nodes alpha and bravo, each with a page open in a browser of its own (as on two machines). */
    async function twoPages() {
      const [alpha, bravo] = await network(['alpha', 'bravo']);
      if (!alpha || !bravo) throw new Error('nodes did not start');
      const [userA, userB] = await Promise.all([browser(), browser()]);
      const [pageA, pageB] = await Promise.all([
        userA.open(alpha.url, 'page on alpha'),
        userB.open(bravo.url, 'page on bravo'),
      ]);
      await waitConnected(pageA, 'alpha');
      await waitConnected(pageB, 'bravo');
      return { pageA, pageB };
    }

    it('two pages on two nodes chat both ways, with names, and the sender sees the delivered tick', async () => {
      const { pageA, pageB } = await twoPages();

      await pageA.locator('#display-name').fill('Ana');
      await pageB.locator('#display-name').fill('Bruno');
      await openConversation(pageA, 'bravo');
      await pageB.waitForSelector('#node-list button[data-node-id="alpha"][data-state="alive"]');

      const hello = 'Hello bravo, this is Ana ✓';
      await sendMessage(pageA, hello);
      const sent = await waitForMessage(pageA, hello, { status: 'delivered' });
      expect(sent).toMatchObject({ mine: 'true', from: 'alpha', user: 'Ana (you)' });
      expect(sent.id).toEqual(expect.any(String));
      expect(await pageA.locator('#message').inputValue()).toBe('');

      // bravo's page has Everyone open: the message waits, counted, in the conversation with alpha.
      await pageB.waitForSelector('#node-list button[data-node-id="alpha"] .unread[data-unread="1"]');
      await openConversation(pageB, 'alpha');
      const received = await waitForMessage(pageB, hello);
      expect(received).toMatchObject({ id: sent.id, mine: 'false', from: 'alpha', user: 'Ana' });
      await pageB.waitForSelector('#node-list button[data-node-id="alpha"] .unread[data-unread="0"]', {
        state: 'attached',
      });
      expect(await pageB.locator('#dest-id').textContent()).toBe('alpha');

      const reply = 'Hi Ana! Bruno here.';
      await sendMessage(pageB, reply);
      const replied = await waitForMessage(pageB, reply, { status: 'delivered' });
      expect(replied).toMatchObject({ mine: 'true', from: 'bravo', user: 'Bruno (you)' });
      const got = await waitForMessage(pageA, reply);
      expect(got).toMatchObject({ id: replied.id, mine: 'false', from: 'bravo', user: 'Bruno' });
      // Both messages, in order, in alpha's conversation with bravo; nothing leaked into Everyone.
      expect(await pageA.locator('#log li.msg .msg-text').allTextContents()).toEqual([hello, reply]);
      await screenshot(pageA, 'chat-two-nodes');
      await screenshot(pageB, 'chat-two-nodes-bravo');
      await openConversation(pageA, '*');
      expect(await pageA.locator('#log li.msg').count()).toBe(0);
    });

    it("marks a keyed node's messages verified with a small check, and a plain node's not", async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'meshchat-web-verified-'));
      try {
        const alpha = await startTestNode('alpha', { config: { dataDir } });
        nodes.push(alpha);
        const [bravo] = await network(['bravo'], { join: [alpha.url] });
        if (!bravo) throw new Error('bravo did not start');
        const [userA, userB] = await Promise.all([browser(), browser()]);
        const [pageA, pageB] = await Promise.all([
          userA.open(alpha.url, 'page on alpha'),
          userB.open(bravo.url, 'page on bravo'),
        ]);
        await waitConnected(pageA, 'alpha');
        await waitConnected(pageB, 'bravo');
        // bravo binds alpha's key when it verifies alpha's signed record; its nodes event then says so.
        await openConversation(pageB, 'alpha');
        await pageB.waitForSelector('#conv-sub .conv-note:text("verified")');
        await openConversation(pageA, 'bravo');
        await pageA.waitForSelector('#node-list button[data-node-id="bravo"][data-state="alive"]');
        expect(await pageA.locator('#conv-sub .conv-note:text("verified")').count()).toBe(0);

        await sendMessage(pageA, 'signed by alpha');
        await waitForMessage(pageB, 'signed by alpha');
        const fromAlpha = pageB.locator('#log li.msg', { hasText: 'signed by alpha' });
        expect(await fromAlpha.getAttribute('data-verified')).toBe('true');
        expect(await fromAlpha.locator('.msg-from .msg-verified').textContent()).toBe(' ✓');
        expect(await fromAlpha.locator('.msg-from').getAttribute('title')).toContain('signature verified');

        await sendMessage(pageB, 'bravo has no key');
        await waitForMessage(pageA, 'bravo has no key');
        const fromBravo = pageA.locator('#log li.msg', { hasText: 'bravo has no key' });
        expect(await fromBravo.getAttribute('data-verified')).toBeNull();
        expect(await fromBravo.locator('.msg-verified').count()).toBe(0);
        await screenshot(pageB, 'chat-verified-sender');
      } finally {
        dataDirs.push(dataDir);
      }
    });

    it('shows the newest page of history and loads older pages with the Older messages button', async () => {
      const open = { ratePerSecond: 0, burst: 0 };
      const [alpha] = await network(['alpha'], {
        historyPage: 5,
        rateLimits: { connection: open, account: open, address: open },
      });
      if (!alpha) throw new Error('node did not start');
      const writer = await connectSocketIoUser(alpha.url);
      try {
        for (let i = 1; i <= 12; i++) expect(await writer.send('*', `old ${i}`)).toMatchObject({ ok: true });
      } finally {
        writer.close();
      }
      const page = await (await browser()).open(alpha.url, 'page on alpha');
      await waitConnected(page, 'alpha');
      await openConversation(page, '*');
      const texts = () => page.locator('#log li.msg .msg-text').allTextContents();
      const older = page.locator('#load-older');
      await waitForMessage(page, 'old 12');
      expect(await texts()).toEqual(['old 8', 'old 9', 'old 10', 'old 11', 'old 12']);
      await older.waitFor({ state: 'visible' });
      await older.click();
      await waitForMessage(page, 'old 3');
      expect(await texts()).toEqual(Array.from({ length: 10 }, (_, i) => `old ${i + 3}`));
      await older.click();
      await waitForMessage(page, 'old 1');
      await older.waitFor({ state: 'hidden' });
      expect(await texts()).toEqual(Array.from({ length: 12 }, (_, i) => `old ${i + 1}`));
      await screenshot(page, 'history-older-pages');
    });

    it('shows markup in a message and a name as literal text, creating no element and running nothing', async () => {
      const { pageA, pageB } = await twoPages();
      await openConversation(pageB, 'alpha');

      const payload =
        '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>' +
        '<svg onload="window.__xss=3"></svg><a href="javascript:window.__xss=4">link</a> & &amp;';
      const name = '"><img src=y onerror="window.__xss=5">';
      await pageA.locator('#display-name').fill(name);
      await openConversation(pageA, 'bravo');
      await sendMessage(pageA, payload);
      await waitForMessage(pageA, payload, { status: 'delivered' });

      const shown = await waitForMessage(pageB, payload);
      expect(shown).toMatchObject({ mine: 'false', from: 'alpha', user: name });
      const injected = (page: typeof pageB) =>
        page.evaluate(() => {
          const { document, __xss } = globalThis as unknown as PageGlobals;
          return {
            elements: document.body.querySelectorAll(
              'img, script, iframe, object, embed, #log svg, #log a, [onerror], [onload], [href^="javascript"]',
            ).length,
            xss: __xss,
            texts: Array.from(document.querySelectorAll('#log li.msg .msg-text'), (n) => ({
              text: n.textContent,
              children: n.childElementCount,
            })),
          };
        });
      for (const page of [pageA, pageB]) {
        const found = await injected(page);
        expect(found.elements).toBe(0);
        expect(found.xss).toBeUndefined();
        expect(found.texts).toEqual([{ text: payload, children: 0 }]);
      }
      // The list's preview and the screen-reader announcement carry the same text, as text.
      const preview = await listItem(pageB, 'alpha').locator('.conv-preview').textContent();
      expect(preview).toContain('<img src=x');
      expect(await pageB.locator('#announcer img, #node-list img').count()).toBe(0);
      await screenshot(pageB, 'xss-as-text');
    });

    it.each([
      ['the map the node sends', false],
      ['a star from the node list (mesh frames held back, as from a node that sends none)', true],
    ])(
      'the network map shows a crashed node and a node that left as down, the others up: %s',
      async (_, star) => {
        const ids = ['alpha', 'bravo', 'charlie', 'delta'];
        const [alpha, , charlie, delta] = await network(ids, { membership: FAST });
        if (!alpha || !charlie || !delta) throw new Error('nodes did not start');
        const session = await browser(TABLET);
        const page = await session.newPage('page on alpha');
        if (star) await holdBackMeshFrames(page);
        await page.goto(alpha.url);
        await waitConnected(page, 'alpha');

        await page.locator('#mesh-toggle').click();
        await page.waitForSelector('body[data-view="mesh"]');
        await page.locator('#mesh').waitFor({ state: 'visible' });
        for (const id of ids) await meshNode(page, id, 'alive').waitFor();
        for (const id of ['bravo', 'charlie', 'delta'])
          await meshEdge(page, 'alpha', id).waitFor({ state: 'attached' });
        await screenshot(page, `mesh-all-up${star ? '-star' : ''}`);

        // From now on, record every moment bravo is drawn as down or missing: it must never be.
        await page.evaluate(() => {
          const win = globalThis as unknown as PageGlobals;
          const seen: string[] = [];
          win.__downMoments = seen;
          const mesh = win.document.getElementById('mesh');
          if (!mesh) throw new Error('no #mesh');
          new win.MutationObserver(() => {
            const g = mesh.querySelector('g.mesh-node[data-node-id="bravo"]');
            if (!g) seen.push('missing');
            else if (g.dataset.state === 'dead') seen.push('dead');
          }).observe(mesh, { childList: true, subtree: true, attributes: true });
        });

        const stoppedAt = Date.now();
        await Promise.all([charlie.stop({ leave: false }), delta.stop()]);
        await meshNode(page, 'delta', 'dead').waitFor({ timeout: LEFT_DEADLINE_MS });
        const leftShownMs = Date.now() - stoppedAt;
        await meshNode(page, 'charlie', 'dead').waitFor({ timeout: DOWN_DEADLINE_MS });
        const crashShownMs = Date.now() - stoppedAt;
        // alpha no longer lists them, so no arrow goes from alpha to either.
        for (const id of ['charlie', 'delta'])
          await meshEdge(page, 'alpha', id).waitFor({ state: 'detached' });
        await meshNode(page, 'bravo', 'alive').waitFor();
        await meshEdge(page, 'alpha', 'bravo').waitFor({ state: 'attached' });
        expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).__downMoments)).toEqual([]);
        expect(await page.locator('#mesh-summary').textContent()).toMatch(/\b2 down\b/);
        await screenshot(page, `mesh-node-down${star ? '-star' : ''}`);

        // The list says the same once the map is closed.
        await page.locator('#mesh-back').click();
        await page.waitForSelector('body[data-view="chat"]');
        for (const id of ['charlie', 'delta']) {
          await page.waitForSelector(`#node-list button[data-node-id=${attr(id)}][data-state="dead"]`);
        }
        // Every node is still listed and counted; a broadcast still goes to the crashed one (a copy waits for
        // it), not to the one that left, which only the node's map can tell.
        expect(await page.locator('#node-count').textContent()).toBe('4');
        if (!star) {
          expect(await listItem(page, '*').locator('.node-state').textContent()).toBe(
            'broadcast · 2 other nodes, 1 down',
          );
        }
        console.info(
          `${star ? 'star' : 'mesh'} map: a node that left shown down after ${leftShownMs} ms, a crashed one after ${crashShownMs} ms`,
        );
      },
    );

    it('on a phone, the list and a conversation each fill the screen and chatting works by touch', async () => {
      const [alpha, bravo] = await network(['alpha', 'bravo']);
      if (!alpha || !bravo) throw new Error('nodes did not start');
      const session = await browser(PHONE);
      const page = await session.open(alpha.url, 'phone on alpha');
      await waitConnected(page, 'alpha');

      await page.waitForSelector('body[data-view="list"]');
      await listItem(page, 'bravo').waitFor({ state: 'visible' });
      expect(await page.locator('#chat').isVisible()).toBe(false);
      await screenshot(page, 'phone-list');

      await openConversation(page, 'bravo', 'tap');
      await page.waitForSelector('body[data-view="chat"]');
      await page.locator('#message').waitFor({ state: 'visible' });
      expect(await page.locator('#node-list').isVisible()).toBe(false);
      expect(await page.locator('#back').isVisible()).toBe(true);
      // No keyboard on a phone: the keyboard hint is not shown.
      expect(await page.locator('#composer-hint').isVisible()).toBe(false);

      await page.locator('#message').fill('sent from a phone');
      await page.locator('#send').tap();
      await waitForMessage(page, 'sent from a phone', { status: 'delivered' });
      // Nothing sticks out sideways, and the composer is on screen.
      const overflow = await page.evaluate(() => {
        const { document, innerWidth } = globalThis as unknown as PageGlobals;
        return document.documentElement.scrollWidth - innerWidth;
      });
      expect(overflow).toBe(0);
      const send = await page.locator('#send').boundingBox();
      const screen = page.viewportSize();
      if (!send || !screen) throw new Error('no box for #send, or no viewport');
      expect(send.x).toBeGreaterThanOrEqual(0);
      expect(send.y).toBeGreaterThanOrEqual(0);
      expect(send.x + send.width).toBeLessThanOrEqual(screen.width);
      expect(send.y + send.height).toBeLessThanOrEqual(screen.height);
      await screenshot(page, 'phone');

      await page.locator('#back').tap();
      await page.waitForSelector('body[data-view="list"]');
      await listItem(page, 'bravo').waitFor({ state: 'visible' });
    });

    it('works from the keyboard: arrows and Enter open a conversation, Enter sends, Shift+Enter adds a line', async () => {
      const [alpha, bravo] = await network(['alpha', 'bravo']);
      if (!alpha || !bravo) throw new Error('nodes did not start');
      const session = await browser();
      const page = await session.open(alpha.url, 'page on alpha');
      await waitConnected(page, 'alpha');
      await listItem(page, 'bravo').waitFor();

      // The list: Everyone, this node, then the others.
      await listItem(page, '*').focus();
      await page.keyboard.press('ArrowDown');
      await page.waitForSelector('#node-list button[data-node-id="alpha"]:focus');
      await page.keyboard.press('ArrowDown');
      await page.waitForSelector('#node-list button[data-node-id="bravo"]:focus');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#chat[data-node-id="bravo"]');
      await page.waitForSelector('#message:focus');
      expect(await page.locator('#composer-hint').textContent()).toContain('Shift+Enter');
      expect(await page.locator('#composer-hint').isVisible()).toBe(true);

      await page.keyboard.type('first line');
      await page.keyboard.press('Shift+Enter');
      await page.keyboard.type('second line');
      expect(await page.locator('#log li.msg').count()).toBe(0);
      await page.keyboard.press('Enter');
      await waitForMessage(page, 'first line\nsecond line', { status: 'delivered' });
      expect(await page.locator('#message').inputValue()).toBe('');
      await page.waitForSelector('#message:focus');
      await screenshot(page, 'keyboard');
    });
  },
);
