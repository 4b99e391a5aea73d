// The web page as a newcomer meets it, in chromium against real nodes on 127.0.0.1: what it says when its node
// goes away and comes back, and when a file cannot be downloaded. Every wait is for a condition with a
// deadline; see test/support/web-fixture.ts for what fails a test besides its assertions. Run `npm run build`
// first (`npm test` does).
import { describe, expect, it } from 'vitest';
import {
  BROWSER_TESTS_REQUIRED,
  chromiumMissing,
  draft,
  openConversation,
  screenshot,
  waitForMessage,
} from '../support/browser.js';
import { webFixture } from '../support/web-fixture.js';

const missing = chromiumMissing();
const skip = missing !== undefined && !BROWSER_TESTS_REQUIRED;

const NOT_CONNECTED = /^Not connected to the node/;

describe.skipIf(skip)(skip ? `the web page on trial (skipped: ${missing})` : 'the web page on trial', () => {
  const web = webFixture();

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
});
