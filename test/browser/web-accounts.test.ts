// The web page's accounts in chromium against real nodes on 127.0.0.1: signing up, in and out, People with
// presence, direct conversations between two nodes, what an anonymous page on the same node sees (nothing of
// them), a token that no longer works, refusals in words, and hostile names and texts rendered as text.
// Every wait is for a condition with a deadline; see test/support/web-fixture.ts. Run `npm run build` first.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { callNode } from '../support/accounts-http.js';
import {
  BROWSER_TESTS_REQUIRED,
  chromiumMissing,
  listItem,
  openConversation,
  type PageGlobals,
  screenshot,
  sendMessage,
  waitConnected,
  waitForMessage,
} from '../support/browser.js';
import {
  person,
  refusal,
  signIn,
  signUp,
  waitAnonymous,
  waitForPresence,
  waitSignedIn,
} from '../support/web-accounts.js';
import { webFixture } from '../support/web-fixture.js';

const missing = chromiumMissing();
const skip = missing !== undefined && !BROWSER_TESTS_REQUIRED;

/** The nodes' heartbeat: a page that closes is offline within about two of them (docs/accounts.md). */
const HEARTBEAT_MS = 300;
const PASSWORD = 'correct horse battery';
/** Chromium logs every 4xx answer to fetch; a refused sign-in is one on purpose. */
const REFUSED_CALL = /Failed to load resource: the server responded with a status of (400|401|409|429)/;

/** Every text frame the page's WebSocket receives, recorded from before the page loads. */
function recordFrames(page: Page): string[] {
  const frames: string[] = [];
  page.on('websocket', (ws) =>
    ws.on('framereceived', ({ payload }) => {
      frames.push(typeof payload === 'string' ? payload : payload.toString('utf8'));
    }),
  );
  return frames;
}

/** The sign-in token the page keeps for its tab. */
function pageToken(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const g = globalThis as unknown as { sessionStorage: { getItem(key: string): string | null } };
    return g.sessionStorage.getItem('meshchat.token');
  });
}

describe.skipIf(skip)(
  skip ? `the web page's accounts (skipped: ${missing})` : "the web page's accounts",
  () => {
    const web = webFixture();

    it('lets users on two nodes write to each other directly; an anonymous page on the same node sees none of it, and the dot goes grey when one leaves', async () => {
      const [alpha, bravo] = await web.network(['alpha', 'bravo'], { heartbeatMs: HEARTBEAT_MS });
      if (!alpha || !bravo) throw new Error('nodes did not start');
      const browser = await web.browser();
      const pageA = await browser.open(alpha.url, 'alice on alpha');
      const pageB = await browser.open(bravo.url, 'bob on bravo');
      await Promise.all([waitConnected(pageA, 'alpha'), waitConnected(pageB, 'bravo')]);
      const stranger = await (await web.browser()).newPage('anonymous on alpha');
      const strangerFrames = recordFrames(stranger);
      await stranger.goto(alpha.url);
      await waitConnected(stranger, 'alpha');

      await signUp(pageA, 'alice', PASSWORD, 'alice@alpha');
      await signUp(pageB, 'Bob', PASSWORD, 'bob@bravo');
      await screenshot(pageA, 'accounts-signed-in-desktop');

      // Alice finds Bob among the People of the mesh, online, and writes to him.
      await waitForPresence(pageA, 'bob@bravo', 'online', 15_000);
      expect(await person(pageA, 'alice@alpha').count()).toBe(0);
      await person(pageA, 'bob@bravo').click();
      await pageA.waitForSelector('#chat[data-node-id="bob@bravo"]');
      await sendMessage(pageA, 'hello bob, only you');
      expect(await waitForMessage(pageA, 'hello bob, only you', { status: 'delivered' })).toMatchObject({
        mine: 'true',
      });
      // The list's heading counts nodes: the conversation with Bob is not one.
      expect(await pageA.locator('#node-count').textContent()).toBe('2');

      // Bob's page gets a conversation with Alice, unread, and answers in it.
      const fromAlice = listItem(pageB, 'alice@alpha');
      await fromAlice.locator('[data-testid="unread"][data-unread="1"]').waitFor();
      await openConversation(pageB, 'alice@alpha');
      expect(await waitForMessage(pageB, 'hello bob, only you')).toMatchObject({
        mine: 'false',
        from: 'alpha',
        user: 'alice@alpha',
      });
      await sendMessage(pageB, 'hi alice, just us');
      await waitForMessage(pageB, 'hi alice, just us', { status: 'delivered' });
      expect(await waitForMessage(pageA, 'hi alice, just us')).toMatchObject({ user: 'bob@bravo' });
      await screenshot(pageB, 'accounts-direct-conversation-desktop');

      // Alice's second tab, on the same node, shows her sent message in the same conversation.
      const secondTab = await browser.open(alpha.url, 'alice, second tab');
      await waitConnected(secondTab, 'alpha');
      await signIn(secondTab, 'alice', PASSWORD, 'alice@alpha');
      await openConversation(secondTab, 'bob@bravo');
      await waitForMessage(secondTab, 'hello bob, only you', { status: 'delivered' });
      await waitForMessage(secondTab, 'hi alice, just us');
      // In another browser (which never sent it), her message is still hers: "(you)", not "(this node)".
      const otherBrowser = await web.user(alpha, 'alice, another browser');
      await signIn(otherBrowser, 'alice', PASSWORD, 'alice@alpha');
      await openConversation(otherBrowser, 'bob@bravo');
      expect(await waitForMessage(otherBrowser, 'hello bob, only you')).toMatchObject({
        user: 'alice@alpha (you)',
      });

      // The anonymous page on alpha was sent neither message and lists no conversation with a user.
      await stranger.locator('#people-list button[data-user="alice@alpha"]').waitFor();
      expect(await stranger.locator('#node-list button[data-node-id*="@"]').count()).toBe(0);
      expect(strangerFrames.length).toBeGreaterThan(0);
      expect(strangerFrames.filter((f) => f.includes('only you') || f.includes('just us'))).toEqual([]);

      // Bob closes his page: within the heartbeat bound his node says he is gone, and Alice's dot turns grey.
      await pageB.close();
      await waitForPresence(pageA, 'bob@bravo', 'offline', 20 * HEARTBEAT_MS + 10_000);
      await pageA.waitForSelector('#node-list button[data-node-id="bob@bravo"][data-presence="offline"]');
      expect(await pageA.locator('#conv-sub .presence-words').textContent()).toMatch(/^last seen /);
    });

    it("stops showing a user online once their node goes down, without waiting for People's 30 s round", async () => {
      const [alpha, bravo] = await web.network(['alpha', 'bravo'], { heartbeatMs: HEARTBEAT_MS });
      if (!alpha || !bravo) throw new Error('nodes did not start');
      const alice = await web.user(alpha, 'alice on alpha');
      const bob = await web.user(bravo, 'bob on bravo');
      await signUp(alice, 'alice', PASSWORD, 'alice@alpha');
      await signUp(bob, 'bob', PASSWORD, 'bob@bravo');
      await waitForPresence(alice, 'bob@bravo', 'online', 15_000);
      await person(alice, 'bob@bravo').click();
      await alice.waitForSelector('#chat[data-node-id="bob@bravo"]');
      await alice.waitForSelector('#node-list button[data-node-id="bob@bravo"][data-presence="online"]');

      // bravo crashes (no leave): bob's page loses its node too. Refresh is pressed first, so the periodic
      // round (every fetch schedules the next one 30 s later) is 30 s away, beyond every wait below: the page
      // must ask again itself once it sees bravo down.
      await alice.locator('#people-refresh').click();
      await waitForPresence(alice, 'bob@bravo', 'online', 5_000);
      web.allowProblems(/bob on bravo: console\.error: (WebSocket connection to|Failed to load resource)/);
      await bravo.stop({ leave: false });
      await alice.waitForSelector('#node-list button[data-node-id="bravo"][data-state="dead"]', {
        timeout: 15_000,
      });
      await alice.waitForSelector('#people-list button[data-user="bob@bravo"][data-presence="online"]', {
        state: 'detached',
        timeout: 5_000,
      });
      await alice.waitForSelector(
        '#node-list button[data-node-id="bob@bravo"]:not([data-presence="online"])',
        {
          timeout: 1_000,
        },
      );
      expect(await alice.locator('#conv-sub .presence-words').textContent()).not.toBe('online');
      expect(await alice.locator('#people-missing').textContent()).toContain('bravo');
    });

    it('signs in and out from the keyboard without losing the focus to the page', async () => {
      const [alpha] = await web.network(['alpha']);
      if (!alpha) throw new Error('node did not start');
      await callNode(alpha.url, 'POST', '/users', { body: { name: 'heidi', password: PASSWORD } });
      const page = await web.user(alpha, 'keyboard on alpha');
      const focused = () =>
        page.evaluate(() => {
          const { document } = globalThis as unknown as {
            document: { activeElement: { id: string } | null };
          };
          return document.activeElement?.id ?? '';
        });

      await page.locator('#account-toggle').focus();
      await page.keyboard.press('Enter');
      await expect.poll(focused).toBe('account-user');
      await page.keyboard.type('heidi');
      await page.keyboard.press('Tab');
      await page.keyboard.type(PASSWORD);
      await page.keyboard.press('Enter');
      await waitSignedIn(page, 'heidi@alpha');
      // The form is gone; the keyboard is on what took the place of "Sign in".
      await expect.poll(focused).toBe('sign-out');

      await page.keyboard.press('Enter');
      await waitAnonymous(page);
      await expect.poll(focused).toBe('account-toggle');
    });

    it('on a private node, an anonymous page is asked to sign in once, instead of reconnecting and piling up errors', async () => {
      const [alpha] = await web.network(['alpha'], { privateNode: true });
      if (!alpha) throw new Error('node did not start');
      web.allowProblems(REFUSED_CALL);
      const page = await (await web.browser()).open(alpha.url, 'anonymous on private alpha');

      // The node waits 5 s for a login, then turns the connection away (auth_required, close 4401).
      await page.waitForSelector('#account-panel:not([hidden])', { timeout: 10_000 });
      expect(await page.locator('#account-notice').textContent()).toBe(
        'This node is private: sign in or create an account to read and send messages.',
      );
      // Closed: the page does not dial again by itself (it was "Connected" again within a second, then turned
      // away again every 5 s, each time with one more error in the conversation).
      await page.waitForSelector('#conn-state[data-state="closed"]');
      expect(await page.locator('#log').textContent()).not.toMatch(/auth_required|handshake/);

      // Signing up connects, and the page works.
      await signUp(page, 'ivan', PASSWORD, 'ivan@alpha');
      await waitConnected(page, 'alpha');
      await page.waitForSelector('#account-notice', { state: 'hidden' });
      await sendMessage(page, 'hello, private node');
      await waitForMessage(page, 'hello, private node', { status: 'delivered' });
    });

    it('shows refusals in words, keeps the sign-in across a reload, falls back to anonymous for a revoked token, and signs out', async () => {
      const [alpha] = await web.network(['alpha']);
      if (!alpha) throw new Error('node did not start');
      web.allowProblems(REFUSED_CALL);
      const page = await web.user(alpha, 'page on alpha');

      expect(await refusal(page, 'register', 'carol', 'short')).toMatch(/8 characters/);
      expect(await refusal(page, 'register', 'no spaces', PASSWORD)).toMatch(/name/i);
      await signUp(page, 'carol', PASSWORD, 'carol@alpha');
      const token = await pageToken(page);
      expect(token).toBeTruthy();

      await page.reload();
      await waitConnected(page, 'alpha');
      await waitSignedIn(page, 'carol@alpha');

      // Signed out elsewhere: the next load connects anonymously and says why.
      expect((await callNode(alpha.url, 'DELETE', '/sessions/current', { token: token ?? '' })).status).toBe(
        200,
      );
      await page.reload();
      await waitConnected(page, 'alpha');
      await waitAnonymous(page);
      await page.waitForSelector('#account-notice:not([hidden])');
      expect(await page.locator('#account-notice').textContent()).toMatch(/session has ended/);
      expect(await pageToken(page)).toBeNull();

      expect(await refusal(page, 'register', 'carol', PASSWORD)).toMatch(/taken/);
      expect(await refusal(page, 'sign-in', 'carol', 'wrong password')).toMatch(/wrong/);
      for (let i = 0; i < 4; i++) await refusal(page, 'sign-in', 'carol', 'wrong password');
      expect(await refusal(page, 'sign-in', 'carol', PASSWORD)).toMatch(
        /^Too many failed sign-ins: wait \d+ min/,
      );
      await screenshot(page, 'accounts-refused-desktop');
    });

    it('signs out back to anonymous: the token is revoked and the direct conversations leave the page', async () => {
      const [alpha] = await web.network(['alpha']);
      if (!alpha) throw new Error('node did not start');
      await callNode(alpha.url, 'POST', '/users', { body: { name: 'dave', password: PASSWORD } });
      web.allowProblems(REFUSED_CALL);
      const page = await web.user(alpha, 'phone on alpha', {
        phone: true,
        viewport: { width: 390, height: 780 },
      });
      await screenshot(page, 'accounts-anonymous-phone');
      expect(await refusal(page, 'sign-in', 'erin', PASSWORD)).toMatch(/wrong/);
      await signUp(page, 'erin', PASSWORD, 'erin@alpha');
      await screenshot(page, 'accounts-signed-in-phone');
      await person(page, 'dave@alpha').tap();
      await page.waitForSelector('#chat[data-node-id="dave@alpha"]');
      await sendMessage(page, 'are you there, dave?');
      await waitForMessage(page, 'are you there, dave?', { status: 'delivered' });
      await screenshot(page, 'accounts-direct-conversation-phone');
      const token = await pageToken(page);

      await page.locator('#back').tap();
      await page.locator('#sign-out').tap();
      await waitAnonymous(page);
      expect(await pageToken(page)).toBeNull();
      expect((await callNode(alpha.url, 'DELETE', '/sessions/current', { token: token ?? '' })).status).toBe(
        401,
      );
      expect(await page.locator('#node-list button[data-node-id*="@"]').count()).toBe(0);
      await waitConnected(page, 'alpha');
      expect(await page.locator('#people-help').textContent()).toMatch(/Sign in to write/);
    });

    it('renders hostile names and texts from the network as text: no element is made, nothing runs', async () => {
      const [alpha] = await web.network(['alpha']);
      if (!alpha) throw new Error('node did not start');
      const payload = '<img src=x onerror="globalThis.__xss=1">';
      const page = await web.user(alpha, 'page on alpha');
      // A hostile node's directory: names and node ids no real node would give.
      await page.route(
        (url) => url.pathname === '/users' && url.searchParams.get('scope') === 'mesh',
        (route) =>
          route.fulfill({
            contentType: 'application/json',
            body: JSON.stringify({
              users: [{ user: `${payload}@evil`, online: true, lastSeen: null }],
              answered: ['alpha'],
              missing: ['<script>globalThis.__xss=2</script>'],
            }),
          }),
      );
      await signUp(page, 'frank', PASSWORD, 'frank@alpha');
      await callNode(alpha.url, 'POST', '/users', { body: { name: 'grace', password: PASSWORD } });
      const grace = await web.user(alpha, 'grace on alpha');
      await signIn(grace, 'grace', PASSWORD, 'grace@alpha');
      await page.locator('#people-refresh').click();
      const hostile = page.locator('#people-list button[data-testid="person"]').first();
      await hostile.waitFor();
      expect(await hostile.locator('.node-id').textContent()).toBe(`${payload}@evil`);
      expect(await page.locator('#people-missing').textContent()).toContain('<script>');

      await person(grace, 'frank@alpha')
        .waitFor({ timeout: 15_000 })
        .catch(async () => {
          await grace.locator('#people-refresh').click();
          await person(grace, 'frank@alpha').waitFor();
        });
      await person(grace, 'frank@alpha').click();
      await sendMessage(grace, payload);
      await openConversation(page, 'grace@alpha');
      await waitForMessage(page, payload);
      const made = await page.evaluate(() => {
        const g = globalThis as unknown as PageGlobals;
        return { images: g.document.querySelectorAll('img, script:not([src])').length, xss: g.__xss };
      });
      expect(made).toEqual({ images: 0, xss: undefined });
      await screenshot(page, 'accounts-hostile-names');
    });
  },
);
