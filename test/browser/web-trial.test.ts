// The web page as a newcomer meets it, in chromium against real nodes on 127.0.0.1: what it says when its node
// goes away and comes back, and when a file cannot be downloaded. Every wait is for a condition with a
// deadline; see test/support/web-fixture.ts for what fails a test besides its assertions. Run `npm run build`
// first (`npm test` does).
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  attr,
  BROWSER_TESTS_REQUIRED,
  chromiumMissing,
  draft,
  openConversation,
  screenshot,
  waitForMessage,
} from '../support/browser.js';
import { signUp } from '../support/web-accounts.js';
import { webFixture } from '../support/web-fixture.js';

const missing = chromiumMissing();
const skip = missing !== undefined && !BROWSER_TESTS_REQUIRED;

const NOT_CONNECTED = /^Not connected to the node/;
const PASSWORD = 'correct horse battery';
/** Chromium logs every refused request; a download refused on purpose is one. */
const REFUSED_DOWNLOAD =
  /console\.error: Failed to load resource: the server responded with a status of (404|502)/;

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Opens the files view when it is closed. */
async function openFiles(page: Page): Promise<void> {
  if (await page.locator('#files-panel').isHidden()) await page.locator('#files-toggle').click();
  await page.locator('#files-panel').waitFor({ state: 'visible' });
}

/** Publishes `name` with the picker and posts it into the open conversation (Everyone). */
async function publishAndPost(page: Page, name: string, bytes: Buffer): Promise<void> {
  await openFiles(page);
  await page.locator('#file-pick').setInputFiles({ name, mimeType: 'text/plain', buffer: bytes });
  const mine = page.locator(`#my-files li[data-name=${attr(name)}]`);
  await mine.waitFor();
  await mine.locator('[data-testid="file-share"]').click();
  // The view says where the file went: on a phone the conversation is only highlighted behind it.
  await expect.poll(() => page.locator('#file-status').textContent()).toBe(`Posted ${name} in Everyone.`);
  await page.locator('#files-close').click();
}

/**
 * What the page's node answers `HEAD /files/:id`, asked from the page: a fetch from this process would make
 * Node's built-in fetch the process-wide undici dispatcher, which the nodes under test then fetch files with.
 */
function headStatus(page: Page, id: string): Promise<number> {
  return page.evaluate(async (path) => (await fetch(path, { method: 'HEAD' })).status, `/files/${id}`);
}

/** Clicks a Download link and says whether the browser started a download within `ms`. */
async function clickDownload(page: Page, link: ReturnType<Page['locator']>, ms = 2_000) {
  const download = page.waitForEvent('download', { timeout: ms }).catch(() => undefined);
  await link.click();
  return download;
}

describe.skipIf(skip)(skip ? `the web page on trial (skipped: ${missing})` : 'the web page on trial', () => {
  const web = webFixture();

  /**
   * Nodes alpha and bravo; alice signs up on alpha, publishes `name` (`size` random bytes) and posts it in
   * Everyone; an anonymous page on bravo (`far`) is open. Refused downloads are expected.
   */
  async function aliceSharesOnAlpha(name: string, size: number) {
    const [alpha, bravo] = await web.network(['alpha', 'bravo']);
    if (!alpha || !bravo) throw new Error('nodes did not start');
    web.allowProblems(REFUSED_DOWNLOAD);
    const alice = await web.user(alpha, 'alice on alpha');
    const far = await web.user(bravo, 'anonymous on bravo');
    await signUp(alice, 'alice', PASSWORD, 'alice@alpha');
    const bytes = randomBytes(size);
    await publishAndPost(alice, name, bytes);
    return { alpha, bravo, alice, far, bytes };
  }

  it('says "not connected" while its node is down, and stops saying so once it is back', async () => {
    const [alpha, bravo] = await web.network(['alpha', 'bravo']);
    if (!alpha || !bravo) throw new Error('nodes did not start');
    const page = await web.user(alpha, 'page on alpha');
    await openConversation(page, 'bravo');
    const port = Number(new URL(alpha.url).port);
    web.allowProblems(
      new RegExp(`console\\.error: WebSocket connection to 'ws://127\\.0\\.0\\.1:${port}/ws.*' failed`),
    );

    await alpha.stop({ leave: false });
    await page.waitForSelector('#conn-state[data-state="waiting"]');
    // Enter while the node is away: the text stays in the box and the hint says why.
    await page.locator('#message').fill('written while alpha was down');
    await page.locator('#message').press('Enter');
    const hint = page.locator('#composer-hint');
    await expect.poll(() => hint.textContent()).toMatch(NOT_CONNECTED);
    expect(await draft(page)).toBe('written while alpha was down');

    await web.node('alpha', { config: { port }, join: [bravo.url] });
    await page.waitForSelector('#conn-state[data-state="open"]', { timeout: 10_000 });
    await screenshot(page, 'trial-back-after-node-down');
    // Connected again, the page no longer claims it is not, and the kept text goes with one Enter.
    await expect.poll(() => hint.textContent()).not.toMatch(NOT_CONNECTED);
    await page.locator('#message').press('Enter');
    await waitForMessage(page, 'written while alpha was down', { status: 'delivered' });
  });

  it('an anonymous page is told before sending that a name with "@" is an account\'s, and keeps the text', async () => {
    const [alpha] = await web.network(['alpha']);
    if (!alpha) throw new Error('node did not start');
    const page = await web.user(alpha, 'anonymous on alpha');
    await openConversation(page, 'alpha');
    await page.locator('#display-name').fill('alice@alpha');
    await page.locator('#message').fill('who am I');
    await page.locator('#message').press('Enter');
    const hint = page.locator('#composer-hint');
    await expect.poll(() => hint.textContent()).toMatch(/reads as an account's address: sign in/);
    expect(await draft(page)).toBe('who am I');
    // Another name, and the same text goes with one Enter.
    await page.locator('#display-name').fill('alice');
    await page.locator('#message').press('Enter');
    await waitForMessage(page, 'who am I', { status: 'delivered' });
  });

  it('an anonymous page downloads a file from its card, and says in words why it cannot when the file is gone', async () => {
    const { alice, far, bytes } = await aliceSharesOnAlpha('notes.txt', 5_000);
    const card = far.locator(`#log li.msg .file-card[data-file-id=${attr(sha(bytes))}]`);
    const link = card.locator('[data-testid="file-download"]');
    await card.waitFor();
    // Word of a new file reaches the other nodes within seconds (the card can come first).
    await expect.poll(() => headStatus(far, sha(bytes)), { timeout: 15_000 }).toBe(200);

    // Anonymous, the download works as before: the exact bytes, under the file's name.
    const first = await clickDownload(far, link, 10_000);
    if (!first) {
      const hint = await far.locator('#composer-hint').textContent();
      throw new Error(`the anonymous page did not download the file; it says: ${hint}`);
    }
    expect(first.suggestedFilename()).toBe('notes.txt');
    expect(sha(readFileSync(await first.path()))).toBe(sha(bytes));

    // Alice deletes it; the card stays in the conversation, and its Download now says why nothing comes.
    await openFiles(alice);
    await alice.locator('#my-files li[data-name="notes.txt"] [data-testid="file-delete"]').click();
    await expect.poll(() => alice.locator('#my-files li[data-name="notes.txt"]').count()).toBe(0);
    await expect.poll(() => headStatus(far, sha(bytes)), { timeout: 15_000 }).toBe(404);
    const hint = far.locator('#composer-hint');
    expect(await clickDownload(far, link)).toBeUndefined();
    await expect
      .poll(() => hint.textContent())
      .toMatch(
        /^Could not download notes\.txt: This node does not know this file: its owner may have deleted it/,
      );
    expect(await hint.getAttribute('class')).toContain('is-error');
    await screenshot(far, 'trial-download-gone');
  });

  it('says in the files view why a file found there cannot be downloaded while its only holder is down', async () => {
    const { alpha, far, bytes } = await aliceSharesOnAlpha('minutes.txt', 3_000);
    await expect.poll(() => headStatus(far, sha(bytes)), { timeout: 15_000 }).toBe(200);
    await openFiles(far);
    await far.locator('#file-search').fill('minutes');
    const found = far.locator('#file-results li[data-name="minutes.txt"]');
    await found.waitFor();

    web.allowProblems(/console\.error: WebSocket connection to .* failed/);
    await alpha.stop({ leave: false });
    expect(await clickDownload(far, found.locator('[data-testid="file-download"]'))).toBeUndefined();
    // Said where the Download was pressed: the files view covers the composer on a phone.
    await expect
      .poll(() => far.locator('#file-status').textContent(), { timeout: 10_000 })
      .toMatch(/^Could not download minutes\.txt: No node that holds this file could send it just now/);
    await screenshot(far, 'trial-download-unavailable');
  });
});
