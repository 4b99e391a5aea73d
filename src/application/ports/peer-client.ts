import type { DirectoryUser } from '../../domain/directory.js';
import type { ChatMessage, InboundMessage } from '../../domain/message.js';
import type { BatchProof } from '../../domain/message-signature.js';
import type { NodeRecord } from '../../domain/node-record.js';
import type { NodeSignature } from '../../domain/node-signature.js';
import type { NodeReport } from '../../domain/peer-registry.js';

/** A node record as announced: a keyed node adds its signature (SPEC section 7), a plain one sends none. */
export type SignedReport = NodeReport & Partial<NodeSignature>;

/** A `DELETE` about a node: its own signed leave, or another node's death notice (`reason: 'dead'`). */
export type WithdrawReport = NodeRecord &
  Partial<NodeSignature> & { readonly reason?: 'dead'; readonly incarnation?: number };

/** Per-call options. `timeoutMs` shortens the adapter's deadline for this call (probes use a short one). */
export interface CallOptions {
  readonly timeoutMs?: number;
}

/**
 * What `GET /nodes/:id` answered: where the node is, and its version and state when the peer is meshchat. A
 * keyed node answering about itself adds its signature of that record (`key`, `sig`, `signedAt`, SPEC section 7):
 * all three when they are well formed, none otherwise. The adapter checks only their shape; whether they verify,
 * and for which id, is the caller's check (`NodeKeys`).
 */
export interface NodeAnswer extends Partial<NodeSignature> {
  readonly url: string;
  readonly incarnation?: number;
  readonly state?: string;
}

/** What a meshchat helper answered to `POST /probe`: whether the target answered its probe. */
export interface ProbeVerdict {
  readonly alive: boolean;
  readonly incarnation?: number;
}

/**
 * A `GET /nodes` entry as a meshchat node reports it. `directory` (accounts extension) is the version of that
 * node's user list as the reporter last heard it; plain nodes and nodes without accounts send none.
 */
export interface GossipReport extends NodeReport, Partial<NodeSignature> {
  readonly directory?: number;
  /** The version of that node's file records (the mesh catalog), as the reporter last heard it. */
  readonly catalog?: number;
}

/**
 * What a meshchat node answered to `GET /files/catalog`: its own file records as sent (each one still to be
 * checked by the caller: `ownedFileRecords`), at most `MAX_CATALOG_RECORDS_PER_NODE`, and their version.
 */
export interface CatalogAnswer {
  readonly files: readonly unknown[];
  readonly version?: number;
  /**
   * Present when the peer answered a `since` with only the difference: the version it starts from (the asked
   * `since`, echoed), and the tombstones of the records removed after it (each still to be checked:
   * `ownedRemovals`). Without it (an older meshchat node ignores `since`, or the peer could not answer a
   * difference: `full`), `files` is the whole catalog.
   */
  readonly since?: number;
  readonly removed?: readonly unknown[];
  /** The peer says `files` is its whole catalog. */
  readonly full?: boolean;
  /** Ids of the files the peer holds a verified copy of (whole in either form; unchecked: `heldFileIds`). */
  readonly held?: readonly unknown[];
}

/** What a meshchat node answered to `GET /users`: its users, and the directory version it says they are. */
export interface UserListAnswer {
  readonly users: DirectoryUser[];
  readonly version?: number;
}

/** What a meshchat node answered for one message of a `POST /msgs` batch. */
export type BatchItemResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly status: number; readonly code: string; readonly message: string };

/**
 * Talks to one other node, addressed by its base URL, over the base protocol (SPEC section 1) and the
 * meshchat membership extensions (`?include=dead`, `incarnation`, `POST /probe`) and the accounts extension's
 * `GET /users`.
 *
 * - Resolves when the peer answers 2xx, whatever the body (a plain node may answer the text `OK`).
 * - Rejects only with `PeerCallFailed`: `peer_unreachable` (no connection), `peer_timeout` (no answer within
 *   the adapter's timeout, 5 s by default, or the call's shorter `timeoutMs`), `peer_rejected` (a non-2xx
 *   answer, with `status` and the peer's error code when it sent one), `peer_busy` (too many calls already
 *   waiting for that peer), `peer_bad_answer` (a 2xx whose body is not what the protocol says) or
 *   `peer_forbidden` (the peer's address, once resolved, is one this node does not call; no packet was sent).
 * - Calls to one destination are bounded in flight; further calls wait their turn, which counts against the
 *   timeout. Never blocks the caller synchronously.
 * - `listNodes`, `getNode`, `announce`, `probeVia` and `listUsers` are idempotent. `withdraw` changes the
 *   receiver once; repeated, it rejects with `peer_rejected` and status 404 (the peer no longer lists the node).
 *   `sendMessage` is safe to repeat only for a message with an `id`, on which meshchat receivers de-duplicate.
 */
export interface PeerClient {
  /**
   * `GET /nodes`: the peer's list. Entries that break the id/url rules are dropped, extension fields that
   * break theirs are stripped. With `includeDead` (meshchat peers only) the list also holds its tombstones.
   */
  listNodes(url: string, options?: CallOptions & { readonly includeDead?: boolean }): Promise<GossipReport[]>;
  /**
   * `GET /nodes/:id`: where the peer says node `id` is. A probe asks a node about itself; a keyed node's answer
   * about itself carries its signature (`NodeAnswer`). Extension fields that break their rules are stripped.
   */
  getNode(url: string, id: string, options?: CallOptions): Promise<NodeAnswer>;
  /** `PUT /nodes/:id {url, incarnation?, key?, sig?, signedAt?}`: tells the peer where `node` listens. */
  announce(url: string, node: SignedReport, options?: CallOptions): Promise<void>;
  /**
   * `DELETE /nodes/:id {url, reason?}`: tells the peer that `node` leaves, or with `reason: 'dead'` that this
   * node found it dead (plain nodes ignore the reason and remove it either way).
   */
  withdraw(url: string, node: WithdrawReport, options?: CallOptions): Promise<void>;
  /**
   * `PUT /msg`: hands a message to the peer. `signed` gives the message with this node's signature (signed
   * messages, SPEC section 7); the adapter sends that instead, and calls it only when the call needs it: every
   * time but on a peer link the peer authenticated as this node (SPEC section 8), where the link proves the
   * origin.
   */
  sendMessage(
    url: string,
    message: ChatMessage | InboundMessage,
    options?: CallOptions & { readonly signed?: () => ChatMessage | InboundMessage },
  ): Promise<void>;
  /**
   * `POST /msgs {messages, signer?, sig?}` (meshchat peers only): hands several messages over in one call, in
   * order. `prove` gives this node's proof for the batch (signed messages), or `undefined` when it has none; it
   * is called only when the call needs it, as `signed` is. Resolves
   * with one result per message, in the same order; a whole call that fails rejects as `sendMessage` does (a
   * peer without the endpoint: `peer_rejected` with status 404 or 405). Safe to repeat: every message has an id.
   */
  sendMessages(
    url: string,
    messages: readonly ChatMessage[],
    options?: CallOptions & { readonly prove?: () => BatchProof | undefined },
  ): Promise<BatchItemResult[]>;
  /** `POST /probe {id, url}` (meshchat peers only): asks the peer to probe `target` on this node's behalf. */
  probeVia(url: string, target: NodeRecord, options?: CallOptions): Promise<ProbeVerdict>;
  /**
   * `GET /users` (meshchat peers with accounts only): the peer's own users. Entries that are not well formed
   * are dropped, and at most `MAX_DIRECTORY_USERS_PER_NODE` are kept (the rest are cut, not buffered beyond
   * the adapter's answer size limit); `version` is the peer's `Meshchat-Directory-Version` header when it is a
   * well-formed number. Idempotent. Whether each address really belongs to the peer is the caller's check.
   */
  listUsers(url: string, options?: CallOptions): Promise<UserListAnswer>;
  /**
   * `GET /files/catalog` (meshchat peers only): the peer's own file records, whole, and the catalog version
   * they are at (`Meshchat-Catalog-Version`); with `since`, `?since=<version>`: only what changed after it, when
   * the peer can say (`since` echoed, `removed` its tombstones). Entries that are not objects are dropped, at
   * most `MAX_CATALOG_RECORDS_PER_NODE` records and `MAX_CATALOG_TOMBSTONES` tombstones kept; checking each is
   * the caller's work. Idempotent.
   */
  listCatalog(url: string, options?: CallOptions & { readonly since?: number }): Promise<CatalogAnswer>;
}
