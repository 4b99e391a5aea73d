import type { HistoryItem } from './chat-client-api.js';
import { isRecord, parseMessage, type StatusEvent } from './frames.js';
import type { MessageLedger } from './message-ledger.js';
import type { SentLedger } from './sent-ledger.js';

/**
 * The entries of one `history` frame the user should see: messages not seen before (a send of this client
 * whose ack was lost gets its `ownRef`), and the new status of messages seen before. `malformed` counts the
 * entries that were not messages.
 */
export function readHistory(
  entries: readonly unknown[],
  ledger: MessageLedger,
  sent: SentLedger,
  selfId: string | undefined,
): { items: HistoryItem[]; malformed: number } {
  const items: HistoryItem[] = [];
  let malformed = 0;
  for (const raw of entries) {
    const entry = parseMessage(raw);
    if (!entry || !isRecord(raw)) {
      malformed++;
      continue;
    }
    const previous = entry.id === undefined ? undefined : ledger.told(entry.id);
    const decision = ledger.history(entry);
    if (decision === 'show') {
      const mine = entry.status !== undefined && entry.from !== undefined && entry.from === selfId;
      const ownRef = mine ? sent.claim(entry, true) : undefined;
      items.push({ kind: 'message', message: entry, raw, ...(ownRef === undefined ? {} : { ownRef }) });
    } else if (decision === 'status' && entry.id !== undefined && entry.status !== undefined) {
      const change: StatusEvent = { id: entry.id, status: entry.status };
      if (entry.to !== undefined) change.to = entry.to;
      if (entry.seq !== undefined) change.seq = entry.seq;
      items.push({ kind: 'status', change, previous });
    }
  }
  return { items, malformed };
}
