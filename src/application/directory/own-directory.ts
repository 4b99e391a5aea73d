import type { DirectoryUser } from '../../domain/directory.js';
import type { Clock } from '../ports/clock.js';

/** This node's users and the version of that list, as `GET /users` and the node's `GET /nodes` entry give them. */
export interface DirectorySnapshot {
  readonly users: DirectoryUser[];
  readonly version: number;
}

/**
 * The version of this node's own user list. The list is read when asked (accounts and presence are the truth),
 * and the version moves whenever what it reads differs from the last read: a registration, an unregistration,
 * a user coming online or going offline. Versions start from the clock's milliseconds, so a restarted node's
 * first version is above any it gave before, and peers holding an old copy pull again.
 */
export class OwnDirectory {
  #last: string | undefined;
  #version = 0;

  constructor(
    private readonly deps: { readonly clock: Clock; readonly users: { execute(): DirectoryUser[] } },
  ) {}

  snapshot(): DirectorySnapshot {
    const users = this.deps.users.execute();
    const text = JSON.stringify(users);
    if (text !== this.#last) {
      this.#last = text;
      this.#version = Math.max(this.#version + 1, this.deps.clock.now());
    }
    return { users, version: this.#version };
  }
}
