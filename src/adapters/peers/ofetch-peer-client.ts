import { FetchError, ofetch } from 'ofetch';
import pLimit, { type LimitFunction } from 'p-limit';
import type { Dispatcher } from 'undici';
import { PeerCallFailed } from '../../application/errors.js';
import type {
  BatchItemResult,
  CallOptions,
  CatalogAnswer,
  GossipReport,
  NodeAnswer,
  PeerClient,
  ProbeVerdict,
  SignedReport,
  UserListAnswer,
  WithdrawReport,
} from '../../application/ports/peer-client.js';
import {
  heldFileIds,
  MAX_CATALOG_RECORDS_PER_NODE,
  MAX_CATALOG_TOMBSTONES,
  MAX_HELD_COPIES,
} from '../../domain/catalog.js';
import { type DirectoryUser, MAX_DIRECTORY_USERS_PER_NODE } from '../../domain/directory.js';
import type { ChatMessage, InboundMessage } from '../../domain/message.js';
import type { BatchProof } from '../../domain/message-signature.js';
import { type NodeRecord, nodeRecord, normalizeNodeUrl } from '../../domain/node-record.js';
import { NETWORK_PROOF_HEADER, type NetworkKey } from '../crypto/network-key.js';
import {
  batchAnswer,
  CATALOG_VERSION_HEADER,
  catalogAnswer,
  DIRECTORY_VERSION_HEADER,
  directoryVersion,
  extensionFields,
  MAX_LIST_ENTRIES,
  nodeAnswer,
  nodeListAnswer,
  probeAnswer,
  signatureOf,
  userListAnswer,
  userListEntry,
} from '../http/wire-schemas.js';
import { answerText, describeCause, forbiddenIn, parseAnswer, readAtMost, timedOut } from './peer-answers.js';
import { SignedBody } from './signed-body.js';

export const PEER_TIMEOUT_MS = 5_000;
export const MAX_IN_FLIGHT_PER_PEER = 8;
export const MAX_WAITING_PER_PEER = 5_000;
/** Largest answer body read from a peer (a full node list is well under it); a longer one is refused, not buffered. */
export const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

export interface OfetchPeerClientSettings {
  /** Whole-call deadline, waiting for a free slot included. */
  readonly timeoutMs?: number;
  /** Calls in flight to one destination at once (so also its keep-alive connections). */
  readonly maxInFlightPerPeer?: number;
  /** Calls that may wait for a slot per destination; one more is refused at once with `peer_busy`. */
  readonly maxWaitingPerPeer?: number;
  /**
   * Opens the connections; Node's global one by default. `guardedDispatcher()` refuses peers outside the
   * public internet at connect time (a refusal rejects with `peer_forbidden`).
   */
  readonly dispatcher?: Dispatcher;
  /**
   * The network key (`--network-key`): every call carries a fresh proof of it (`Meshchat-Network`, bound to the
   * call's method, path and query and to the time), and a 2xx answer counts only when it proves the key back
   * (`NetworkKey.checkAnswer`), else the call rejects with `peer_bad_answer`: a node that does not hold the key
   * is never taken as a member, whatever it answers. None when absent.
   */
  readonly networkKey?: Pick<NetworkKey, 'prove' | 'checkAnswer'>;
}

/** A peer's 2xx answer: its text, and its headers (`GET /users` gives its list's version in one). */
export interface PeerAnswer {
  readonly text: string;
  readonly headers: Headers;
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
  readonly #dispatcher: Dispatcher | undefined;
  protected readonly networkKey: Pick<NetworkKey, 'prove' | 'checkAnswer'> | undefined;

  constructor(settings: OfetchPeerClientSettings = {}) {
    this.#timeoutMs = settings.timeoutMs ?? PEER_TIMEOUT_MS;
    this.#maxInFlight = settings.maxInFlightPerPeer ?? MAX_IN_FLIGHT_PER_PEER;
    this.#maxWaiting = settings.maxWaitingPerPeer ?? MAX_WAITING_PER_PEER;
    this.#dispatcher = settings.dispatcher;
    this.networkKey = settings.networkKey;
  }

  async listNodes(
    url: string,
    options: CallOptions & { includeDead?: boolean } = {},
  ): Promise<GossipReport[]> {
    const path = options.includeDead ? '/nodes?include=dead' : '/nodes';
    const list = parseAnswer(
      url,
      'GET /nodes',
      await this.#call(url, 'GET', path, undefined, options),
      nodeListAnswer,
      'a node list',
    );
    const nodes: GossipReport[] = [];
    for (const entry of list.slice(0, MAX_LIST_ENTRIES)) {
      this.noticed(url, entry);
      try {
        nodes.push({ ...nodeRecord(entry.id, entry.url), ...extensionFields(entry), ...signatureOf(entry) });
      } catch {
        // An entry that breaks the id or url rules is not trusted; the rest of the list still is.
      }
    }
    return nodes;
  }

  async getNode(url: string, id: string, options: CallOptions = {}): Promise<NodeAnswer> {
    const path = `/nodes/${encodeURIComponent(id)}`;
    const answer = parseAnswer(
      url,
      `GET ${path}`,
      await this.#call(url, 'GET', path, undefined, options),
      nodeAnswer,
      'a node',
    );
    this.noticed(url, answer);
    try {
      // A keyed node's answer about itself is signed; a malformed signature is dropped whole, as in a list.
      return { url: normalizeNodeUrl(answer.url), ...extensionFields(answer), ...signatureOf(answer) };
    } catch {
      throw new PeerCallFailed(
        'peer_bad_answer',
        `${url} answered GET ${path} with a url that is not valid.`,
      );
    }
  }

  async announce(url: string, node: SignedReport, options: CallOptions = {}): Promise<void> {
    const body = {
      url: node.url,
      ...(node.incarnation === undefined ? {} : { incarnation: node.incarnation }),
      ...signatureOf(node),
    };
    await this.#call(url, 'PUT', `/nodes/${encodeURIComponent(node.id)}`, body, options);
  }

  async withdraw(url: string, node: WithdrawReport, options: CallOptions = {}): Promise<void> {
    const signature = signatureOf(node);
    const body = {
      url: node.url,
      ...(node.reason ? { reason: node.reason } : {}),
      // The incarnation is signed with a leave, so it travels only with a signature.
      ...(signature.sig !== undefined && node.incarnation !== undefined
        ? { incarnation: node.incarnation }
        : {}),
      ...signature,
    };
    await this.#call(url, 'DELETE', `/nodes/${encodeURIComponent(node.id)}`, body, options);
  }

  async sendMessage(
    url: string,
    message: ChatMessage | InboundMessage,
    options: CallOptions & { readonly signed?: () => ChatMessage | InboundMessage } = {},
  ): Promise<void> {
    const { signed, ...call } = options;
    const body = signed ? new SignedBody(message, signed, [message]) : message;
    await this.#call(url, 'PUT', '/msg', body, call);
  }

  async sendMessages(
    url: string,
    messages: readonly ChatMessage[],
    options: CallOptions & { readonly prove?: () => BatchProof | undefined } = {},
  ): Promise<BatchItemResult[]> {
    const { prove, ...call } = options;
    const body = prove
      ? new SignedBody({ messages }, () => ({ messages, ...prove() }), messages)
      : { messages };
    const text = await this.#call(url, 'POST', '/msgs', body, call);
    const { results } = parseAnswer(url, 'POST /msgs', text, batchAnswer, 'a list of results');
    if (results.length !== messages.length) {
      throw new PeerCallFailed(
        'peer_bad_answer',
        `${url} answered ${results.length} results for ${messages.length} messages.`,
      );
    }
    return results.map((r) =>
      r.ok ? { ok: true } : { ok: false, status: r.httpStatus, code: r.error.code, message: r.error.message },
    );
  }

  async probeVia(url: string, target: NodeRecord, options: CallOptions = {}): Promise<ProbeVerdict> {
    const text = await this.#call(url, 'POST', '/probe', { id: target.id, url: target.url }, options);
    const answer = parseAnswer(url, 'POST /probe', text, probeAnswer, 'a probe verdict');
    const { incarnation } = extensionFields(answer);
    return incarnation === undefined ? { alive: answer.alive } : { alive: answer.alive, incarnation };
  }

  async listUsers(url: string, options: CallOptions = {}): Promise<UserListAnswer> {
    const { text, headers } = await this.#exchange(url, 'GET', '/users', undefined, options);
    const list = parseAnswer(url, 'GET /users', text, userListAnswer, 'a user list');
    const users: DirectoryUser[] = [];
    for (const entry of list) {
      if (users.length >= MAX_DIRECTORY_USERS_PER_NODE) break;
      const parsed = userListEntry.safeParse(entry);
      if (parsed.success) users.push(parsed.data);
    }
    const said = headers.get(DIRECTORY_VERSION_HEADER);
    const version =
      said === null || said.trim() === '' ? undefined : directoryVersion.safeParse(Number(said));
    return version?.success ? { users, version: version.data } : { users };
  }

  async listCatalog(
    url: string,
    options: CallOptions & { readonly since?: number } = {},
  ): Promise<CatalogAnswer> {
    const { since, ...call } = options;
    const path = since === undefined ? '/files/catalog' : `/files/catalog?since=${since}`;
    const { text, headers } = await this.#exchange(url, 'GET', path, undefined, call);
    const answer = parseAnswer(url, 'GET /files/catalog', text, catalogAnswer, 'a file catalog');
    const objects = (list: readonly unknown[], max: number) =>
      list
        .filter((entry) => typeof entry === 'object' && entry !== null && !Array.isArray(entry))
        .slice(0, max);
    const files = objects(answer.files, MAX_CATALOG_RECORDS_PER_NODE);
    const said = headers.get(CATALOG_VERSION_HEADER);
    const version =
      said === null || said.trim() === '' ? undefined : directoryVersion.safeParse(Number(said));
    // Only an echoed `since` makes the answer a difference; anything else is read as the whole catalog.
    const echoed = directoryVersion.safeParse(answer.since);
    const diff = echoed.success && since !== undefined && answer.full !== true;
    return {
      files,
      ...(version?.success ? { version: version.data } : {}),
      ...(diff ? { since: echoed.data, removed: objects(answer.removed ?? [], MAX_CATALOG_TOMBSTONES) } : {}),
      ...(answer.full === true ? { full: true } : {}),
      ...(answer.held === undefined ? {} : { held: heldFileIds(answer.held, MAX_HELD_COPIES) }),
    };
  }

  /**
   * A node entry or answer `base` sent, as it came, before it is checked: a subclass learns from the peer's
   * own words (a peer link offer, SPEC section 8). It must not throw.
   */
  protected noticed(_base: string, _entry: Readonly<Record<string, unknown>>): void {}

  /**
   * Another way to carry this call (a peer link), or `undefined` to send it over HTTP. The promise resolves
   * with the 2xx answer's text and headers, and rejects as `httpCall` does.
   */
  protected carry(
    _base: string,
    _method: string,
    _path: string,
    _body: object | SignedBody | undefined,
    _options: CallOptions,
  ): Promise<PeerAnswer> | undefined {
    return undefined;
  }

  async #call(
    base: string,
    method: string,
    path: string,
    body: object | SignedBody | undefined,
    options: CallOptions,
  ): Promise<string> {
    return (await this.#exchange(base, method, path, body, options)).text;
  }

  /**
   * Every call goes through here, so a subclass's `carry` takes each one, `listUsers` included. Over HTTP a
   * `SignedBody` is always sent signed: nothing but a link authenticated as this node proves where it comes from.
   */
  #exchange(
    base: string,
    method: string,
    path: string,
    body: object | SignedBody | undefined,
    options: CallOptions,
  ): Promise<PeerAnswer> {
    return (
      this.carry(base, method, path, body, options) ??
      this.httpCall(base, method, path, body instanceof SignedBody ? body.signed() : body, options)
    );
  }

  /** The call over HTTP: resolves with a 2xx answer's text and headers; rejects with `PeerCallFailed`. */
  protected async httpCall(
    base: string,
    method: string,
    path: string,
    body: object | undefined,
    options: CallOptions,
  ): Promise<PeerAnswer> {
    const origin = new URL(base).origin;
    let limit = this.#limits.get(origin);
    if (!limit) {
      limit = pLimit(this.#maxInFlight);
      this.#limits.set(origin, limit);
    }
    if (limit.pendingCount >= this.#maxWaiting) {
      throw new PeerCallFailed('peer_busy', `Too many calls are already waiting for ${base}.`);
    }
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const signal = AbortSignal.timeout(timeoutMs);
    const run = limit(() => this.#fetch(base, method, path, body, signal, timeoutMs));
    try {
      return await run;
    } finally {
      if (limit.activeCount === 0 && limit.pendingCount === 0) this.#limits.delete(origin);
    }
  }

  async #fetch(
    base: string,
    method: string,
    path: string,
    body: object | undefined,
    signal: AbortSignal,
    timeoutMs: number,
  ) {
    if (signal.aborted) throw timedOut(base, timeoutMs);
    const url = base + path;
    const proof = this.networkKey ? this.#proofFor(method, url) : undefined;
    let response: Awaited<ReturnType<typeof ofetch.raw<ReadableStream<Uint8Array>, 'stream'>>>;
    let bytes: Buffer;
    try {
      response = await ofetch.raw(url, {
        method,
        ...(proof === undefined ? {} : { headers: { [NETWORK_PROOF_HEADER]: proof } }),
        ...(body === undefined ? {} : { body }),
        signal,
        retry: false,
        responseType: 'stream',
        ignoreResponseError: true,
        ...(this.#dispatcher ? { dispatcher: this.#dispatcher } : {}),
      });
      bytes = await readAtMost(
        response._data,
        MAX_ANSWER_BYTES,
        () => `${base} answered ${method} ${path} with more than ${MAX_ANSWER_BYTES} bytes.`,
      );
    } catch (error) {
      if (error instanceof PeerCallFailed) throw error;
      if (signal.aborted) throw timedOut(base, timeoutMs);
      const forbidden = forbiddenIn(error);
      if (forbidden)
        throw new PeerCallFailed('peer_forbidden', `Refused to call ${base}: ${forbidden.message}.`);
      const cause = error instanceof FetchError ? error.cause : error;
      const detail = cause instanceof Error ? describeCause(cause) : 'the request failed';
      throw new PeerCallFailed('peer_unreachable', `Could not reach ${base}: ${detail}.`);
    }
    const text = answerText(base, method, path, response.status, bytes.toString('utf8'));
    if (
      proof !== undefined &&
      !this.networkKey?.checkAnswer(response.headers.get(NETWORK_PROOF_HEADER), proof, response.status, bytes)
    ) {
      throw new PeerCallFailed(
        'peer_bad_answer',
        `${base} answered ${method} ${path} without proving the network key: it is not a member of this private network (--network-key).`,
      );
    }
    return { text, headers: response.headers };
  }

  /** A proof for a call to `url`, over the path and query the receiver reads (a base URL's own path included). */
  #proofFor(method: string, url: string): string | undefined {
    try {
      const { pathname, search } = new URL(url);
      return this.networkKey?.prove(method, pathname + search);
    } catch {
      // Not a URL: the call fails on its own, as it would without a key.
      return undefined;
    }
  }
}
