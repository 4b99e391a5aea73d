import { EVERYONE } from '../../../src/client/index.js';
import type { NodeOutcome, SendState, SentEntry } from '../sent-messages.js';

const TICK_TEXT: Record<SendState, string> = {
  sending: 'sending…',
  delivered: '✓ delivered',
  queued: '◷ queued',
  expired: '✗ expired',
  failed: '✗ failed',
  unconfirmed: '? not confirmed',
  sent: 'sent',
};

function nodeOutcome(u: NodeOutcome, node: string): string {
  return u.status === 'failed' && u.error ? `${node} (failed: ${u.error})` : `${node} (${u.status})`;
}

/**
 * What a sent message's tick shows. A direct message shows its own status. A broadcast never shows more than
 * is known: any node that reported expired/failed makes it "not delivered to …" (failed wins over expired),
 * even when other nodes got it; it is "delivered" only when the node said so for the whole broadcast.
 */
export function tickOf(entry: SentEntry): { status: SendState; text: string } {
  const base = entry.base;
  const plain = (status: SendState): string =>
    entry.detail ? `${TICK_TEXT[status]}: ${entry.detail}` : TICK_TEXT[status];
  if (entry.to !== EVERYONE || base === 'sending') return { status: base, text: plain(base) };
  const bad: string[] = [];
  const good: string[] = [];
  let worst: SendState | undefined;
  for (const [node, u] of entry.perNode) {
    if (u.status === 'failed' || u.status === 'expired') {
      bad.push(nodeOutcome(u, node));
      if (worst !== 'failed') worst = u.status;
    } else if (u.status === 'delivered') {
      good.push(node);
    }
  }
  if (base === 'failed' || base === 'expired')
    worst = worst === 'failed' || base === 'failed' ? 'failed' : base;
  if (worst) {
    const parts = [bad.length > 0 ? `✗ not delivered to ${bad.join(', ')}` : TICK_TEXT[worst]];
    if (bad.length === 0 && entry.detail) parts[0] = `${parts[0]}: ${entry.detail}`;
    if (good.length > 0) parts.push(`delivered to ${good.join(', ')}`);
    return { status: worst, text: parts.join('; ') };
  }
  if (base === 'delivered') return { status: 'delivered', text: '✓ delivered to every node' };
  if (base === 'queued') {
    return {
      status: 'queued',
      text:
        good.length > 0
          ? `◷ delivered to ${good.join(', ')}; queued for the others`
          : '◷ queued: not every node took it yet',
    };
  }
  if (good.length > 0) return { status: base, text: `${plain(base)} · delivered to ${good.join(', ')}` };
  return { status: base, text: plain(base) };
}

/** A send the user may try again: it was refused, given up, or its fate is unknown. */
export function canResend(status: SendState): boolean {
  return status === 'failed' || status === 'expired' || status === 'unconfirmed';
}
