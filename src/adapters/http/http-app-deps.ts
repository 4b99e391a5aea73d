import type { Login } from '../../application/accounts/login.js';
import type { Logout } from '../../application/accounts/logout.js';
import type { Register } from '../../application/accounts/register.js';
import type { Unregister } from '../../application/accounts/unregister.js';
import type { MeshDirectory } from '../../application/directory/mesh-directory.js';
import type { OwnDirectory } from '../../application/directory/own-directory.js';
import type { DeleteFile } from '../../application/files/delete-file.js';
import type { DownloadFile } from '../../application/files/download-file.js';
import type { GetFileRecord } from '../../application/files/get-file-record.js';
import type { ListDownloads } from '../../application/files/list-downloads.js';
import type { ListFiles } from '../../application/files/list-files.js';
import type { MeshCatalog, OwnCatalog } from '../../application/files/mesh-catalog.js';
import type { PublishFile } from '../../application/files/publish-file.js';
import type { AnnounceNode } from '../../application/membership/announce-node.js';
import type { NodeKeys } from '../../application/membership/node-keys.js';
import type { ProbeForPeer } from '../../application/membership/probe-for-peer.js';
import type { RemoveNode } from '../../application/membership/remove-node.js';
import type { ReceiveMessage } from '../../application/messaging/receive-message.js';
import type { ReceiveMessages } from '../../application/messaging/receive-messages.js';
import type { CheckHealth } from '../../application/operations/check-health.js';
import type { UserPush } from '../../application/ports/user-push.js';
import type { AdmissionSettings } from '../../domain/admission.js';
import type { MeshGraph } from '../../domain/mesh-graph.js';
import type { PeerRegistry } from '../../domain/peer-registry.js';
import type { RateLimitSettings } from '../../domain/rate-limits.js';
import type { NetworkKey } from '../crypto/network-key.js';
import type { WebAssets } from '../web/web-assets.js';
import type { HttpRateLimits } from './http-rate-limits.js';

/** The request body limit when `maxBodyBytes` is not set. */
export const DEFAULT_MAX_BODY_BYTES = 512 * 1024;

export interface HttpAppDeps {
  readonly registry: PeerRegistry;
  readonly announce: AnnounceNode;
  readonly remove: RemoveNode;
  readonly probe: ProbeForPeer;
  /** Signs this node's own entry and says which members are keyed; every entry unsigned when absent. */
  readonly keys?: NodeKeys;
  readonly receive: ReceiveMessage;
  readonly receiveMany: ReceiveMessages;
  readonly web: WebAssets;
  /** `GET /users`: this node's users (`own`) and the mesh directory's copies of everyone else's (`mesh`). */
  readonly directory: DirectoryDeps;
  /** What operators read: `/healthz`, `/metrics`, `/mesh`. */
  readonly ops: OpsDeps;
  /** This node's accounts: `POST /users`, `DELETE /users/{name}`, `/sessions`. */
  readonly accounts: AccountsDeps;
  /** Files published here: `/files`. */
  readonly files: FilesDeps;
  readonly maxBodyBytes?: number;
  /** Per-client budgets, checked before anything else; none when absent. */
  readonly rateLimits?: HttpRateLimits;
  /** Every limit the node keeps, as `GET /limits` advertises them; the defaults when absent. */
  readonly limits?: RateLimitSettings;
  /** History pages (`ReadHistory`): messages sent on connect, and the cap on a request; at `GET /limits`. */
  readonly historyPages?: { readonly page: number; readonly maxPage: number };
  /** The outbox's admission bounds for users' messages, advertised at `GET /limits` (none when absent). */
  readonly admission?: AdmissionSettings;
  /** This node serves peer links at `/peer` (SPEC section 8): its own node entry says `link: true`. */
  readonly peerLinks?: boolean;
  /**
   * A private node (`--private`): `PUT /msg` without `from` (a plain client's echo mode, a user of nobody's
   * account) is refused `401 auth_required`; `/limits` says so.
   */
  readonly privateNode?: boolean;
  /**
   * The network key (`--network-key`): the node-to-node routes (`peer: true`) answer only calls that prove it,
   * else `401 network_key_required`. Every route is open to every caller when absent.
   */
  readonly networkKey?: Pick<NetworkKey, 'verify' | 'answer'>;
  /** Called with every failure this node could not map to a client's mistake (a 500). */
  readonly onInternalError?: (error: unknown, request: { method: string; path: string }) => void;
}

export interface DirectoryDeps {
  readonly own: Pick<OwnDirectory, 'snapshot'>;
  readonly mesh: Pick<MeshDirectory, 'mesh' | 'versionOf'>;
}

export interface AccountsDeps {
  readonly register: Register;
  readonly login: Login;
  readonly logout: Logout;
  readonly unregister: Unregister;
  /** The front ends: an account that was removed has its live connections closed. */
  readonly users: Pick<UserPush, 'disconnectUser'>;
}

export interface FilesDeps {
  readonly publish: PublishFile;
  readonly remove: DeleteFile;
  readonly list: ListFiles;
  readonly record: GetFileRecord;
  readonly download: DownloadFile;
  readonly downloads: ListDownloads;
  /** The mesh catalog: this node's records for `GET /files/catalog`, and the versions `GET /nodes` carries. */
  readonly catalog?: {
    readonly own: OwnCatalog;
    readonly mesh: Pick<MeshCatalog, 'versionOf'>;
  };
}

export interface OpsDeps {
  readonly health: CheckHealth;
  readonly metrics: { readonly contentType: string; text(): Promise<string> };
  readonly mesh: () => MeshGraph;
}
