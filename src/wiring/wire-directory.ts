import type { ListUsers } from '../application/accounts/list-users.js';
import { type DirectorySettings, directorySettings } from '../application/directory/directory-settings.js';
import { MeshDirectory } from '../application/directory/mesh-directory.js';
import { OwnDirectory } from '../application/directory/own-directory.js';
import { MEMBERSHIP_PROFILES, type MembershipSettings } from '../application/membership/settings.js';
import type { Clock } from '../application/ports/clock.js';
import type { InternalErrors } from '../application/ports/internal-errors.js';
import type { PeerClient } from '../application/ports/peer-client.js';
import type { PeerRegistry } from '../domain/peer-registry.js';

/**
 * What the directory reads: the membership it rides on, and this node's users with their presence, as the
 * accounts wiring lists them (its `ListUsers`, over the node's one account store and `Presence`).
 */
export interface DirectoryParts {
  readonly registry: PeerRegistry;
  readonly peers: PeerClient;
  readonly clock: Clock;
  readonly listUsers: Pick<ListUsers, 'execute'>;
  readonly errors?: InternalErrors;
}

/** Who the users are: this node's (`GET /users`) and the replicated mesh directory (`?scope=mesh`). */
export interface DirectoryWiring {
  readonly ownDirectory: OwnDirectory;
  /** Hand it to the membership wiring as `views`, so it learns versions from anti-entropy. */
  readonly directory: MeshDirectory;
}

export function wireDirectory(
  parts: DirectoryParts,
  settings: {
    /** Over the `lan` profile, as the membership protocol takes it. */
    readonly membership?: Partial<MembershipSettings>;
    readonly directory?: Partial<DirectorySettings>;
  },
): DirectoryWiring {
  const { registry, peers, clock, listUsers, errors } = parts;
  const ownDirectory = new OwnDirectory({ clock, users: listUsers });
  const timing = directorySettings({ ...MEMBERSHIP_PROFILES.lan, ...settings.membership });
  const directory = new MeshDirectory(
    { registry, peers, clock, own: ownDirectory, errors },
    { ...timing, ...settings.directory },
  );
  return { ownDirectory, directory };
}
