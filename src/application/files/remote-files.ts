import type { FileRecord } from '../../domain/file-record.js';
import type { PeerRegistry } from '../../domain/peer-registry.js';
import type { AuditTrail } from '../ports/accounts/audit-trail.js';
import type { Clock } from '../ports/clock.js';
import type { ByteRange, ContentStore } from '../ports/files/content-store.js';
import type { FileSource } from '../ports/files/file-source.js';
import type { PartialDownload, PartialDownloads } from '../ports/files/partial-downloads.js';
import { ANONYMOUS } from './file-deps.js';
import {
  ChunkMismatch,
  DownloadsBusy,
  FileFetchFailed,
  FileUnavailable,
  fileUnavailableMessage,
  StorageFailed,
  StorageFull,
} from './file-errors.js';
import { type Candidate, FAILURES_PER_TRANSFER, HolderChoice } from './holder-choice.js';
import type { FileLocator } from './mesh-catalog.js';

export interface RemoteFilesSettings {
  /** Files fetched from other nodes at once; one more is refused with `downloads_busy` (503). */
  readonly maxTransfers: number;
  /** Fetches (HTTP requests) one transfer makes at most before it gives up with `file_unavailable`. */
  readonly maxAttempts: number;
  /** A partial download untouched this long is removed (when the next transfer starts). */
  readonly partialMaxAgeMs: number;
  /** How long a holder that sent bad bytes twice is not asked. */
  readonly setAsideMs: number;
}

export const DEFAULT_REMOTE_FILES_SETTINGS: RemoteFilesSettings = {
  maxTransfers: 4,
  maxAttempts: 8,
  partialMaxAgeMs: 24 * 3_600_000,
  setAsideMs: 10 * 60_000,
};

export interface RemoteFilesDeps {
  readonly node: string;
  readonly registry: PeerRegistry;
  readonly locator: FileLocator;
  readonly content: ContentStore;
  readonly partials: PartialDownloads;
  readonly source: FileSource;
  readonly clock: Clock;
  readonly audit: AuditTrail;
  /** Told of each file whose verified copy this node now holds, to advertise it (`held` in its catalog). */
  readonly held?: { markHeld(id: string): void };
}

/** One file being fetched: what is verified so far, and who waits for more. */
class Transfer {
  partial: PartialDownload | undefined;
  done = false;
  failure: Error | undefined;
  /** The fetch in flight, aborted when the node stops. */
  current: AbortController | undefined;
  /** The fetch in flight goes to a relay (a node that does not hold the file and fetches it in turn). */
  viaRelay = false;
  /** Only holders may be asked from now on: a relay's request depends on this transfer. */
  holdersOnly = false;
  ended: Promise<void> = Promise.resolve();
  readonly #waiters = new Set<() => void>();

  get verified(): number {
    return this.partial?.verified ?? 0;
  }

  /** Resolves at the next change: more verified bytes, the end, or a failure. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.#waiters.add(resolve));
  }

  notify(): void {
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }
}

/**
 * `GET /files/:id` for a file this node does not hold: fetches it from other nodes and passes on verified bytes.
 *
 * - One transfer per file, shared by every client that asks for it meanwhile. It asks one node at a time for
 *   the whole rest of the file (`FileSource.fetch`, one HTTP request while nothing fails), and appends what
 *   streams in to a journaled partial download (`PartialDownloads`), which checks every chunk against the
 *   record. A killed transfer resumes from the journal on the next request.
 * - Whom to ask (`HolderChoice`): the nodes whose catalog part lists the file, then, unless this request is a
 *   relay's, every other live meshchat node (it fetches the file itself, so a holder this node cannot reach is
 *   fetched through one that can). Every fetch asks the other node not to relay in turn, so relays never chain.
 *   A relay's request never waits on a fetch through a relay: joining a running transfer, it turns that
 *   transfer to holders only and drops a fetch through a relay in flight (two nodes fetching the same file
 *   through each other would otherwise wait on each other until a timeout).
 * - A bad chunk is a strike against its holder and the next fetch goes to another one; after `maxAttempts`
 *   fetches, or with nobody left, the transfer fails with `file_unavailable`; the verified part stays.
 * - Clients get bytes only once verified: `open` waits until the first byte asked for is verified (or fails
 *   with the transfer's error, so the client gets a clear status), then the body streams on as bytes are
 *   verified; a transfer that fails after that ends the body with an error (the HTTP answer is cut short, and
 *   the client resumes with `Range`). A range starting past what is verified waits for the transfer to get there.
 * - Once complete and whole, the content is in the store under its id: this node then serves it as a holder.
 * - Each transfer is an audit record `download` of `file <id> from <nodes asked>` (user `-`), `ok` or its code.
 */
export class RemoteFiles {
  readonly #transfers = new Map<string, Transfer>();
  readonly #choice: HolderChoice;
  #stopped = false;
  readonly settings: RemoteFilesSettings;

  constructor(
    private readonly deps: RemoteFilesDeps,
    settings: Partial<RemoteFilesSettings> = {},
  ) {
    this.settings = { ...DEFAULT_REMOTE_FILES_SETTINGS, ...settings };
    this.#choice = new HolderChoice(() => deps.clock.now(), this.settings.setAsideMs);
  }

  /** The record of a file another node published, from the mesh catalog; `undefined` when none lists it. */
  record(id: string): FileRecord | undefined {
    return this.deps.locator.locate(id)?.record;
  }

  /** Nodes set aside for sending bad bytes. */
  setAside(): string[] {
    return this.#choice.setAside();
  }

  /**
   * The bytes of `record` (all, or `range`), verified; `relayed` when the request came from a node relaying
   * for another. Resolves once the first byte is available; rejects with `DownloadsBusy`, `StorageFull`,
   * `StorageFailed` or `FileUnavailable`.
   */
  async open(
    record: FileRecord,
    range: ByteRange | undefined,
    relayed: boolean,
  ): Promise<AsyncIterable<Uint8Array>> {
    const start = range?.start ?? 0;
    const end = range?.end ?? record.size - 1;
    if (await this.deps.content.has(record.id)) {
      const held = await this.deps.content.open(record.id, end >= start ? { start, end } : undefined);
      if (held) return held;
    }
    const transfer = this.#transfer(record, relayed);
    while (end >= start && transfer.verified <= start && !transfer.done && !transfer.failure)
      await transfer.changed();
    if (transfer.failure && transfer.verified <= start) throw transfer.failure;
    return this.#stream(transfer, record.size, start, end);
  }

  async *#stream(transfer: Transfer, size: number, start: number, end: number): AsyncIterable<Uint8Array> {
    let position = start;
    while (position <= end) {
      // The last byte waits for the whole-content check, so no client ever holds a whole file that failed it.
      const ready = transfer.done ? transfer.verified : Math.min(transfer.verified, size - 1);
      const available = Math.min(ready, end + 1);
      if (available > position && transfer.partial) {
        yield* transfer.partial.read(position, available - 1);
        position = available;
        continue;
      }
      if (transfer.failure) throw transfer.failure;
      await transfer.changed();
    }
  }

  #transfer(record: FileRecord, relayed: boolean): Transfer {
    const running = this.#transfers.get(record.id);
    if (running) {
      // A relay's request never waits on a fetch through a relay: that relay may be the very node asking (two
      // nodes fetching the same file, each through the other), and each would wait on the other until a
      // timeout. So the shared transfer turns to holders only, and a fetch through a relay in flight is dropped
      // (its verified bytes stay); the node's own clients share the holders-only fetch.
      if (relayed && !running.holdersOnly) {
        running.holdersOnly = true;
        if (running.viaRelay) running.current?.abort();
      }
      return running;
    }
    if (this.#transfers.size >= this.settings.maxTransfers)
      throw new DownloadsBusy(this.settings.maxTransfers);
    const transfer = new Transfer();
    transfer.holdersOnly = relayed;
    this.#transfers.set(record.id, transfer);
    const asked: string[] = [];
    let outcome = 'ok';
    const ended = (failure: Error | undefined) => {
      this.#transfers.delete(record.id);
      if (failure) {
        transfer.failure = failure;
        outcome = (failure as { code?: unknown }).code?.toString() ?? 'internal_error';
      } else {
        transfer.done = true;
        this.deps.held?.markHeld(record.id);
      }
      this.deps.audit.record({
        at: new Date(this.deps.clock.now()).toISOString(),
        node: this.deps.node,
        user: ANONYMOUS,
        op: 'download',
        object: `file ${record.id} from ${asked.length > 0 ? [...new Set(asked)].join(',') : 'nobody'}`,
        outcome,
      });
      transfer.notify();
    };
    transfer.ended = this.#run(transfer, record, asked).then(
      () => ended(undefined),
      (error: Error) => ended(error),
    );
    return transfer;
  }

  async #run(transfer: Transfer, record: FileRecord, asked: string[]): Promise<void> {
    const { partials } = this.deps;
    await partials.sweep(this.settings.partialMaxAgeMs, new Set(this.#transfers.keys())).catch(() => 0);
    const partial = await partials.open(record);
    transfer.partial = partial;
    transfer.notify();
    try {
      await this.#fetchAll(transfer, partial, record, asked);
    } finally {
      // Finished or discarded, this does nothing; stopped part way, the files stay for the next transfer.
      await partial.release();
    }
  }

  async #fetchAll(
    transfer: Transfer,
    partial: PartialDownload,
    record: FileRecord,
    asked: string[],
  ): Promise<void> {
    const { source } = this.deps;
    const failures = new Map<string, number>();
    const fail = (node: string) => failures.set(node, (failures.get(node) ?? 0) + 1);
    let lastError = 'no node lists it';
    for (let attempt = 0; partial.verified < record.size; attempt++) {
      const candidate =
        attempt < this.settings.maxAttempts
          ? this.#choice.next(this.#candidates(record, transfer.holdersOnly), failures)
          : undefined;
      if (!candidate) {
        throw new FileUnavailable(
          fileUnavailableMessage(record.id, lastError, partial.verified, record.size),
        );
      }
      asked.push(candidate.id);
      const before = partial.verified;
      if (this.#stopped) throw new FileUnavailable('The node is stopping; ask again once it is back.');
      const controller = new AbortController();
      transfer.current = controller;
      transfer.viaRelay = candidate.relay;
      let badData = false;
      let refused = false;
      try {
        // Each piece goes straight into the download (no promise per piece): `append` asks the source to
        // wait only when its queue for the disk is full. Readers are told as soon as a chunk is verified.
        const receive = (piece: Uint8Array): Promise<void> | undefined => {
          // Every byte is in: more is not this file (the holder's body should have ended), so stop reading.
          if (partial.verified === record.size) {
            controller.abort();
            return undefined;
          }
          const had = partial.verified;
          const wait = partial.append(piece);
          if (partial.verified > had) transfer.notify();
          // After a wait, the rest of the piece may have completed more chunks.
          return wait?.then(() => transfer.notify());
        };
        try {
          await source.fetch(candidate.url, record.id, before, receive, {
            // Whoever is asked, holder or relay, asks holders only: one relay at most, never a loop.
            relay: false,
            // Named, so the owner's list of downloads (`GET /files/:id/downloads`) shows this node.
            node: this.deps.node,
            signal: controller.signal,
          });
        } catch (error) {
          // Stopped after the last byte (see `receive`): the file is whole, whatever the fetch says.
          if (partial.verified < record.size) throw error;
        }
        if (partial.verified < record.size) lastError = `${candidate.id} ended the file early`;
      } catch (error) {
        if (error instanceof StorageFull || error instanceof StorageFailed) throw error;
        badData = error instanceof ChunkMismatch;
        refused = error instanceof FileFetchFailed;
        if (badData) this.#choice.badData(candidate.id);
        lastError = badData
          ? `${candidate.id} sent a chunk that failed its check`
          : `${candidate.id}: ${(error as Error).message}`;
      } finally {
        controller.abort();
        transfer.viaRelay = false;
        partial.dropUnverified();
      }
      // A source that made progress and then broke off (a holder restarting) may be asked again at once.
      if (badData || partial.verified === before) fail(candidate.id);
      // Refused before a byte (no connection, an error status): not asked again in this transfer.
      if (refused) failures.set(candidate.id, FAILURES_PER_TRANSFER);
    }
    try {
      await partial.finish();
    } catch (error) {
      if (error instanceof ChunkMismatch)
        throw new FileUnavailable(
          `The bytes of file ${record.id} match every chunk of its record but not its id: the record is false; ` +
            'nothing was kept.',
        );
      throw error;
    }
  }

  /** Ends every transfer (their verified parts stay for the next start) and waits for them. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const running = [...this.#transfers.values()];
    for (const transfer of running) transfer.current?.abort();
    await Promise.all(running.map((transfer) => transfer.ended));
  }

  /** Holders first (not this node), then, unless relayed, the other live meshchat nodes as relays. */
  #candidates(record: FileRecord, relayed: boolean): Candidate[] {
    const { registry, locator } = this.deps;
    const rank = (member: { readonly id: string }) => (locator.hasCatalog(member.id) ? 1 : 0);
    const self = registry.self.id;
    const holders = (locator.locate(record.id)?.holders ?? []).filter((id) => id !== self);
    const candidates: Candidate[] = [];
    for (const id of holders) {
      const member = registry.get(id);
      if (member) candidates.push({ id, url: member.url, relay: false });
    }
    if (relayed) return candidates;
    // Meshchat nodes known to keep a catalog first; any other live node may still be one not yet heard of (a
    // plain node answers 404, which only costs that request).
    const relays = registry.peers().filter((m) => m.state === 'alive' && !holders.includes(m.id));
    for (const member of relays.sort((x, y) => rank(y) - rank(x)))
      candidates.push({ id: member.id, url: member.url, relay: true });
    return candidates;
  }
}
