/**
 * Admission of a user's new message for one destination, decided before anything is stored: a destination
 * that answers but cannot keep up (its backlog in this node's outbox is long, or old) gets no more from users
 * until it catches up, so latency stays bounded and the sender hears so at once instead of being queued
 * without bound. A destination that is down (the outbox backs off from it) is not judged here: messages for it
 * are kept, up to the outbox's own bounds, and delivered when it is back.
 */
export interface AdmissionSettings {
  /** Most messages waiting for one reachable destination; one more is refused. 0: no bound. */
  readonly maxWaiting: number;
  /** Longest the oldest waiting message of a reachable destination may have waited; past it, refused. 0: no bound. */
  readonly maxWaitMs: number;
}

/** What the outbox knows of one destination when a send for it arrives. */
export interface LaneLoad {
  /** Messages waiting for it (sent but unanswered included). */
  readonly waiting: number;
  /** When the oldest of them was put in the outbox (this node's clock), when any waits. */
  readonly oldestAt: number | undefined;
  /** The outbox is backing off from it after a failed call (down, or not answering). */
  readonly backingOff: boolean;
}

/** Why a send is refused, and how long to wait before trying again (whole seconds, at least 1). */
export interface AdmissionRefusal {
  readonly reason: 'waiting' | 'age';
  readonly retryAfterSeconds: number;
}

/**
 * The rule: refused when the destination is reachable and has `maxWaiting` messages waiting already, or its
 * oldest has waited `maxWaitMs` or more. `retryAfterSeconds` is the age bound in whole seconds (at least 1):
 * about as long as the backlog that caused the refusal takes to go.
 */
export function admit(
  load: LaneLoad,
  now: number,
  settings: AdmissionSettings,
): AdmissionRefusal | undefined {
  if (load.backingOff || load.waiting === 0) return undefined;
  const retryAfterSeconds = Math.max(1, Math.ceil(settings.maxWaitMs / 1000));
  if (settings.maxWaiting > 0 && load.waiting >= settings.maxWaiting) {
    return { reason: 'waiting', retryAfterSeconds };
  }
  if (settings.maxWaitMs > 0 && load.oldestAt !== undefined && now - load.oldestAt >= settings.maxWaitMs) {
    return { reason: 'age', retryAfterSeconds };
  }
  return undefined;
}
