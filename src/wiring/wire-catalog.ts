import { type CatalogSettings, catalogSettings } from '../application/files/catalog-settings.js';
import { MeshCatalog } from '../application/files/mesh-catalog.js';
import { VersionedFileCatalog } from '../application/files/versioned-catalog.js';
import { MEMBERSHIP_PROFILES, type MembershipSettings } from '../application/membership/settings.js';
import type { Clock } from '../application/ports/clock.js';
import type { CatalogCopies } from '../application/ports/files/catalog-copies.js';
import type { FileCatalog } from '../application/ports/files/file-catalog.js';
import type { HeldCopies } from '../application/ports/files/held-copies.js';
import type { InternalErrors } from '../application/ports/internal-errors.js';
import type { PeerClient } from '../application/ports/peer-client.js';
import type { PeerRegistry } from '../domain/peer-registry.js';

export interface CatalogParts {
  readonly registry: PeerRegistry;
  readonly peers: PeerClient;
  readonly clock: Clock;
  /** The node's own file catalog (its database); the wiring wraps it to version it. */
  readonly fileCatalog: FileCatalog;
  /** Where the copies of other nodes' records are kept (they are loaded from it at start). */
  readonly copies: CatalogCopies;
  /** Where the ids of the verified copies this node fetched are kept across a restart (else in memory only). */
  readonly held?: HeldCopies;
  readonly errors?: InternalErrors;
}

/** The mesh catalog and the versioned own catalog every file use case must go through. */
export interface CatalogWiring {
  readonly ownCatalog: VersionedFileCatalog;
  /** Hand it to the membership wiring's `views` (with the directory), so it learns versions from gossip. */
  readonly meshCatalog: MeshCatalog;
  /** Its copies' store, for the node to close with the other stores. */
  readonly catalogCopies: CatalogCopies;
  /** The held copies' store, when given, for the node to close with the other stores. */
  readonly heldCopies?: HeldCopies;
}

export function wireCatalog(
  parts: CatalogParts,
  settings: {
    readonly membership?: Partial<MembershipSettings>;
    readonly catalog?: Partial<CatalogSettings>;
  },
): CatalogWiring {
  const { registry, peers, clock, fileCatalog, copies, held, errors } = parts;
  const ownCatalog = new VersionedFileCatalog(fileCatalog, clock, undefined, {
    ...(held ? { heldCopies: held } : {}),
    ...(errors ? { errors } : {}),
  });
  const timing = catalogSettings({ ...MEMBERSHIP_PROFILES.lan, ...settings.membership });
  const meshCatalog = new MeshCatalog(
    { registry, peers, clock, own: ownCatalog, copies, errors },
    { ...timing, ...settings.catalog },
  );
  return { ownCatalog, meshCatalog, catalogCopies: copies, ...(held ? { heldCopies: held } : {}) };
}
