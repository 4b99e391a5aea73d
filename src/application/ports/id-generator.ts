/** Unique message ids. `next` never returns the same value twice in a network's lifetime (a UUID does). */
export interface IdGenerator {
  next(): string;
}
