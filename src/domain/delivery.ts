import type { ChatMessage } from './message.js';
import type { NodeRecord } from './node-record.js';
import type { PeerRegistry } from './peer-registry.js';

/** `to` of a message for every node in the network. */
export const BROADCAST = '*';

/**
 * How long receivers remember a message id. No message is retried longer than this (its time to live is at
 * most this), so every retry of it is still recognized as a duplicate.
 */
export const MESSAGE_ID_MEMORY_MS = 7 * 24 * 3_600_000;

/**
 * Where a message stands for the users of the node that accepted it:
 * - `queued`: kept in the outbox, retried until delivered or its time to live runs out;
 * - `delivered`: the destination node accepted it (any 2xx);
 * - `expired`: the time to live ran out before the destination accepted it;
 * - `failed`: the destination refused it for good (a 4xx other than 408, 425 and 429), so it is not retried.
 */
export type DeliveryStatus = 'queued' | 'delivered' | 'expired' | 'failed';

/**
 * One message as a node's users see it in history. `status` is set on messages this node's users sent to other
 * nodes (the outgoing side of a conversation). `seq` is the history cursor of the entry's last change (added,
 * or its status changed): one counter per node, growing, so a user who reconnects with the highest `seq` it saw
 * gets exactly the entries that are new or changed since.
 */
export interface HistoryEntry extends ChatMessage {
  readonly seq: number;
  readonly status?: DeliveryStatus;
}

/** One message waiting in the outbox for one destination node. `key` orders the outbox (oldest first). */
export interface OutboxEntry {
  readonly key: number;
  /** The destination node's id, and the URL it had when the message was queued (used if it is forgotten). */
  readonly node: string;
  readonly url: string;
  readonly message: ChatMessage;
  /** Clock milliseconds after which the message is given up as `expired`. */
  readonly expiresAt: number;
  /** Whether this node's users are told when it settles (false for messages this node only relays). */
  readonly notify: boolean;
}

/** A change of a sent message's fate, pushed to the users of the node that accepted it. */
export interface StatusUpdate {
  readonly id: string;
  /** The message's destination (`*` for a broadcast). */
  readonly to: string;
  /** The destination node this update is about. */
  readonly node: string;
  readonly status: DeliveryStatus;
  /** The history cursor after this change (absent when the message is not in history). */
  readonly seq?: number;
  readonly error?: { readonly code: string; readonly message: string };
  /** A direct message's sender (`name@node`): the only user told of its fate. */
  readonly fromUser?: string;
}

/** Retry timing: exponential backoff from `baseMs`, capped at `maxMs`, with full jitter. */
export interface Backoff {
  readonly baseMs: number;
  readonly maxMs: number;
}

/**
 * How long to wait before attempt `failures + 1` after `failures` failed attempts in a row: a random delay in
 * [ceiling / 2, ceiling] where the ceiling doubles from `baseMs` up to `maxMs` ("equal jitter": never
 * immediate, and spread so a crowd of senders does not retry in step).
 */
export function retryDelay(failures: number, backoff: Backoff, random: () => number): number {
  const ceiling = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, Math.min(failures - 1, 30)));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Whether a peer's refusal (HTTP status) may go away by itself, so the message is worth retrying. */
export function isRetryableStatus(status: number | undefined): boolean {
  return status === undefined || status === 408 || status === 425 || status === 429 || status >= 500;
}

/**
 * The nodes a broadcast goes to, besides this one: every member, and every node found dead but still
 * remembered (it may only be cut off for a while). Nodes that left are not part of the network any more.
 * `except` is the node the broadcast came from, whose users already have it.
 */
export function broadcastTargets(registry: PeerRegistry, except?: string): NodeRecord[] {
  const members = registry.peers().map(({ id, url }) => ({ id, url }));
  const dead = registry
    .tombstones()
    .filter((grave) => grave.reason === 'dead')
    .map(({ id, url }) => ({ id, url }));
  return [...members, ...dead].filter((node) => node.id !== except);
}
