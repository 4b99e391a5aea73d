import { describe, expect, it } from 'vitest';
import { parseInboundMessage } from '../../src/adapters/http/inbound-message-check.js';
import { inboundMessageBody } from '../../src/adapters/http/wire-schemas.js';

const base = { id: 'm-1', from: 'node-a', to: 'node-b', msg: 'hi', ts: '2026-01-01T00:00:00.000Z', sig: 'x' };
const variants: unknown[] = [
  base,
  { msg: '' },
  {
    ...base,
    user: 'ann',
    hops: 1,
    fromUser: 'ann@node-a',
    file: { id: 'f', name: 'n', size: 1 },
    extra: [1],
  },
  { ...base, id: '' },
  { ...base, id: 'i'.repeat(128) },
  { ...base, id: 'i'.repeat(129) },
  { ...base, from: 'f'.repeat(64) },
  { ...base, from: 'f'.repeat(65) },
  { ...base, to: 't'.repeat(200) },
  { ...base, ts: 7 },
  { ...base, user: 'u'.repeat(64) },
  { ...base, user: 'u'.repeat(65) },
  { ...base, user: null },
  { ...base, from: null, to: null, id: null, sig: null },
  { ...base, hops: -1 },
  { ...base, hops: 0 },
  { ...base, hops: 1000 },
  { ...base, hops: 1001 },
  { ...base, hops: 1.5 },
  { ...base, hops: '1' },
  { ...base, hops: Number.NaN },
  { ...base, sig: 's'.repeat(129) },
  { ...base, msg: 5 },
  { ...base, msg: undefined },
  { ...base, fromUser: 3 },
  [base],
  null,
  'text',
  42,
];

describe('parseInboundMessage', () => {
  it('accepts and refuses exactly what the inbound message schema does, with the same data', () => {
    for (const value of variants) {
      const fast = parseInboundMessage(value);
      const schema = inboundMessageBody.safeParse(value);
      expect(fast.success, JSON.stringify(value)).toBe(schema.success);
      if (fast.success && schema.success) expect(fast.data).toEqual(schema.data);
      else expect(fast.error?.issues).toEqual(schema.error?.issues);
    }
  });
});
