import type { Context } from 'hono';
import type { z } from 'zod';
import { continueBody } from './continue-body.js';
import { httpRefusal } from './error-table.js';
import { describeIssues } from './wire-schemas.js';

/** Reads a JSON body and checks it against a wire schema; every failure is a 4xx with a sentence. */
export async function readJsonBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.output<T>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    throw httpRefusal(
      'unsupported_media_type',
      'Send the body as JSON with "Content-Type: application/json".',
    );
  }
  continueBody(c);
  const text = await c.req.text();
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw httpRefusal('malformed_json', 'The request body is not valid JSON.');
  }
  return checkBody(schema, data);
}

/** A parsed JSON body checked against a wire schema: the data, or `400 invalid_body` with the issues. */
export function checkBody<T extends z.ZodType>(schema: T, data: unknown): z.output<T> {
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw httpRefusal('invalid_body', describeIssues(parsed.error));
  return parsed.data;
}
