import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The request header a node proves its network key with (`--network-key`, SPEC section 7). */
export const NETWORK_PROOF_HEADER = 'Meshchat-Network';
/** The shortest network key a node starts with: a short secret is guessed offline from one captured proof. */
export const NETWORK_KEY_MIN_LENGTH = 16;
/** The longest: a key is a secret, not a file's content read by mistake. */
export const NETWORK_KEY_MAX_LENGTH = 1024;
/** How far a proof's time may be from the receiver's clock, either way. */
export const PROOF_WINDOW_MS = 5 * 60_000;
/** Proofs remembered against replay; past it the oldest is forgotten and no proof older than it is taken. */
export const MAX_REMEMBERED_PROOFS = 100_000;

const VERSION = 'v1';
const CONTEXT = 'meshchat-network-v1';
const ANSWER_CONTEXT = 'meshchat-network-answer-v1';
const ANSWER = /^v1\.([A-Za-z0-9_-]{43})$/;
const NONCE_BYTES = 16;
const PROOF = /^v1\.(\d{1,15})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

/** Why a proof was not taken; `undefined` from `verify` means it was. */
export type ProofRefusal = 'missing' | 'malformed' | 'expired' | 'wrong_key' | 'replayed';

export interface NetworkKeyOptions {
  /** Milliseconds since the epoch (the node's clock); proofs carry it and are checked against it. */
  readonly now: () => number;
  /** Random bytes for nonces; `crypto.randomBytes` by default. */
  readonly random?: (size: number) => Buffer;
  readonly maxRemembered?: number;
}

/**
 * A shared network key (`--network-key`): proves this node holds it on each node-to-node call, and checks other
 * nodes' proofs. The key itself never travels. A proof is `v1.<time>.<nonce>.<mac>` where `mac` is the
 * HMAC-SHA256, under the key, of the call's method, its path and query as sent, the time (milliseconds since the
 * epoch) and a random nonce. The receiver takes a proof once: within `PROOF_WINDOW_MS` of its own clock, with a
 * MAC that verifies, and a nonce it has not seen (remembered for as long as the proof is within the window, at
 * most `maxRemembered`; when one has to be forgotten early, every proof not newer than it is refused from then
 * on, so nothing forgotten can be replayed). A proof captured on the wire (by a TLS-terminating tunnel, say) so
 * opens nothing else on that node: not another path or method, not the same call again, not after the window.
 */
export class NetworkKey {
  readonly #key: Buffer;
  readonly #now: () => number;
  readonly #random: (size: number) => Buffer;
  readonly #maxRemembered: number;
  /** Nonces of proofs taken, with their times, oldest taken first. */
  readonly #seen = new Map<string, number>();
  /** No proof at or before this time is taken: a nonce of that age may have been forgotten. */
  #floor = Number.NEGATIVE_INFINITY;
  readonly #refusals: Record<ProofRefusal, number> = {
    missing: 0,
    malformed: 0,
    expired: 0,
    wrong_key: 0,
    replayed: 0,
  };

  constructor(secret: string, options: NetworkKeyOptions) {
    const length = [...secret].length;
    if (length < NETWORK_KEY_MIN_LENGTH || length > NETWORK_KEY_MAX_LENGTH) {
      throw new RangeError(
        `A network key must be ${NETWORK_KEY_MIN_LENGTH} to ${NETWORK_KEY_MAX_LENGTH} characters (it has ${length}).`,
      );
    }
    this.#key = Buffer.from(secret, 'utf8');
    this.#now = options.now;
    this.#random = options.random ?? randomBytes;
    this.#maxRemembered = options.maxRemembered ?? MAX_REMEMBERED_PROOFS;
  }

  /** A fresh proof for one call: `method` as sent, `target` the path and query as the receiver will read them. */
  prove(method: string, target: string): string {
    const time = String(Math.floor(this.#now()));
    const nonce = this.#random(NONCE_BYTES).toString('base64url');
    return `${VERSION}.${time}.${nonce}.${this.#mac(method, target, time, nonce).toString('base64url')}`;
  }

  /**
   * Checks the proof a call came with (`header`, the `Meshchat-Network` value) for the call's method and target;
   * `undefined` when taken (and then never again), else why not. Costs one HMAC at most; a refused proof is not
   * remembered.
   */
  verify(header: string | undefined, method: string, target: string): ProofRefusal | undefined {
    const refused = this.#check(header, method, target);
    if (refused) this.#refusals[refused]++;
    return refused;
  }

  /** Proofs refused since the node started, by why (`meshchat_network_key_refusals_total`). */
  get refusals(): Readonly<Record<ProofRefusal, number>> {
    return { ...this.#refusals };
  }

  #check(header: string | undefined, method: string, target: string): ProofRefusal | undefined {
    if (header === undefined || header === '') return 'missing';
    const match = PROOF.exec(header.trim());
    if (!match) return 'malformed';
    const [, time = '', nonce = '', mac = ''] = match;
    const at = Number(time);
    const now = this.#now();
    if (Math.abs(now - at) > PROOF_WINDOW_MS) return 'expired';
    const expected = this.#mac(method, target, time, nonce);
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'wrong_key';
    this.#forgetExpired(now);
    if (at <= this.#floor || this.#seen.has(nonce)) return 'replayed';
    this.#seen.set(nonce, at);
    if (this.#seen.size > this.#maxRemembered) {
      const oldest = this.#seen.entries().next().value;
      if (oldest) {
        this.#seen.delete(oldest[0]);
        this.#floor = Math.max(this.#floor, oldest[1]);
      }
    }
    return undefined;
  }

  /**
   * The proof an answer carries (`Meshchat-Network` on the answer) to the caller whose proof `request` this node
   * took: `v1.<mac>`, the HMAC of that request proof, the answer's status and the SHA-256 of its body as sent.
   * So a caller knows the answer came from a holder of the key, for its own call, and was not altered.
   */
  answer(request: string, status: number, body: Uint8Array): string {
    return `${VERSION}.${this.#answerMac(request, status, body).toString('base64url')}`;
  }

  /** Whether `header` proves the answer (`status`, `body`) to the call that carried the proof `request`. */
  checkAnswer(header: string | null | undefined, request: string, status: number, body: Uint8Array): boolean {
    const match = ANSWER.exec(header?.trim() ?? '');
    if (!match?.[1]) return false;
    const given = Buffer.from(match[1], 'base64url');
    const expected = this.#answerMac(request, status, body);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** Proofs remembered now (for tests and metrics). */
  get remembered(): number {
    return this.#seen.size;
  }

  /** Forgets, oldest first, the nonces whose proofs are past the window anyway: they are refused as expired. */
  #forgetExpired(now: number): void {
    for (const [nonce, at] of this.#seen) {
      if (now - at <= PROOF_WINDOW_MS) break;
      this.#seen.delete(nonce);
    }
  }

  #answerMac(request: string, status: number, body: Uint8Array): Buffer {
    const digest = createHash('sha256').update(body).digest('hex');
    return createHmac('sha256', this.#key)
      .update(`${ANSWER_CONTEXT}\n${request}\n${status}\n${digest}`)
      .digest();
  }

  #mac(method: string, target: string, time: string, nonce: string): Buffer {
    return createHmac('sha256', this.#key)
      .update(`${CONTEXT}\n${method.toUpperCase()}\n${target}\n${time}\n${nonce}`)
      .digest();
  }
}

/** What a refusal tells the caller, as the sentence of `401 network_key_required`. */
export function proofRefusalMessage(refusal: ProofRefusal): string {
  const why: Record<ProofRefusal, string> = {
    missing: 'the call carries no proof of it',
    malformed: 'the proof of it is not well formed',
    expired: "the proof's time is more than 5 minutes from this node's clock",
    wrong_key: 'the proof does not verify: the caller holds another key, or none',
    replayed: 'that proof was already used',
  };
  return `This node belongs to a private network: node-to-node calls must prove its network key (--network-key), and ${why[refusal]}.`;
}
