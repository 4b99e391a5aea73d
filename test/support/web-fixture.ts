// What every browser test of the web page sets up: real nodes on 127.0.0.1 and chromium sessions, all stopped
// after each test, which fails when a page reported a problem (page error, console error, dialog, a request
// leaving loopback).
import { afterEach, beforeEach, expect } from 'vitest';
import type { NodeOverrides } from '../../src/container.js';
import type { MeshNode } from '../../src/mesh-node.js';
import type { NodeConfig } from '../../src/node-config.js';
import {
  assertBrowserSuiteCanRun,
  type BrowserOptions,
  type BrowserSession,
  launchBrowser,
  waitConnected,
} from './browser.js';
import { startTestNode, stopAll } from './nodes.js';

export interface WebFixture {
  /** Starts nodes `ids`, each joined through the first, with `config` for all. */
  network(ids: string[], config?: Partial<NodeConfig>): Promise<MeshNode[]>;
  /** One more node (stopped after the test like the others). */
  node(
    id: string,
    options?: NodeOverrides & { join?: string[]; config?: Partial<NodeConfig> },
  ): Promise<MeshNode>;
  /** A chromium with a fresh profile: a user of its own (its own storage). */
  browser(options?: BrowserOptions): Promise<BrowserSession>;
  /** A new browser's page on `node`, connected. */
  user(node: MeshNode, label: string, options?: BrowserOptions): ReturnType<BrowserSession['open']>;
  /** For the running test only: problems matching `pattern` are expected (a node stopped on purpose). */
  allowProblems(pattern: RegExp): void;
}

/** Registers the hooks of a browser suite; call it once inside the suite's `describe`. */
export function webFixture(): WebFixture {
  const nodes: MeshNode[] = [];
  const browsers: BrowserSession[] = [];
  const allowed: RegExp[] = [];

  beforeEach(() => assertBrowserSuiteCanRun());

  afterEach(async () => {
    // What the pages reported while the test ran; closing them and stopping the nodes may add noise.
    const problems = browsers
      .flatMap((b) => [...b.problems])
      .filter((problem) => !allowed.some((pattern) => pattern.test(problem)));
    allowed.length = 0;
    try {
      await Promise.all(browsers.splice(0).map((b) => b.close()));
    } finally {
      await stopAll(nodes);
    }
    expect(problems, 'the pages reported errors').toEqual([]);
  });

  const fixture: WebFixture = {
    async network(ids, config) {
      const started: MeshNode[] = [];
      for (const id of ids) {
        const join = started[0] ? [started[0].url] : [];
        started.push(await fixture.node(id, { join, ...(config ? { config } : {}) }));
      }
      return started;
    },
    async node(id, options) {
      const node = await startTestNode(id, options);
      nodes.push(node);
      return node;
    },
    async browser(options) {
      const session = await launchBrowser(options);
      browsers.push(session);
      return session;
    },
    allowProblems(pattern) {
      allowed.push(pattern);
    },
    async user(node, label, options) {
      const session = await fixture.browser(options);
      const page = await session.open(node.url, label);
      await waitConnected(page, node.id);
      return page;
    },
  };
  return fixture;
}
