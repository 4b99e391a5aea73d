import type { NodeInfo } from './frames.js';

/** A peer that joined, changed state or dropped out between two node lists, said in one line. */
export interface NodeChange {
  id: string;
  text: string;
}

function stateChangeText(before: NodeInfo, after: NodeInfo): string | undefined {
  const was = before.state ?? 'alive';
  const now = after.state ?? 'alive';
  if (was === now) return undefined;
  switch (now) {
    case 'alive':
      return `${after.id} is back`;
    case 'suspect':
      return `${after.id} is not answering`;
    case 'dead':
    case 'left':
      return `${after.id} left or went down`;
    default:
      return `${after.id} is ${now}`;
  }
}

/** What changed from `previous` to `next`, this node (`selfId`) left out. */
export function nodeChanges(
  previous: readonly NodeInfo[],
  next: readonly NodeInfo[],
  selfId: string | undefined,
): NodeChange[] {
  const before = new Map(previous.map((n) => [n.id, n]));
  const after = new Set(next.map((n) => n.id));
  const changes: NodeChange[] = [];
  for (const n of next) {
    if (n.id === selfId) continue;
    const old = before.get(n.id);
    const text = old ? stateChangeText(old, n) : `${n.id} joined`;
    if (text) changes.push({ id: n.id, text });
  }
  for (const n of previous) {
    if (!after.has(n.id) && n.id !== selfId) changes.push({ id: n.id, text: `${n.id} left or went down` });
  }
  return changes;
}
