/**
 * How many calls of one kind a node may start per round (a probe interval). Work past it waits for a later
 * round or is dropped, so what a node sends per second is bounded by constants, whatever it is asked to do:
 * no input can make it fan out a call to every member for every request it receives.
 */
export class RoundBudget {
  #left: number;

  constructor(readonly perRound: number) {
    this.#left = perRound;
  }

  /** A new round: the whole budget again (unspent calls do not carry over). */
  refill(): void {
    this.#left = this.perRound;
  }

  /** Takes up to `wanted` calls from this round's budget; returns how many may be made now. */
  take(wanted: number): number {
    const granted = Math.max(0, Math.min(wanted, this.#left));
    this.#left -= granted;
    return granted;
  }
}
