/** How long a holder that sent bad bytes twice is not asked again; a constant so docs and tests name it. */
export const SET_ASIDE_MS = 10 * 60_000;
/** Bad chunks a holder may send (one per fetch) before it is set aside. */
export const STRIKES_TO_SET_ASIDE = 2;
/** Failed fetches (no connection, a refusal, bad data, nothing new) one holder gets within one transfer. */
export const FAILURES_PER_TRANSFER = 2;

/** A node to fetch from: a holder (lists the file) or a relay (another meshchat node, which fetches it itself). */
export interface Candidate {
  readonly id: string;
  readonly url: string;
  readonly relay: boolean;
}

/**
 * Which node a download asks next, and which nodes it no longer asks.
 *
 * - Holders (the nodes whose catalog part lists the file) come first, in the order given, then relays.
 * - A holder whose bytes failed a chunk's check gets a strike; its second strike sets it aside for
 *   `setAsideMs`, for every download of this node (bad data is the holder's fault, not the path's). Strikes
 *   are forgotten when the set-aside ends. A strike is kept while the node is not set aside.
 * - Within one transfer, each node may fail `FAILURES_PER_TRANSFER` times (any failure: unreachable, refused,
 *   bad data, a stream that ended without a new verified byte); the next pick is the eligible node with the
 *   fewest failures in this transfer, so a chunk that failed is fetched again from another holder first.
 */
export class HolderChoice {
  readonly #strikes = new Map<string, number>();
  readonly #asideUntil = new Map<string, number>();

  constructor(
    private readonly now: () => number,
    private readonly setAsideMs = SET_ASIDE_MS,
  ) {}

  /** Records a bad chunk from `node`; true when that set it aside. */
  badData(node: string): boolean {
    const strikes = (this.#strikes.get(node) ?? 0) + 1;
    if (strikes < STRIKES_TO_SET_ASIDE) {
      this.#strikes.set(node, strikes);
      return false;
    }
    this.#strikes.delete(node);
    this.#asideUntil.set(node, this.now() + this.setAsideMs);
    return true;
  }

  isSetAside(node: string): boolean {
    const until = this.#asideUntil.get(node);
    if (until === undefined) return false;
    if (this.now() < until) return true;
    this.#asideUntil.delete(node);
    return false;
  }

  /** Nodes set aside now, for the operator's view. */
  setAside(): string[] {
    return [...this.#asideUntil.keys()].filter((node) => this.isSetAside(node));
  }

  /**
   * The next node to ask among `candidates` (holders first), given each node's `failures` in this transfer; or
   * `undefined` when none is left.
   */
  next(candidates: readonly Candidate[], failures: ReadonlyMap<string, number>): Candidate | undefined {
    let best: Candidate | undefined;
    let bestFailures = FAILURES_PER_TRANSFER;
    for (const candidate of candidates) {
      if (this.isSetAside(candidate.id)) continue;
      const failed = failures.get(candidate.id) ?? 0;
      if (failed < bestFailures) {
        best = candidate;
        bestFailures = failed;
      }
    }
    return best;
  }
}
