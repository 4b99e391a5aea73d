import { MeshError } from '../../domain/errors.js';
import {
  BadSignature,
  canonicalNodeRecord,
  KeyMismatch,
  MAX_SIGNATURE_SKEW_MS,
  type NodeSignature,
  type RecordPurpose,
} from '../../domain/node-signature.js';
import type { AuditTrail } from '../ports/accounts/audit-trail.js';
import type { Clock } from '../ports/clock.js';
import type { NodeSigner } from '../ports/node-signer.js';
import type { SignatureVerifier } from '../ports/signature-verifier.js';

interface Unsigned {
  readonly id: string;
  readonly url: string;
  readonly incarnation?: number;
}

/** A record as it may arrive: the signature fields are all present or the record counts as unsigned. */
export type MaybeSigned = Unsigned & Partial<NodeSignature>;

/**
 * Signed node identity (SPEC section 7): signs this node's own records and checks other nodes' records against
 * the key each id was first seen with (trust on first use).
 *
 * - `check` returns true for a record that verifies under the id's key (binding the id on first contact), false
 *   for an unsigned record of an id that never showed a key (a plain node: base rules). It throws
 *   `BadSignature` for a bad, stale or missing signature on a bound id, and `KeyMismatch` for another key. It
 *   changes nothing but the bindings, and binds only what verified.
 * - This node's own id is bound to its own key from the start, so nobody can speak for it.
 */
export class NodeKeys {
  readonly #bound = new Map<string, string>();

  constructor(
    private readonly deps: {
      self: string;
      signer?: NodeSigner;
      verifier: SignatureVerifier;
      clock: Clock;
      /** Where refusals are recorded (the database and the log): a forged record is an attack worth seeing. */
      audit?: AuditTrail;
    },
  ) {
    if (deps.signer) this.#bound.set(deps.self, deps.signer.publicKey);
  }

  /** This node's record with its signature, or as it is when the node has no key. */
  sign<T extends Unsigned>(purpose: RecordPurpose, record: T): T & Partial<NodeSignature> {
    const { signer, clock } = this.deps;
    if (!signer) return record;
    const signedAt = clock.now();
    return {
      ...record,
      key: signer.publicKey,
      sig: signer.sign(canonicalNodeRecord(purpose, record, signedAt)),
      signedAt,
    };
  }

  check(purpose: RecordPurpose, record: MaybeSigned): boolean {
    try {
      return this.#check(purpose, record);
    } catch (error) {
      const { audit, clock, self } = this.deps;
      if (error instanceof MeshError)
        audit?.record({
          at: new Date(clock.now()).toISOString(),
          node: self,
          user: '-',
          op: 'node_record',
          object: `node ${record.id} ${purpose} ${record.url}`,
          outcome: error.code,
        });
      throw error;
    }
  }

  #check(purpose: RecordPurpose, record: MaybeSigned): boolean {
    const bound = this.#bound.get(record.id);
    const { key, sig, signedAt } = record;
    if (key === undefined || sig === undefined || signedAt === undefined) {
      if (bound === undefined) return false;
      throw new BadSignature(`Node "${record.id}" signs its records; an unsigned one was refused.`);
    }
    if (Math.abs(this.deps.clock.now() - signedAt) > MAX_SIGNATURE_SKEW_MS) {
      throw new BadSignature(
        `The signature of node "${record.id}" is too old or too far ahead of this clock.`,
      );
    }
    if (!this.deps.verifier.verify(key, canonicalNodeRecord(purpose, record, signedAt), sig)) {
      throw new BadSignature(`The signature of node "${record.id}" does not verify.`);
    }
    if (bound !== undefined && bound !== key) throw new KeyMismatch(record.id);
    this.#bound.set(record.id, key);
    return true;
  }

  /**
   * Whether a gossiped record may be taken in (anti-entropy, a seed's list at join): a valid signature, an id
   * that never showed a key, or, for a keyed id, an unsigned record that changes neither its url nor its
   * incarnation (third parties pass keyed records on without their signatures; they may still say it is down,
   * which a probe then checks). Records about this node itself are left to the registry. Never throws.
   */
  admits(record: MaybeSigned, known?: { readonly url: string; readonly incarnation?: number }): boolean {
    // What others say about this node itself is the registry's to judge: it refutes, it is never moved.
    if (record.id === this.deps.self) return true;
    if (record.sig !== undefined) {
      try {
        return this.check('announce', record);
      } catch {
        return false;
      }
    }
    if (!this.isKeyed(record.id)) return true;
    return known?.url === record.url && (record.incarnation ?? known.incarnation) === known.incarnation;
  }

  /** Whether records of this id must be signed (it showed a verified key). */
  isKeyed(id: string): boolean {
    return this.#bound.has(id);
  }

  /** The key `id` is bound to, if any. */
  keyOf(id: string): string | undefined {
    return this.#bound.get(id);
  }

  /** The bindings, to keep with the known-node list. */
  bindings(): Record<string, string> {
    return Object.fromEntries(this.#bound);
  }

  /** Bindings kept from an earlier run; this node's own binding is never replaced. */
  restore(bindings: Readonly<Record<string, string>>): void {
    for (const [id, key] of Object.entries(bindings)) if (id !== this.deps.self) this.#bound.set(id, key);
  }
}
