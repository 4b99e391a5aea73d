// Chromium for the web client's browser tests: Debian's chromium (never a downloaded one) driven by
// playwright-core, one persistent context per test in a fresh user-data dir (removed on close), pages that
// report every page error, console error, dialog and non-loopback request, and a screenshot helper.
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** The chromium binary: `MESHCHAT_CHROMIUM`, else Debian's package. */
export const CHROMIUM_PATH = process.env.MESHCHAT_CHROMIUM || '/usr/bin/chromium';

/** With `MESHCHAT_BROWSER_TESTS=required` (CI) a missing chromium fails the suite instead of skipping it. */
export const BROWSER_TESTS_REQUIRED = process.env.MESHCHAT_BROWSER_TESTS === 'required';

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const SCREENSHOT_DIR = join(repoRoot, 'test-output', 'screenshots');
const WEB_SCRIPT = join(repoRoot, 'dist', 'web', 'app.js');

/** Why chromium cannot be used here, or undefined when it can. */
export function chromiumMissing(): string | undefined {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK);
    return undefined;
  } catch {
    return `no executable chromium at ${CHROMIUM_PATH} (set MESHCHAT_CHROMIUM to another path)`;
  }
}

/** Throws, with what to do, when the browser suite cannot run: no chromium, or the web client is not built. */
export function assertBrowserSuiteCanRun(): void {
  const missing = chromiumMissing();
  if (missing) {
    throw new Error(
      `The browser tests need chromium but found ${missing}. Install it with ` +
        '`sudo apt-get install -y --no-install-recommends chromium` (Debian/Ubuntu), or unset ' +
        'MESHCHAT_BROWSER_TESTS=required to skip these tests.',
    );
  }
  if (!existsSync(WEB_SCRIPT)) {
    throw new Error(`The web client is not built (${WEB_SCRIPT} is missing): run \`npm run build\` first.`);
  }
}

export interface BrowserOptions {
  viewport?: { width: number; height: number };
  /** A phone: touch events, a coarse pointer, the mobile viewport meta tag honoured. */
  phone?: boolean;
}

/** One chromium with its own fresh profile; every page it opens reports its problems into `problems`. */
export interface BrowserSession {
  readonly context: BrowserContext;
  /** Page errors, console errors, dialogs and non-loopback requests, as lines; a test ends with none. */
  readonly problems: string[];
  /** A new page whose problems are reported under `label` (the first call reuses the initial blank tab). */
  newPage(label: string): Promise<Page>;
  /** `newPage`, then loads `url`. */
  open(url: string, label?: string): Promise<Page>;
  /** Closes chromium and removes its user-data dir. Idempotent. */
  close(): Promise<void>;
}

function isLoopback(url: URL): boolean {
  if (url.protocol === 'data:' || url.protocol === 'about:' || url.protocol === 'blob:') return true;
  return url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
}

export async function launchBrowser(options: BrowserOptions = {}): Promise<BrowserSession> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'meshchat-chromium-'));
  const viewport = options.viewport ?? { width: 1280, height: 800 };
  const problems: string[] = [];
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: ARGS,
      viewport,
      ...(options.phone ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
      timeout: 20_000,
    });
    // Only loopback traffic: anything else is refused and counted as a problem.
    await context.route(
      (url) => !isLoopback(url),
      (route) => {
        problems.push(`request to a non-loopback address: ${route.request().url()}`);
        return route.abort('blockedbyclient');
      },
    );
  } catch (error) {
    await context?.close().catch(() => {});
    rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  }
  let fresh = context.pages()[0];
  let closing: Promise<void> | undefined;

  const session: BrowserSession = {
    context,
    problems,
    async newPage(label) {
      const page = fresh ?? (await context.newPage());
      fresh = undefined;
      page.on('pageerror', (error) => problems.push(`${label}: uncaught ${error.name}: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`${label}: console.error: ${message.text()}`);
      });
      page.on('dialog', (dialog) => {
        problems.push(`${label}: unexpected ${dialog.type()} dialog: ${dialog.message()}`);
        void dialog.dismiss().catch(() => {});
      });
      page.on('crash', () => problems.push(`${label}: the page crashed`));
      page.setDefaultTimeout(10_000);
      return page;
    },
    async open(url, label = url) {
      const page = await session.newPage(label);
      await page.goto(url, { waitUntil: 'domcontentloaded' });
      return page;
    },
    close() {
      closing ??= (async () => {
        try {
          await context.close();
        } finally {
          rmSync(userDataDir, { recursive: true, force: true, maxRetries: 3 });
        }
      })();
      return closing;
    },
  };
  return session;
}

/**
 * Passes the page's `/ws` traffic through, except `mesh` frames: the page then sees a node that never sends
 * its map (an older node, or one written to the base protocol), and draws its star from the node list.
 */
export async function holdBackMeshFrames(page: Page): Promise<void> {
  await page.routeWebSocket(
    (url) => url.pathname === '/ws',
    (ws) => {
      const server = ws.connectToServer();
      server.onMessage((message) => {
        if (typeof message === 'string' && /^\{"type":"mesh"/.test(message)) return;
        ws.send(message);
      });
    },
  );
}

/** Saves a PNG of what `page` shows as test-output/screenshots/<name>.png; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, animations: 'disabled' });
  return path;
}

/** A page element, typed only as far as the page-side code of these tests uses it. */
export interface PageElement {
  readonly id: string;
  readonly dir: string;
  readonly textContent: string | null;
  readonly childElementCount: number;
  readonly dataset: Record<string, string | undefined>;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement>;
}

/**
 * The page's globals, for functions run in the page (`page.evaluate`, `waitForFunction`): the test tsconfig
 * has no DOM lib, so they start with `const { document } = globalThis as unknown as PageGlobals;`.
 */
export interface PageGlobals {
  readonly document: {
    readonly body: PageElement;
    readonly documentElement: { readonly scrollWidth: number };
    getElementById(id: string): PageElement | null;
    querySelector(selector: string): PageElement | null;
    querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement>;
  };
  readonly innerWidth: number;
  readonly MutationObserver: new (
    callback: () => void,
  ) => {
    observe(
      target: PageElement,
      options: { childList?: boolean; subtree?: boolean; attributes?: boolean },
    ): void;
  };
  getComputedStyle(element: PageElement): { readonly direction: string };
  /** Set by an injected script, were one ever to run. */
  __xss?: unknown;
  /** The test's own record of moments a node was drawn as down. */
  __downMoments?: string[];
}

/** A CSS attribute selector value: ids here are `[A-Za-z0-9._-]`, but quote them properly anyway. */
export function attr(value: string): string {
  return JSON.stringify(value);
}

/** Waits until the page is connected to its node (the hello frame named `nodeId`). */
export async function waitConnected(page: Page, nodeId: string): Promise<void> {
  await page.waitForSelector('#conn-state[data-state="open"]');
  await page.waitForFunction((id) => {
    const { document } = globalThis as unknown as PageGlobals;
    return document.getElementById('self-id')?.textContent === id;
  }, nodeId);
}

/** The list entry of the conversation with `nodeId` (`*` for Everyone). */
export function listItem(page: Page, nodeId: string) {
  return page.locator(`#node-list button[data-node-id=${attr(nodeId)}]`);
}

/** Opens the conversation with `nodeId` from the list and waits until the chat pane shows it. */
export async function openConversation(
  page: Page,
  nodeId: string,
  how: 'click' | 'tap' = 'click',
): Promise<void> {
  const item = listItem(page, nodeId);
  if (how === 'tap') await item.tap();
  else await item.click();
  await page.waitForSelector(`#chat[data-node-id=${attr(nodeId)}]`);
}

/** Types `text` into the message box and presses the send button. */
export async function sendMessage(page: Page, text: string): Promise<void> {
  await page.locator('#message').fill(text);
  await page.locator('#send').click();
}

/**
 * Waits until the open conversation's log holds a message whose text is exactly `text` (and, when given,
 * whose `data-status` is `status`); returns that item's data-* attributes and shown sender name.
 */
export async function waitForMessage(
  page: Page,
  text: string,
  options: { status?: string; timeout?: number } = {},
): Promise<ShownMessage> {
  const found = page.waitForFunction(
    ({ text, status }) => {
      const { document } = globalThis as unknown as PageGlobals;
      for (const li of document.querySelectorAll('#log li.msg')) {
        if (li.querySelector('.msg-text')?.textContent !== text) continue;
        if (status !== undefined && li.dataset.status !== status) continue;
        return {
          id: li.dataset.id,
          mine: li.dataset.mine,
          status: li.dataset.status,
          from: li.dataset.from,
          user: li.querySelector('.msg-user')?.textContent ?? undefined,
        };
      }
      return undefined;
    },
    { text, status: options.status },
    { timeout: options.timeout ?? 10_000 },
  );
  try {
    return (await (await found).jsonValue()) as ShownMessage;
  } catch (error) {
    // Say what the log showed instead: a wrong text or a tick stuck at another status is told apart at once.
    const shown = await page
      .evaluate(() => {
        const { document } = globalThis as unknown as PageGlobals;
        return Array.from(document.querySelectorAll('#log li.msg'), (li) => ({
          text: li.querySelector('.msg-text')?.textContent,
          status: li.dataset.status,
        }));
      })
      .catch(() => 'unreadable');
    const want = JSON.stringify({ text, status: options.status });
    throw new Error(`No message ${want} in the open conversation; it shows ${JSON.stringify(shown)}`, {
      cause: error,
    });
  }
}

/** What a message item in the log shows. */
export interface ShownMessage {
  id?: string;
  mine?: string;
  status?: string;
  from?: string;
  user?: string;
}

/** What the message box holds now. */
export function draft(page: Page): Promise<string> {
  return page.locator('#message').inputValue();
}

/** The open conversation's log, in order: `day:<label>`, `new`, `msg:<text>` and `notice:<text>` lines. */
export function logLines(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const { document } = globalThis as unknown as PageGlobals;
    return Array.from(document.querySelectorAll('#log > li'), (li) => {
      const kind =
        li.dataset.testid === 'day-separator' ? 'day' : li.dataset.testid === 'new-messages' ? 'new' : '';
      if (kind === 'new') return 'new';
      if (kind === 'day') return `day:${li.textContent}`;
      const text = li.querySelector('.msg-text')?.textContent;
      return text === undefined ? `notice:${li.textContent}` : `msg:${text}`;
    });
  });
}
