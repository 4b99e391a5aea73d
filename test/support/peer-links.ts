import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { expect, vi } from 'vitest';

/** Slack for a loaded machine: a link opens after the first call that needs it, within a probe round or two. */
export const LINK_DEADLINE_MS = 10_000;
export const POLL_MS = 25;

/** What reached a node's HTTP server: plain requests, and upgrades to `/peer` with their sockets. */
export interface ServerTally {
  readonly requests: number;
  readonly linkUpgrades: number;
  /** Destroys every `/peer` socket the server accepted so far: the links drop mid-whatever. */
  killLinks(): void;
}

/** Counts what reaches `server` from now on (the node's own listeners are untouched). */
export function tally(server: Server): ServerTally {
  let requests = 0;
  let linkUpgrades = 0;
  const sockets: Duplex[] = [];
  server.on('request', () => {
    requests++;
  });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex) => {
    if ((request.url ?? '').split('?')[0] !== '/peer') return;
    linkUpgrades++;
    sockets.push(socket);
  });
  return {
    get requests() {
      return requests;
    },
    get linkUpgrades() {
      return linkUpgrades;
    },
    killLinks: () => {
      for (const socket of sockets.splice(0)) socket.destroy();
    },
  };
}

/** A value of the node's Prometheus metrics (0 when the series is absent). */
export async function metric(url: string, series: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/** Waits until the node at `url` has `count` links it opened, open. */
export async function linksOpen(url: string, count: number): Promise<void> {
  await vi.waitFor(async () => expect(await metric(url, 'meshchat_peer_links_open')).toBe(count), {
    timeout: LINK_DEADLINE_MS,
    interval: POLL_MS,
  });
}
