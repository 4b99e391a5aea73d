import type { Member } from './peer-registry.js';

/**
 * At most this many plain nodes are probed per round by one watcher, so a run of records nobody can vouch for
 * (a plain node's `PUT` is taken as the base protocol says, unchecked) cannot turn one node into a prober of
 * thousands of addresses every second.
 */
export const MAX_PLAIN_WATCHED = 8;

/**
 * The members a node watches: walking the ring of members ordered by id from the node onwards, every member up
 * to and including the `monitors`-th meshchat member (plain nodes never probe anyone, so they are watched on
 * top, at most `maxPlain` of them). So every member is watched by `monitors` meshchat nodes when that many
 * exist. Suspects are skipped: whoever suspected them keeps probing them.
 */
export function watchedMembers(
  members: readonly Member[],
  selfId: string,
  monitors: number,
  maxPlain = MAX_PLAIN_WATCHED,
): Member[] {
  const ring = [...members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const start = ring.findIndex((m) => m.id === selfId);
  const picked: Member[] = [];
  let meshchat = 0;
  let plain = 0;
  for (let step = 1; step < ring.length && meshchat < monitors; step++) {
    const member = ring[(start + step) % ring.length] as Member;
    if (member.state !== 'alive') continue;
    if (member.incarnation !== undefined) meshchat++;
    else if (++plain > maxPlain) continue;
    picked.push(member);
  }
  return picked;
}
