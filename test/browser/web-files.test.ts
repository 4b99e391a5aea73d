// The web page's files view in chromium against real nodes on 127.0.0.1: Alice publishes through the file
// picker (with a description), sees it in her files and finds it by search as you type; a file over the node's
// limit and a second publish of the same content are refused in words; she posts the file into Everyone, where
// Bob's page on the same node shows a card and downloads the exact bytes, and a page on another node shows the
// card too; Alice then sees that Bob fetched it. A hostile file name is shown as text. Every wait is for a
// condition with a deadline; see test/support/web-fixture.ts. Run `npm run build` first.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  attr,
  BROWSER_TESTS_REQUIRED,
  chromiumMissing,
  type PageGlobals,
  screenshot,
  waitForMessage,
} from '../support/browser.js';
import { signUp } from '../support/web-accounts.js';
import { webFixture } from '../support/web-fixture.js';

const missing = chromiumMissing();
const skip = missing !== undefined && !BROWSER_TESTS_REQUIRED;

const PASSWORD = 'correct horse battery';
const MAX_FILE_SIZE = 100_000;
/** Chromium logs every 4xx answer; a refused upload is one on purpose. */
const REFUSED_CALL = /Failed to load resource: the server responded with a status of 409/;

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Opens the files view when it is closed. */
async function openFiles(page: Page): Promise<void> {
  if (await page.locator('#files-panel').isHidden()) await page.locator('#files-toggle').click();
  await page.locator('#files-panel').waitFor({ state: 'visible' });
}

/** Picks a file as a person would with the picker, and waits for the status line to say `status`. */
async function pick(page: Page, name: string, buffer: Buffer, status: RegExp): Promise<string> {
  await page.locator('#file-pick').setInputFiles({ name, mimeType: 'text/plain', buffer });
  await expect.poll(() => page.locator('#file-status').textContent(), { timeout: 10_000 }).toMatch(status);
  return (await page.locator('#file-status').textContent()) ?? '';
}

function listed(page: Page, list: 'my-files' | 'file-results', name: string) {
  return page.locator(`#${list} li[data-name=${attr(name)}]`);
}

describe.skipIf(skip)(skip ? `the web page's files (skipped: ${missing})` : "the web page's files", () => {
  const web = webFixture();

  it('publishes through the picker, finds it as you type, posts it into a conversation; another page downloads it from the card and the owner sees who fetched it', async () => {
    const [alpha, bravo] = await web.network(['alpha', 'bravo'], { maxFileSize: MAX_FILE_SIZE });
    if (!alpha || !bravo) throw new Error('nodes did not start');
    web.allowProblems(REFUSED_CALL);
    const alice = await web.user(alpha, 'alice on alpha');
    const bob = await web.user(alpha, 'bob on alpha');
    const far = await web.user(bravo, 'anonymous on bravo');

    // Anonymous, the view says what publishing takes; the picker is off.
    await openFiles(alice);
    await expect.poll(() => alice.locator('#file-drop-text').textContent()).toMatch(/Sign in to publish/);
    expect(await alice.locator('#file-pick').isDisabled()).toBe(true);

    await signUp(alice, 'alice', PASSWORD, 'alice@alpha');
    await signUp(bob, 'bob', PASSWORD, 'bob@alpha');
    await openFiles(alice);
    expect(await alice.locator('#file-pick').isDisabled()).toBe(false);

    // Publish with a description, through the picker.
    const bytes = randomBytes(30_000);
    const name = 'quarterly report ☕.txt';
    await alice.locator('#file-description').fill('numbers for the quarter');
    await pick(alice, name, bytes, /^Published quarterly report ☕\.txt \(29\.3 KiB\)\.$/);
    await listed(alice, 'my-files', name).waitFor();
    expect(await listed(alice, 'my-files', name).getAttribute('data-file-id')).toBe(sha(bytes));
    expect(await listed(alice, 'my-files', name).locator('.file-description').textContent()).toBe(
      'numbers for the quarter',
    );
    expect(await listed(alice, 'my-files', name).locator('[data-testid="file-fetched"]').textContent()).toBe(
      'not fetched yet',
    );

    // Refusals in words: the same content again (the node's 409), and a file over the node's limit (said
    // before a byte is sent, with the limit from /healthz).
    const again = await pick(alice, 'copy.txt', bytes, /already/i);
    expect(await alice.locator('#file-status').getAttribute('data-error')).toBe('true');
    expect(again).not.toMatch(/^The node answered/);
    const big = await pick(alice, 'big.bin', randomBytes(MAX_FILE_SIZE + 1), /at most/);
    expect(big).toBe('big.bin is 97.7 KiB; this node takes files of at most 97.7 KiB.');

    // A hostile name is a name: shown as text, nothing runs.
    const hostile = '<img src=x onerror=alert(1)>.txt';
    await pick(alice, hostile, Buffer.from('hostile'), /^Published /);
    await listed(alice, 'my-files', hostile).waitFor();
    expect(await listed(alice, 'my-files', hostile).locator('.file-card-name').textContent()).toBe(hostile);

    // Drag and drop publishes too.
    const dropped = await alice.evaluateHandle(() => {
      const g = globalThis as unknown as {
        DataTransfer: new () => { items: { add(file: unknown): void } };
        File: new (parts: string[], name: string, options: { type: string }) => unknown;
      };
      const transfer = new g.DataTransfer();
      transfer.items.add(new g.File(['dropped bytes'], 'dropped.txt', { type: 'text/plain' }));
      return transfer;
    });
    await alice.locator('#file-drop').dispatchEvent('dragover', { dataTransfer: dropped });
    await alice.locator('#file-drop').dispatchEvent('drop', { dataTransfer: dropped });
    await expect
      .poll(() => alice.locator('#file-status').textContent())
      .toBe('Published dropped.txt (13 B).');
    await listed(alice, 'my-files', 'dropped.txt').waitFor();

    // Search as you type: a prefix finds it, a word nobody used finds nothing.
    const search = alice.locator('#file-search');
    await search.fill('');
    await search.pressSequentially('quart', { delay: 30 });
    await alice.locator('#file-results[data-query="quart"]').waitFor({ state: 'attached' });
    expect(
      await alice.locator('#file-results li').evaluateAll((lis) => lis.map((li) => li.dataset.name)),
    ).toEqual([name]);
    await search.fill('');
    await search.pressSequentially('zebra', { delay: 30 });
    await expect
      .poll(() => alice.locator('#file-results-empty').textContent())
      .toBe('No file matches “zebra”.');
    expect(await alice.locator('#file-results li').count()).toBe(0);
    await search.fill('numbers');
    await alice.locator('#file-results[data-query="numbers"]').waitFor({ state: 'attached' });
    await listed(alice, 'file-results', name).waitFor();
    await screenshot(alice, 'files-view-desktop');

    // Post it into Everyone: the message carries the file, shown as a card on every page.
    await listed(alice, 'file-results', name).locator('[data-testid="file-share"]').click();
    await expect.poll(() => alice.locator('#file-status').textContent()).toBe(`Posted ${name} in Everyone.`);
    const text = `File: ${name} (29.3 KiB)`;
    await waitForMessage(alice, text);
    for (const page of [bob, far]) {
      await waitForMessage(page, text);
      const card = page.locator(`#log li.msg .file-card[data-file-id=${attr(sha(bytes))}]`);
      await card.waitFor();
      expect(await card.locator('.file-card-name').textContent()).toBe(name);
      expect(await card.locator('.file-card-size').textContent()).toBe('29.3 KiB');
    }
    await screenshot(bob, 'files-card-desktop');

    // Bob downloads it from the card: the exact bytes, under its name.
    const card = bob.locator(`#log li.msg .file-card[data-file-id=${attr(sha(bytes))}]`);
    const [download] = await Promise.all([
      bob.waitForEvent('download'),
      card.locator('[data-testid="file-download"]').click(),
    ]);
    expect(download.suggestedFilename()).toBe(name);
    const saved = await download.path();
    expect(sha(readFileSync(saved))).toBe(sha(bytes));

    // Alice sees who fetched it.
    await alice.locator('#my-files-refresh').click();
    await expect
      .poll(() => listed(alice, 'my-files', name).locator('[data-testid="file-fetched"]').textContent())
      .toBe('fetched by bob@alpha');

    // Delete: gone from her files and from search.
    await listed(alice, 'my-files', hostile).locator('[data-testid="file-delete"]').click();
    await expect.poll(() => listed(alice, 'my-files', hostile).count()).toBe(0);
    expect(await alice.evaluate(() => (globalThis as unknown as PageGlobals).__xss)).toBeUndefined();
  });

  it('the open files view asks again once its node is back, instead of keeping "cannot be reached"', async () => {
    const [alpha, bravo] = await web.network(['alpha', 'bravo']);
    if (!alpha || !bravo) throw new Error('nodes did not start');
    const page = await web.user(alpha, 'anonymous on alpha');
    await openFiles(page);
    await expect
      .poll(() => page.locator('#file-results-empty').textContent())
      .toBe('No files published yet.');

    const port = Number(new URL(alpha.url).port);
    web.allowProblems(
      /console\.error: (WebSocket connection to|Failed to load resource: net::ERR_CONNECTION_REFUSED)/,
    );
    await alpha.stop({ leave: false });
    await page.waitForSelector('#conn-state[data-state="waiting"]');
    await page.locator('#file-search').fill('report');
    await expect
      .poll(() => page.locator('#file-results-empty').textContent())
      .toBe('The node cannot be reached; try again.');

    // alpha is back: without a key pressed, the view shows the answer to what is in the box.
    await web.node('alpha', { config: { port }, join: [bravo.url] });
    await page.waitForSelector('#conn-state[data-state="open"]', { timeout: 10_000 });
    await expect
      .poll(() => page.locator('#file-results-empty').textContent(), { timeout: 5_000 })
      .toBe('No file matches “report”.');
    expect(await page.locator('#my-files-empty').textContent()).toBe(
      'Sign in to see your files and who fetched them.',
    );
  });
});
