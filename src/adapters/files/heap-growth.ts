import { setFlagsFromString } from 'node:v8';

/**
 * V8's heap growing percent while a download receives: after each full collection, the old generation may grow
 * to 2.5 times what survived before the next one starts.
 *
 * Why: every piece a socket reads is a fresh `ArrayBuffer` (Node allocates one per read), and V8 counts the
 * external bytes allocated since the last full collection against the old generation's limit. That limit is
 * set from the JavaScript allocation rate, which is low for a node passing a file on (a few objects per 64 KiB
 * read): the factor falls to its minimum (1.1), the limit to what survived plus about 24 MiB, and V8 starts
 * incremental marking once the room left is under the young generation's size (16 MiB). So a fetching node ran
 * a full collection of its whole heap every 8 MiB or so it received (every 100 to 200 ms in the bench): its V8
 * helper threads marked as much CPU as its main thread spent hashing (issue 13, docs/benchmarks.md). With more
 * room the dead read buffers are freed by young-generation scavenges first, which cost almost nothing. A process
 * that has just started has a high factor from its start-up allocations, which is why freshly started nodes did
 * not show it and a node that had been up a while did.
 */
export const TRANSFER_HEAP_GROWING_PERCENT = 150;

/** The flag, as V8 spells it on the command line (either spelling is accepted there). */
const FLAG = /^--heap[-_]growing[-_]percent(=|$)/;

/**
 * Holds of the transfer heap growth, counted: the flag is set by the first hold and reset (to V8's own dynamic
 * factor) by the last release. When the process was started with its own `--heap-growing-percent`, that choice
 * stands: holds do nothing.
 */
export class HeapGrowthHolds {
  #holds = 0;

  constructor(
    private readonly setFlags: (flags: string) => void = setFlagsFromString,
    private readonly execArgv: readonly string[] = process.execArgv,
  ) {}

  get holds(): number {
    return this.#holds;
  }

  /** Takes a hold; the function it returns releases it (once: later calls do nothing). */
  hold(): () => void {
    if (this.execArgv.some((arg) => FLAG.test(arg))) return () => {};
    if (this.#holds++ === 0) this.setFlags(`--heap-growing-percent=${TRANSFER_HEAP_GROWING_PERCENT}`);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.#holds === 0) this.setFlags('--heap-growing-percent=0');
    };
  }
}

/** The process's holds (a V8 flag is process-wide). */
export const transferHeapGrowth = new HeapGrowthHolds();
