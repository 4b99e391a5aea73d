import { type AdmissionSettings, admit, type LaneLoad } from '../../domain/admission.js';
import type { NodeRecord } from '../../domain/node-record.js';
import { DestinationBusy } from '../errors.js';
import type { Clock } from '../ports/clock.js';

/** A user's message refused at the door: what `DestinationBusy` carries, as a plain value. */
export interface BusyRefusal {
  readonly code: 'destination_busy';
  readonly message: string;
  readonly retryAfterSeconds: number;
}

/** What a sender refused `destination_busy` is told: as `sendFromUser` tells a `DestinationBusy` thrown. */
export function busyError(busy: BusyRefusal): { code: string; message: string; retryAfter: number } {
  return { code: busy.code, message: busy.message, retryAfter: busy.retryAfterSeconds };
}

/** What the outbox's lane for a destination holds, as admission reads it (`LaneLoad` without the admitted). */
export type QueuedLoad = Omit<LaneLoad, 'waiting'> & { readonly queued: number };

/**
 * Admission of users' messages at the outbox's door (`admit`, domain/admission.ts): refuses `DestinationBusy`
 * when a target is behind, else counts the message as admitted for each target until it is in its lane (its
 * store write is under way), so a burst cannot slip past the bound meanwhile.
 */
export class AdmissionGate {
  /** Users' messages admitted for a destination and not in its lane yet (being stored). */
  #admitted = new Map<string, number>();

  constructor(
    private readonly settings: AdmissionSettings,
    private readonly clock: Clock,
    private readonly loadOf: (node: string) => QueuedLoad,
  ) {}

  /**
   * Why a user's message for `targets` would be refused now, without taking it: the first target that is behind,
   * with the sentence and `retryAfter` the sender is told (`DestinationBusy`); undefined when every target admits
   * it. Nothing is thrown: a refusal is the expected answer under overload, and cheap.
   */
  refusal(targets: readonly NodeRecord[]): BusyRefusal | undefined {
    const now = this.clock.now();
    for (const target of targets) {
      const { queued, oldestAt, backingOff } = this.loadOf(target.id);
      const load: LaneLoad = { oldestAt, backingOff, waiting: queued + (this.#admitted.get(target.id) ?? 0) };
      const refused = admit(load, now, this.settings);
      if (!refused) continue;
      const why =
        refused.reason === 'waiting'
          ? `${load.waiting} messages already wait for it`
          : `its oldest waiting message has waited ${now - (load.oldestAt ?? now)} ms`;
      return {
        code: 'destination_busy',
        message: `Node "${target.id}" is behind (${why}); nothing was taken, try again in ${refused.retryAfterSeconds} s.`,
        retryAfterSeconds: refused.retryAfterSeconds,
      };
    }
    return undefined;
  }

  /**
   * Admits the message for every target or throws `DestinationBusy` (`refusal`); the function returned says it
   * is in its lanes now (or was not stored), and does so once however often it is called.
   */
  enter(targets: readonly NodeRecord[]): () => void {
    const refused = this.refusal(targets);
    if (refused) throw new DestinationBusy(refused.message, refused.retryAfterSeconds);
    for (const target of targets) this.#admitted.set(target.id, (this.#admitted.get(target.id) ?? 0) + 1);
    let left = targets.map((target) => target.id);
    return () => {
      for (const node of left) {
        const count = (this.#admitted.get(node) ?? 1) - 1;
        if (count > 0) this.#admitted.set(node, count);
        else this.#admitted.delete(node);
      }
      // Emptied: a new Map, so that its tables stay in V8's young generation (see `Courier`'s parcels).
      if (left.length > 0 && this.#admitted.size === 0) this.#admitted = new Map();
      left = [];
    };
  }
}
