import { canonicalAccountName, formatUserAddress } from './account.js';

/** One user of a node's directory, as `GET /users` lists it: `lastSeen` is ISO-8601, or null. */
export interface DirectoryUser {
  readonly user: string;
  readonly online: boolean;
  readonly lastSeen: string | null;
}

/** Most users this node keeps of one other node's list; the rest of a longer list is cut. */
export const MAX_DIRECTORY_USERS_PER_NODE = 1_000;

/** Longest `lastSeen` kept from a peer (an ISO-8601 time is 24 characters; a longer one is not one). */
const LAST_SEEN_MAX_LENGTH = 40;

/**
 * Versions start from the clock's milliseconds (as incarnations do), so one more than a day ahead is forged or
 * broken: it would make this node pull that node's list every round.
 */
export const MAX_DIRECTORY_VERSION_AHEAD_MS = 24 * 60 * 60_000;

export function isPlausibleDirectoryVersion(version: number, now: number): boolean {
  return Number.isSafeInteger(version) && version >= 0 && version <= now + MAX_DIRECTORY_VERSION_AHEAD_MS;
}

/**
 * The entries of node `node`'s list that a peer may vouch for: users whose address is `<name>@<node>` with a
 * valid name (so no node can publish another node's users), each address once, at most `max` of them, with a
 * `lastSeen` that is a parsable time or null.
 */
export function ownedUsers(node: string, users: readonly DirectoryUser[], max: number): DirectoryUser[] {
  const kept = new Map<string, DirectoryUser>();
  for (const entry of users) {
    if (kept.size >= max) break;
    const at = entry.user.lastIndexOf('@');
    if (at <= 0 || entry.user.slice(at + 1) !== node) continue;
    const name = canonicalAccountName(entry.user.slice(0, at));
    if (name === undefined) continue;
    const user = formatUserAddress({ name, node });
    if (kept.has(user)) continue;
    const lastSeen =
      typeof entry.lastSeen === 'string' &&
      entry.lastSeen.length <= LAST_SEEN_MAX_LENGTH &&
      !Number.isNaN(Date.parse(entry.lastSeen))
        ? entry.lastSeen
        : null;
    kept.set(user, { user, online: entry.online === true, lastSeen });
  }
  return [...kept.values()];
}
