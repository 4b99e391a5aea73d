import type { z } from 'zod';
import { PeerCallFailed } from '../../application/errors.js';
import { ForbiddenPeerAddress } from './guarded-dispatcher.js';

// How a peer's answer is read, whatever carried it (HTTP or a peer link): status, size, JSON shape, failures.

/** The text of a 2xx answer; any other status rejects with `peer_rejected`, its status and the peer's code. */
export function answerText(base: string, method: string, path: string, status: number, text: string): string {
  if (status >= 200 && status < 300) return text;
  const peerError = parseErrorBody(text);
  throw new PeerCallFailed(
    'peer_rejected',
    `${base} answered ${method} ${path} with ${status}${peerError ? `: ${peerError.message}` : ''}`,
    status,
    peerError?.code,
  );
}

/** Reads a body whole, refusing (and cancelling) one longer than `max` bytes. */
export async function readAtMost(
  stream: ReadableStream<Uint8Array> | undefined,
  max: number,
  tooLong: () => string,
): Promise<Buffer> {
  if (!stream) return Buffer.alloc(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw new PeerCallFailed('peer_bad_answer', tooLong());
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

export function parseAnswer<T extends z.ZodType>(
  base: string,
  call: string,
  text: string,
  schema: T,
  what: string,
): z.output<T> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new PeerCallFailed('peer_bad_answer', `${base} answered ${call} with something that is not JSON.`);
  }
  const result = schema.safeParse(parsed);
  if (!result.success)
    throw new PeerCallFailed(
      'peer_bad_answer',
      `${base} answered ${call} with something that is not ${what}.`,
    );
  return result.data;
}

export function timedOut(base: string, ms: number): PeerCallFailed {
  return new PeerCallFailed('peer_timeout', `${base} did not answer within ${ms} ms.`);
}

export function forbiddenIn(error: unknown): ForbiddenPeerAddress | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++)
    if (e instanceof ForbiddenPeerAddress) return e;
  return undefined;
}

export function describeCause(cause: Error): string {
  const inner = (cause as { cause?: unknown }).cause;
  if (inner instanceof Error) return describeCause(inner);
  const code = (cause as { code?: unknown }).code;
  return typeof code === 'string' ? `${code} (${cause.message})` : cause.message;
}

function parseErrorBody(text: string): { code?: string; message: string } | undefined {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body?.error?.message === 'string') {
      return {
        message: body.error.message,
        ...(typeof body.error.code === 'string' ? { code: body.error.code } : {}),
      };
    }
  } catch {
    // A plain node may answer with text.
  }
  return text.trim() ? { message: text.trim().slice(0, 200) } : undefined;
}
