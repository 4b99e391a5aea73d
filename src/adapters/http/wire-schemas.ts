import { z } from 'zod';
import { USER_NAME_MAX_LENGTH } from '../../domain/message.js';
import { NODE_URL_MAX_LENGTH } from '../../domain/node-record.js';

/**
 * Wire shapes of the node-to-node API. They check types and sizes; the domain then applies its own rules
 * (id syntax, URL form, byte length) so the in-memory network and HTTP enforce the same thing.
 */
export const nodeUrlBody = z.object({ url: z.string().max(NODE_URL_MAX_LENGTH) });

const optional = <T extends z.ZodType>(schema: T) =>
  schema
    .nullish()
    .transform((v) => v ?? undefined);

/** `PUT /msg`: only `msg` is required (the assignment's echo client sends nothing else); unknown fields pass. */
export const inboundMessageBody = z.looseObject({
  msg: z.string(),
  from: optional(z.string().max(64)),
  to: optional(z.string().max(64)),
  id: optional(z.string().min(1).max(128)),
  ts: optional(z.string().max(64)),
  user: optional(z.string().max(USER_NAME_MAX_LENGTH)),
  hops: optional(z.number().int().min(0).max(1000)),
});

export const nodeListAnswer = z.array(z.object({ id: z.string(), url: z.string() }).loose());

/** One sentence naming the first problem, e.g. `Field "msg": Invalid input: expected string, received number.` */
export function describeIssues(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'The request body is not valid.';
  const where = issue.path.length > 0 ? `Field "${issue.path.join('.')}"` : 'The request body';
  return `${where}: ${issue.message}.`;
}
