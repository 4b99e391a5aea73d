// `meshchat get`: a file from a node into PATH.part, checked chunk by chunk, resumed with Range + If-Range,
// renamed to PATH only once complete and verified.

import { existsSync, statSync } from 'node:fs';
import { type FileHandle, open, rename, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { savedFileName } from '../../client/file-names.js';
import { fetchFailure } from '../fetch-failure.js';
import { ChunkMismatch, ChunkVerifier, type ExpectedContent } from './chunk-verifier.js';
import { NodeCallFailed, nodeAnswer, refusal } from './node-call.js';
import { formatBytes, Progress, type ProgressOut } from './progress.js';

export interface FileRecordAnswer extends ExpectedContent {
  readonly name: string;
  readonly owner: string;
  readonly type: string;
}

/** Largest chunk a client accepts from a record (a node's are 1 MiB): bounds what it holds in memory. */
const MAX_CHUNK_SIZE = 64 * 1024 * 1024;

/** A record a node sent, checked before anything is trusted to it. */
function checkRecord(value: unknown, id: string): FileRecordAnswer {
  const record = (value as { file?: FileRecordAnswer } | undefined)?.file;
  const ok =
    record !== undefined &&
    record.id === id &&
    typeof record.name === 'string' &&
    Number.isSafeInteger(record.size) &&
    record.size >= 0 &&
    Number.isSafeInteger(record.chunkSize) &&
    record.chunkSize > 0 &&
    record.chunkSize <= MAX_CHUNK_SIZE &&
    Array.isArray(record.chunks) &&
    record.chunks.length === Math.ceil(record.size / record.chunkSize) &&
    record.chunks.every((c) => typeof c === 'string' && /^[0-9a-f]{64}$/.test(c));
  if (!ok) throw new NodeCallFailed(`the node sent a file record that does not describe file ${id}`);
  return record;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced
const UNSAFE_IN_NAME = /[/\\\u0000-\u001f\u007f]/g;

/**
 * A name from a node as a file name here: no separator, control or text-reordering character (so the name a
 * file manager shows ends as the file does), never `.`, `..` or empty.
 */
export function localName(name: string, id: string): string {
  const safe = savedFileName(name).replace(UNSAFE_IN_NAME, '_').trim();
  return safe === '' || safe === '.' || safe === '..' ? id : safe;
}

export interface DownloadRequest {
  readonly node: URL;
  readonly id: string;
  /** A file to write, or a directory to write the file's name into; the current directory by default. */
  readonly output?: string;
  readonly progress: ProgressOut;
  /** Where notes (resuming, verified) go. */
  readonly notes: ProgressOut;
  readonly now?: () => number;
  /** Aborted when the user stops the download (Ctrl-C): `DownloadStopped`, the verified bytes kept. */
  readonly stop?: AbortSignal;
  /** How long the node may send nothing (tests shorten it): `DOWNLOAD_IDLE_MS` by default. */
  readonly idleMs?: number;
}

/**
 * How long a download waits for the node's headers, and then between two pieces of the file, before it gives
 * up (the verified part kept). Longer than a node's own wait for a holder (30 s), so a node that fetches the
 * file from another one answers first, and shorter than forever: a stopped or hung node ends the command.
 */
export const DOWNLOAD_IDLE_MS = 90_000;

/** Aborts its signal once `ms` pass without a `touch`. */
class IdleWatch {
  readonly #controller = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  constructor(readonly ms: number) {
    this.touch();
  }
  get signal(): AbortSignal {
    return this.#controller.signal;
  }
  get fired(): boolean {
    return this.#controller.signal.aborted;
  }
  touch(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#controller.abort(), this.ms);
  }
  close(): void {
    clearTimeout(this.#timer);
  }
}

/** The user stopped the download; what it says names what was kept and how to go on. */
export class DownloadStopped extends Error {}

/** Stopped before a byte of the file was asked for. */
const NOTHING_WRITTEN = new DownloadStopped('stopped before the download began; nothing was written');

/**
 * A call made before any byte of the file is asked for (the record, the OWNER/NAME lookup), with `stop` as its
 * signal: a stop rejects as `NOTHING_WRITTEN`, anything else as the call did.
 */
export function beforeDownload<T>(call: (init: RequestInit) => Promise<T>, stop?: AbortSignal): Promise<T> {
  return call(stop ? { signal: stop } : {}).catch((error: unknown) => {
    throw stop?.aborted ? NOTHING_WRITTEN : error;
  });
}

/** Reads what a `.part` holds through the verifier; keeps the verified chunks only. */
async function resumeFrom(part: string, verifier: ChunkVerifier, stop?: AbortSignal): Promise<void> {
  if (!existsSync(part)) return;
  const handle = await open(part, 'r');
  try {
    const buffer = Buffer.alloc(verifier.expected.chunkSize);
    for (;;) {
      if (stop?.aborted)
        throw new DownloadStopped(
          `stopped while checking ${part}; it is kept as it was; run the same command to resume`,
        );
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, verifier.verified);
      if (bytesRead === 0) break;
      try {
        if (verifier.push(buffer.subarray(0, bytesRead)).length === 0) break;
      } catch (error) {
        if (error instanceof ChunkMismatch) break;
        throw error;
      }
    }
  } finally {
    await handle.close();
  }
  verifier.dropUnverified();
  await truncate(part, verifier.verified);
}

/** Downloads, verifies and renames into place; resolves with the final path. */
export async function verifiedDownload(request: DownloadRequest): Promise<string> {
  const { node, id } = request;
  const stop = request.stop;
  const answer = await beforeDownload((init) => nodeAnswer(new URL(`/files/${id}/record`, node), init), stop);
  const record = checkRecord(answer, id);
  const output = request.output ?? '.';
  const target =
    existsSync(output) && statSync(output).isDirectory() ? join(output, localName(record.name, id)) : output;
  if (existsSync(target))
    throw new NodeCallFailed(`${target} already exists; remove it or choose another -o`);
  const part = `${target}.part`;
  let verifier = new ChunkVerifier(record);
  await resumeFrom(part, verifier, stop);
  if (verifier.verified > 0)
    request.notes.write(`resuming ${target} at ${formatBytes(verifier.verified)} (verified)\n`);
  const progress = new Progress(request.progress, record.size, verifier.verified, request.now);
  if (verifier.verified < record.size) {
    const idleMs = request.idleMs ?? DOWNLOAD_IDLE_MS;
    const idle = new IdleWatch(idleMs);
    try {
      verifier = await fetchInto(request, part, verifier, progress, idle);
    } finally {
      idle.close();
    }
  } else if (!existsSync(part)) {
    await (await open(part, 'a')).close();
  }
  progress.finish();
  if (!verifier.complete()) {
    await rm(part, { force: true });
    throw new NodeCallFailed(`the file's bytes do not hash to its id ${id}; nothing was kept`);
  }
  await rename(part, target);
  return target;
}

/**
 * Asks for the bytes past what `first` holds and appends the verified ones to `part`; the node has `idle`'s
 * time for its headers and between two pieces. Resolves with the verifier that took them (a new one when the
 * node sent the whole file after all).
 */
async function fetchInto(
  request: DownloadRequest,
  part: string,
  first: ChunkVerifier,
  progress: Progress,
  idle: IdleWatch,
): Promise<ChunkVerifier> {
  const { node, id } = request;
  let verifier = first;
  const silent = (what: string) =>
    `${node.origin} sent nothing for ${Math.round(idle.ms / 1000)} s ${what} (is the node stopped or overloaded?)`;
  const signal = request.stop ? AbortSignal.any([request.stop, idle.signal]) : idle.signal;
  const response = await fetch(new URL(`/files/${id}`, node), {
    headers: verifier.verified > 0 ? { Range: `bytes=${verifier.verified}-`, 'If-Range': `"${id}"` } : {},
    signal,
  }).catch((error: unknown) => {
    if (request.stop?.aborted) throw stopped(part, verifier);
    if (idle.fired)
      throw new NodeCallFailed(
        `${silent('after the download was asked for')}; run the same command to resume`,
      );
    // The node went away between the record and the bytes (stopped, crashed, a proxy cut it).
    const why = fetchFailure(error);
    throw new NodeCallFailed(
      `the download from ${node.origin} broke off before its first byte (${why}); run the same command to resume`,
    );
  });
  if (response.status === 200 && verifier.verified > 0) {
    // The node sent the whole file after all: start again from its first byte.
    verifier = new ChunkVerifier(verifier.expected);
    await truncate(part, 0);
  } else if (response.status !== 200 && response.status !== 206) {
    throw await refusal(response, `GET /files/${id}`, node.origin);
  }
  const handle = await open(part, 'a');
  const taking = verifier;
  try {
    await receive(response, taking, handle, progress, idle, () => {
      if (request.stop?.aborted) return stopped(part, taking);
      if (idle.fired)
        return new NodeCallFailed(
          `${silent('in the middle of the file')}; the ${formatBytes(taking.verified)} verified so far are kept; run the same command to resume`,
        );
      return undefined;
    });
    await handle.sync();
  } finally {
    await handle.close();
  }
  return verifier;
}

async function receive(
  response: Response,
  verifier: ChunkVerifier,
  handle: FileHandle,
  progress: Progress,
  idle: IdleWatch,
  stoppedError: () => DownloadStopped | NodeCallFailed | undefined,
): Promise<void> {
  try {
    for await (const piece of response.body ?? []) {
      idle.touch();
      for (const chunk of verifier.push(piece)) {
        await handle.write(chunk);
        progress.update(verifier.verified);
      }
    }
  } catch (error) {
    const stop = stoppedError();
    if (stop) throw stop;
    const kept = `the ${formatBytes(verifier.verified)} verified so far are kept; run the same command to resume`;
    if (error instanceof ChunkMismatch) throw new NodeCallFailed(`${error.message}; ${kept}`);
    throw new NodeCallFailed(`the download broke off (${(error as Error).message}); ${kept}`);
  }
  if (verifier.verified < verifier.expected.size)
    throw new NodeCallFailed(
      `the node ended the file early; the ${formatBytes(verifier.verified)} verified are kept; run the same command to resume`,
    );
}

function stopped(part: string, verifier: ChunkVerifier): DownloadStopped {
  return new DownloadStopped(
    `stopped; the ${formatBytes(verifier.verified)} verified so far are kept in ${part}; run the same command to resume`,
  );
}
