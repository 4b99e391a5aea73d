import type { NetworkKey } from '../adapters/crypto/network-key.js';
import { createHttpApp, type HttpApp } from '../adapters/http/create-http-app.js';
import { HttpRateLimits } from '../adapters/http/http-rate-limits.js';
import type { WebAssets } from '../adapters/web/web-assets.js';
import type { UserPush } from '../application/ports/user-push.js';
import type { AdmissionSettings } from '../domain/admission.js';
import type { PeerRegistry } from '../domain/peer-registry.js';
import type { RateLimitSettings } from '../domain/rate-limits.js';
import type { AccountsWiring } from './wire-accounts.js';
import type { DirectoryWiring } from './wire-directory.js';
import type { FilesWiring } from './wire-files.js';
import type { MembershipWiring } from './wire-membership.js';
import type { MessagingWiring } from './wire-messaging.js';
import type { OperationsWiring } from './wire-operations.js';

/** The node API over the use cases it drives, with the web page and what operators read. */
export function wireHttpApp(
  parts: { readonly registry: PeerRegistry } & Pick<
    MembershipWiring,
    'announce' | 'remove' | 'probe' | 'keys'
  > &
    Pick<MessagingWiring, 'receive' | 'receiveMany'> &
    Partial<Pick<MessagingWiring, 'readHistory'>> &
    Pick<OperationsWiring, 'health' | 'metrics' | 'meshMap' | 'errors'> &
    Pick<DirectoryWiring, 'ownDirectory' | 'directory'> &
    Pick<AccountsWiring, 'register' | 'login' | 'logout' | 'unregister'> &
    Pick<FilesWiring, 'files'> & {
      /** Every front end, to close the connections of a removed account. */
      readonly push: Pick<UserPush, 'disconnectUser'>;
    },
  settings: {
    readonly web: WebAssets;
    readonly maxBodyBytes?: number;
    readonly peerLinks?: boolean;
    /** With `now`, turns the per-client HTTP budgets on (unless `limiter` is given); advertised at `/limits`. */
    readonly rateLimits?: RateLimitSettings;
    readonly now?: () => number;
    readonly trustForwardedFor?: boolean;
    /** The per-client HTTP budgets, when the caller shares them (with the peer link server's upgrades). */
    readonly limiter?: HttpRateLimits;
    /** Only logged-in users are served (`HttpAppDeps.privateNode`). */
    readonly privateNode?: boolean;
    /** Node-to-node routes answer only calls that prove it (`HttpAppDeps.networkKey`). */
    readonly networkKey?: NetworkKey;
    /** The outbox's admission bounds, advertised at `/limits`. */
    readonly admission?: AdmissionSettings;
  },
): HttpApp {
  const { registry, announce, remove, probe, keys, receive, receiveMany, health, metrics, meshMap, errors } =
    parts;
  const { ownDirectory, directory, register, login, logout, unregister, push, files } = parts;
  const { rateLimits, now, trustForwardedFor } = settings;
  const limiter =
    settings.limiter ??
    (rateLimits && now ? new HttpRateLimits(rateLimits, { now, trustForwardedFor }) : undefined);
  return createHttpApp({
    registry,
    announce,
    remove,
    probe,
    ...(keys ? { keys } : {}),
    receive,
    receiveMany,
    web: settings.web,
    directory: { own: ownDirectory, mesh: directory },
    ops: { health, metrics, mesh: () => meshMap.snapshot() },
    accounts: { register, login, logout, unregister, users: push },
    files,
    maxBodyBytes: settings.maxBodyBytes,
    peerLinks: settings.peerLinks,
    ...(limiter ? { rateLimits: limiter } : {}),
    ...(rateLimits ? { limits: rateLimits } : {}),
    ...(settings.admission ? { admission: settings.admission } : {}),
    privateNode: settings.privateNode === true,
    ...(settings.networkKey ? { networkKey: settings.networkKey } : {}),
    ...(parts.readHistory
      ? { historyPages: { page: parts.readHistory.page, maxPage: parts.readHistory.maxPage } }
      : {}),
    onInternalError: (error) => errors.report(error),
  });
}
