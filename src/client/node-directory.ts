import type { MeshGraph, NodeInfo } from './frames.js';
import type { TimerHandle, Timers } from './timers.js';

/**
 * What a client can say about a node: `alive`, `suspect` (missed its probes) or another state as its node
 * lists it; `left` (said goodbye with DELETE), `dead` (stopped answering and was given up) or `gone` (no
 * longer listed, reason not told); `unknown` while the client's own node is unreachable, or after a reconnect
 * when that node does not list it (yet).
 */
export type PeerState = string;

export interface PeerView {
  readonly id: string;
  readonly url: string;
  readonly state: PeerState;
  /** True for the node the client is connected to. */
  readonly self: boolean;
  /** In the node's current list (false for nodes that are gone or unknown). */
  readonly listed: boolean;
  /** Present (true) when the client's node has this node's key: its messages are checked. */
  readonly verified?: true;
}

/**
 * - `joined`: a node never seen before; `came-back`: one that was gone; `suspect`: stopped answering;
 *   `recovered`: answers again; `state`: any other state change;
 * - `left`: left the network; `dead`: went down (given up as dead); `gone`: one of the two, the node did not say.
 */
export type NodeNoticeKind =
  | 'joined'
  | 'came-back'
  | 'suspect'
  | 'recovered'
  | 'state'
  | 'left'
  | 'dead'
  | 'gone';

export interface NodeNotice {
  readonly kind: NodeNoticeKind;
  readonly id: string;
  /** The node's state after the change. */
  readonly state: PeerState;
  /** The notice in words, for a conversation log. */
  readonly text: string;
}

/** How long to wait for the mesh frame that says why a node is no longer listed before saying "gone". */
export const DEFAULT_GONE_NOTICE_MS = 3_000;

const GONE_STATES = new Set(['left', 'dead', 'gone']);

interface Entry {
  info: NodeInfo;
  /** As in {@link PeerState}, plus `leaving`: dropped from the list, its reason awaited from the mesh. */
  state: string;
  listed: boolean;
}

/**
 * The nodes a client knows and how they changed, from the node list (`nodes` frames, which hold members) and
 * the mesh map (which also holds the nodes that left or died). Rules:
 * - the first list a client gets is the baseline: nothing is announced;
 * - a reconnect is not a change: the first list after one says nothing about nodes that were listed before
 *   (missing ones become `unknown`, until listed again or reported gone by the map);
 * - a node dropped from the list is announced once its reason is known: `left` or `dead` from the next mesh
 *   frame, or `gone` when the map does not say within `goneNoticeMs` (or this node sends no maps);
 * - a node that returns after being gone "came back"; only a node never seen before "joined".
 */
export class NodeDirectory {
  readonly #entries = new Map<string, Entry>();
  #order: string[] = [];
  #self: string | undefined;
  #listedOnce = false;
  #resync = false;
  #mapsOnThisConnection = false;
  #reachable = false;
  readonly #waitingReasons = new Map<string, TimerHandle>();

  constructor(
    private readonly timers: Timers,
    private readonly announce: (notices: NodeNotice[]) => void,
    private readonly goneNoticeMs = DEFAULT_GONE_NOTICE_MS,
  ) {}

  /** The node the client is connected to (never announced). */
  setSelf(id: string): void {
    this.#self = id;
  }

  get self(): string | undefined {
    return this.#self;
  }

  /** The connection to the client's own node opened: what follows is a resync, not news. */
  connected(): void {
    this.#reachable = true;
    this.#resync = this.#listedOnce;
    this.#mapsOnThisConnection = false;
  }

  /** The connection dropped: every state is unknown until the node speaks again. */
  disconnected(): void {
    this.#reachable = false;
    const waiting = [...this.#waitingReasons.keys()];
    this.#announceGone(waiting);
  }

  /** True while the client's own node is reachable (states are then the node's word). */
  get reachable(): boolean {
    return this.#reachable;
  }

  /** The node's current list, in its order, with each state as the client can tell it now. */
  listed(): PeerView[] {
    return this.#order.flatMap((id) => {
      const entry = this.#entries.get(id);
      return entry ? [this.#view(entry)] : [];
    });
  }

  /** Every node this client has heard of: the list first, then the ones no longer listed. */
  known(): PeerView[] {
    const listed = this.listed();
    const rest = [...this.#entries.values()].filter((e) => !e.listed).map((e) => this.#view(e));
    return [...listed, ...rest];
  }

  state(id: string): PeerState | undefined {
    const entry = this.#entries.get(id);
    return entry ? this.#view(entry).state : undefined;
  }

  /** A `nodes` frame. */
  nodes(list: readonly NodeInfo[]): void {
    const notices: NodeNotice[] = [];
    const baseline = !this.#listedOnce;
    const ids = new Set(list.map((n) => n.id));
    for (const info of list) {
      const entry = this.#entries.get(info.id);
      this.#entries.set(info.id, { info, state: info.state, listed: true });
      this.#stopWaiting(info.id);
      if (baseline || info.id === this.#self) continue;
      const notice = this.#arrival(info, entry);
      if (notice) notices.push(notice);
    }
    const dropped: string[] = [];
    for (const entry of this.#entries.values()) {
      if (!entry.listed || ids.has(entry.info.id)) continue;
      entry.listed = false;
      if (this.#resync || entry.info.id === this.#self) entry.state = 'unknown';
      else dropped.push(entry.info.id);
    }
    this.#order = list.map((n) => n.id);
    this.#listedOnce = true;
    this.#resync = false;
    for (const id of dropped) this.#awaitReason(id);
    if (!this.#mapsOnThisConnection) this.#announceGone(dropped, notices);
    else if (notices.length > 0) this.announce(notices);
  }

  /** A mesh frame: it tells why nodes are gone. */
  mesh(graph: MeshGraph): void {
    this.#mapsOnThisConnection = true;
    const notices: NodeNotice[] = [];
    const onMap = new Map(graph.nodes.map((n) => [n.id, n]));
    for (const node of graph.nodes) {
      if (node.state !== 'left' && node.state !== 'dead') continue;
      const entry = this.#entries.get(node.id);
      if (!entry) {
        this.#entries.set(node.id, { info: node, state: node.state, listed: false });
        continue;
      }
      if (entry.listed || entry.state === node.state) continue;
      const tell = entry.state === 'leaving' || entry.state === 'unknown';
      entry.state = node.state;
      entry.info = { ...entry.info, state: node.state };
      this.#stopWaiting(node.id);
      if (tell && node.id !== this.#self)
        notices.push(notice(node.state === 'left' ? 'left' : 'dead', node.id, node.state));
    }
    // The map does not know why these went: say so now rather than wait.
    const untold = [...this.#waitingReasons.keys()].filter((id) => !onMap.has(id));
    this.#announceGone(untold, notices);
  }

  #arrival(info: NodeInfo, before: Entry | undefined): NodeNotice | undefined {
    if (!before) return notice('joined', info.id, info.state);
    if (GONE_STATES.has(before.state)) return notice('came-back', info.id, info.state);
    if (before.state === 'unknown' || before.state === 'leaving' || before.state === info.state)
      return undefined;
    if (info.state === 'suspect') return notice('suspect', info.id, info.state);
    if (info.state === 'alive' && before.state === 'suspect') return notice('recovered', info.id, info.state);
    return notice('state', info.id, info.state);
  }

  #awaitReason(id: string): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    entry.state = 'leaving';
    this.#stopWaiting(id);
    this.#waitingReasons.set(
      id,
      this.timers.setTimeout(() => this.#announceGone([id]), this.goneNoticeMs),
    );
  }

  #stopWaiting(id: string): void {
    const timer = this.#waitingReasons.get(id);
    if (timer === undefined) return;
    this.timers.clearTimeout(timer);
    this.#waitingReasons.delete(id);
  }

  /** Announces nodes still waiting for a reason as `gone`, with `notices` already due (if any). */
  #announceGone(ids: readonly string[], notices: NodeNotice[] = []): void {
    for (const id of ids) {
      const entry = this.#entries.get(id);
      this.#stopWaiting(id);
      if (entry?.state !== 'leaving') continue;
      entry.state = 'gone';
      notices.push(notice('gone', id, 'gone'));
    }
    if (notices.length > 0) this.announce(notices);
  }

  #view(entry: Entry): PeerView {
    const state = !this.#reachable ? 'unknown' : entry.state === 'leaving' ? 'gone' : entry.state;
    return {
      id: entry.info.id,
      url: entry.info.url,
      state,
      self: entry.info.id === this.#self,
      listed: entry.listed,
      ...(entry.info.verified ? { verified: true } : {}),
    };
  }
}

function notice(kind: NodeNoticeKind, id: string, state: PeerState): NodeNotice {
  return { kind, id, state, text: noticeText(kind, id, state) };
}

/** The words for a notice, for front ends that show it as a sentence. */
export function noticeText(kind: NodeNoticeKind, id: string, state: PeerState): string {
  switch (kind) {
    case 'joined':
      return state === 'alive'
        ? `${id} joined`
        : `${id} joined (${state === 'suspect' ? 'not answering' : state})`;
    case 'came-back':
      return `${id} came back`;
    case 'suspect':
      return `${id} is not answering`;
    case 'recovered':
      return `${id} is answering again`;
    case 'state':
      return `${id} is ${state}`;
    case 'left':
      return `${id} left the network`;
    case 'dead':
      return `${id} went down (stopped answering)`;
    case 'gone':
      return `${id} left or went down`;
  }
}
