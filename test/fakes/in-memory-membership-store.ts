import type { MembershipStore, RememberedMembership } from '../../src/application/ports/membership-store.js';

/** A store that lives as long as the test: hand the same one to a "restarted" node. */
export class InMemoryMembershipStore implements MembershipStore {
  saved: RememberedMembership | undefined;
  saves = 0;

  load(): RememberedMembership | undefined {
    return this.saved && structuredClone(this.saved);
  }

  save(membership: RememberedMembership): void {
    this.saved = structuredClone(membership);
    this.saves++;
  }

  close(): void {}
}
