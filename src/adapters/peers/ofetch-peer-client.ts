import { FetchError, ofetch } from 'ofetch';
import pLimit, { type LimitFunction } from 'p-limit';
import { PeerCallFailed } from '../../application/errors.js';
import type { PeerClient } from '../../application/ports/peer-client.js';
import type { ChatMessage, InboundMessage } from '../../domain/message.js';
import { type NodeRecord, nodeRecord } from '../../domain/node-record.js';
import { nodeListAnswer } from '../http/wire-schemas.js';

export const PEER_TIMEOUT_MS = 5_000;
export const MAX_IN_FLIGHT_PER_PEER = 8;
export const MAX_WAITING_PER_PEER = 5_000;

export interface OfetchPeerClientSettings {
  /** Whole-call deadline, waiting for a free slot included. */
  readonly timeoutMs?: number;
  /** Calls in flight to one destination at once (so also its keep-alive connections). */
  readonly maxInFlightPerPeer?: number;
  /** Calls that may wait for a slot per destination; one more is refused at once with `peer_busy`. */
  readonly maxWaitingPerPeer?: number;
}

/**
 * `PeerClient` over HTTP with ofetch (Node's fetch, keep-alive by default). Each destination origin gets its
 * own limiter so a slow peer cannot take every socket, and a burst of messages reuses a few connections
 * instead of opening one per message.
 */
export class OfetchPeerClient implements PeerClient {
  readonly #limits = new Map<string, LimitFunction>();
  readonly #timeoutMs: number;
  readonly #maxInFlight: number;
  readonly #maxWaiting: number;

  constructor(settings: OfetchPeerClientSettings = {}) {
    this.#timeoutMs = settings.timeoutMs ?? PEER_TIMEOUT_MS;
    this.#maxInFlight = settings.maxInFlightPerPeer ?? MAX_IN_FLIGHT_PER_PEER;
    this.#maxWaiting = settings.maxWaitingPerPeer ?? MAX_WAITING_PER_PEER;
  }

  async listNodes(url: string): Promise<NodeRecord[]> {
    const text = await this.#call(url, 'GET', '/nodes');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new PeerCallFailed('peer_bad_answer', `${url} answered GET /nodes with something that is not JSON.`);
    }
    const list = nodeListAnswer.safeParse(parsed);
    if (!list.success) {
      throw new PeerCallFailed('peer_bad_answer', `${url} answered GET /nodes with something that is not a node list.`);
    }
    const nodes: NodeRecord[] = [];
    for (const entry of list.data) {
      try {
        nodes.push(nodeRecord(entry.id, entry.url));
      } catch {
        // An entry that breaks the id or url rules is not trusted; the rest of the list still is.
      }
    }
    return nodes;
  }

  async announce(url: string, node: NodeRecord): Promise<void> {
    await this.#call(url, 'PUT', `/nodes/${encodeURIComponent(node.id)}`, { url: node.url });
  }

  async withdraw(url: string, node: NodeRecord): Promise<void> {
    await this.#call(url, 'DELETE', `/nodes/${encodeURIComponent(node.id)}`, { url: node.url });
  }

  async sendMessage(url: string, message: ChatMessage | InboundMessage): Promise<void> {
    await this.#call(url, 'PUT', '/msg', message);
  }

  async #call(base: string, method: string, path: string, body?: object): Promise<string> {
    const origin = new URL(base).origin;
    let limit = this.#limits.get(origin);
    if (!limit) {
      limit = pLimit(this.#maxInFlight);
      this.#limits.set(origin, limit);
    }
    if (limit.pendingCount >= this.#maxWaiting) {
      throw new PeerCallFailed('peer_busy', `Too many calls are already waiting for ${base}.`);
    }
    const signal = AbortSignal.timeout(this.#timeoutMs);
    const run = limit(() => this.#fetch(base, method, path, body, signal));
    try {
      return await run;
    } finally {
      if (limit.activeCount === 0 && limit.pendingCount === 0) this.#limits.delete(origin);
    }
  }

  async #fetch(base: string, method: string, path: string, body: object | undefined, signal: AbortSignal) {
    if (signal.aborted) throw timedOut(base, this.#timeoutMs);
    let response: Awaited<ReturnType<typeof ofetch.raw<string, 'text'>>>;
    try {
      response = await ofetch.raw(base + path, {
        method,
        ...(body === undefined ? {} : { body }),
        signal,
        retry: false,
        responseType: 'text',
        ignoreResponseError: true,
      });
    } catch (error) {
      if (signal.aborted) throw timedOut(base, this.#timeoutMs);
      const cause = error instanceof FetchError ? error.cause : error;
      const detail = cause instanceof Error ? describeCause(cause) : 'the request failed';
      throw new PeerCallFailed('peer_unreachable', `Could not reach ${base}: ${detail}.`);
    }
    const text = response._data ?? '';
    if (response.status >= 200 && response.status < 300) return text;
    const peerError = parseErrorBody(text);
    throw new PeerCallFailed(
      'peer_rejected',
      `${base} answered ${method} ${path} with ${response.status}${peerError ? `: ${peerError.message}` : ''}`,
      response.status,
      peerError?.code,
    );
  }
}

function timedOut(base: string, ms: number): PeerCallFailed {
  return new PeerCallFailed('peer_timeout', `${base} did not answer within ${ms} ms.`);
}

function describeCause(cause: Error): string {
  const inner = (cause as { cause?: unknown }).cause;
  if (inner instanceof Error) return describeCause(inner);
  const code = (cause as { code?: unknown }).code;
  return typeof code === 'string' ? `${code} (${cause.message})` : cause.message;
}

function parseErrorBody(text: string): { code?: string; message: string } | undefined {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body?.error?.message === 'string') {
      return {
        message: body.error.message,
        ...(typeof body.error.code === 'string' ? { code: body.error.code } : {}),
      };
    }
  } catch {
    // A plain node may answer with text.
  }
  return text.trim() ? { message: text.trim().slice(0, 200) } : undefined;
}
