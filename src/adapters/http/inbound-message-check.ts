import type { z } from 'zod';
import { USER_NAME_MAX_LENGTH } from '../../domain/message.js';
import { ADDRESS_MAX_LENGTH, inboundMessageBody } from './wire-schemas.js';

type Inbound = z.infer<typeof inboundMessageBody>;

const isText = (value: unknown, max: number): boolean =>
  value === undefined || (typeof value === 'string' && value.length <= max);

/**
 * `inboundMessageBody.safeParse`, with a fast path for the message a meshchat node's outbox sends: every field
 * it has already of the schema's type and size (none null). Such a message is what the schema would give back
 * (unknown fields pass, nothing is transformed), so it is taken as it is; anything else, including every message
 * the schema refuses, is parsed by the schema. A batch of a hundred messages was a hundred schema walks, each
 * copying its message.
 */
export function parseInboundMessage(value: unknown): z.ZodSafeParseResult<Inbound> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const m = value as Record<string, unknown>;
    const { id, hops } = m;
    if (
      typeof m.msg === 'string' &&
      isText(m.from, 64) &&
      isText(m.to, ADDRESS_MAX_LENGTH) &&
      (id === undefined || (typeof id === 'string' && id.length >= 1 && id.length <= 128)) &&
      isText(m.ts, 64) &&
      isText(m.user, USER_NAME_MAX_LENGTH) &&
      (hops === undefined || (Number.isInteger(hops) && (hops as number) >= 0 && (hops as number) <= 1000)) &&
      isText(m.fromUser, ADDRESS_MAX_LENGTH) &&
      isText(m.sig, 128)
    ) {
      return { success: true, data: m as Inbound };
    }
  }
  return inboundMessageBody.safeParse(value);
}
