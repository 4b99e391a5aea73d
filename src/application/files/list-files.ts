import { parseUserAddress } from '../../domain/account.js';
import { InvalidInput } from '../../domain/errors.js';
import { type FileRecord, searchWords } from '../../domain/file-record.js';
import type { AuthenticatedUser } from '../accounts/authenticate.js';
import { audited, type FilesContext, optionalUser } from './file-deps.js';
import type { MeshCatalog } from './mesh-catalog.js';

/** Most records one answer carries, and how many when the client does not say. */
export const LIST_MAX_LIMIT = 500;
export const LIST_DEFAULT_LIMIT = 100;

export interface ListRequest {
  /** A login is not needed; when given, the audit record names the user. */
  readonly token?: string;
  /** `name@node`: that user's files. */
  readonly owner?: string;
  /** Words to find in names and descriptions. */
  readonly q?: string;
  /** `node` (the default) or `mesh`, as in `GET /users`: `mesh` is answered from the mesh catalog's copies. */
  readonly scope?: string;
  readonly limit?: string;
}

export interface FileListing {
  readonly files: readonly FileRecord[];
  /** The nodes whose records are in the answer. */
  readonly answered: readonly string[];
  /** Meshchat nodes whose current part of the mesh catalog is not in the answer (never silently dropped). */
  readonly missing: readonly string[];
  /** `scope=mesh`: of `missing`, the nodes whose older copy is in `files` (behind their advertised version). */
  readonly stale?: readonly string[];
}

/**
 * `GET /files`: this node's records, all (newest first), one owner's, or those matching words in their name or
 * description (best match first), with both filters combinable. `scope=mesh` adds the records of every other
 * node from the mesh catalog's local copies (no request), naming in `missing` the nodes whose current part is not
 * held and in `stale` those of them whose older copy is given; without a mesh catalog it is this node's records
 * only. Audited as `list` or `search`.
 */
export class ListFiles {
  constructor(
    private readonly context: FilesContext,
    private readonly mesh?: Pick<MeshCatalog, 'mesh'>,
  ) {}

  execute(request: ListRequest): Promise<FileListing> {
    let user: AuthenticatedUser | undefined;
    const { q, owner } = request;
    return audited(
      this.context,
      q === undefined ? 'list' : 'search',
      () => user?.name,
      () =>
        q === undefined
          ? owner === undefined
            ? 'files'
            : `files of ${owner.slice(0, 100)}`
          : `search ${JSON.stringify(q.slice(0, 100))}`,
      () => {
        user = optionalUser(this.context, request.token);
        return this.#list(request);
      },
    );
  }

  #list(request: ListRequest): FileListing {
    const { node, catalog } = this.context;
    if (request.scope !== undefined && request.scope !== 'node' && request.scope !== 'mesh')
      throw new InvalidInput('invalid_scope', 'scope is "node" or "mesh".');
    const limit = request.limit === undefined ? LIST_DEFAULT_LIMIT : Number(request.limit);
    if (!/^\d{1,4}$/.test(request.limit ?? '1') || limit < 1 || limit > LIST_MAX_LIMIT)
      throw new InvalidInput('invalid_limit', `limit is a whole number from 1 to ${LIST_MAX_LIMIT}.`);
    const owner = request.owner === undefined ? undefined : parseUserAddress(request.owner);
    const words = request.q === undefined ? undefined : searchWords(request.q);
    const query = {
      ...(owner ? { owner: `${owner.name}@${owner.node}` } : {}),
      ...(words ? { words } : {}),
      limit,
    };
    // A search with no word in it (only punctuation, say) matches nothing rather than everything.
    if (request.scope === 'mesh' && this.mesh) {
      const listing = this.mesh.mesh(query);
      return words?.length === 0 ? { ...listing, files: [] } : listing;
    }
    const files = words?.length === 0 ? [] : catalog.list(query);
    return { files, answered: [node], missing: [] };
  }
}
