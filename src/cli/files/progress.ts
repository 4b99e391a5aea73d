// How far a transfer is: a bar redrawn in place on a terminal, a plain line per 10 % anywhere else.

export interface ProgressOut {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** `1.5 MiB`: binary units, one decimal from KiB up. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** `1:05` or `1:02:03`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const hms = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const [h, m, sec] = hms.map((n) => String(n).padStart(2, '0'));
  return hms[0] ? `${Number(h)}:${m}:${sec}` : `${Number(m)}:${sec}`;
}

const BAR_WIDTH = 24;
const REDRAW_MS = 100;

/**
 * Reports the bytes of a file of `total` bytes as they arrive, from `resumedAt` (what a previous run had).
 * Speed counts this run's bytes only, so a resumed transfer does not look fast.
 */
export class Progress {
  readonly #startedAt: number;
  #lastDraw = Number.NEGATIVE_INFINITY;
  #lastTenth: number;
  #done: number;

  constructor(
    private readonly out: ProgressOut,
    private readonly total: number,
    private readonly resumedAt: number,
    private readonly now: () => number = Date.now,
  ) {
    this.#startedAt = now();
    this.#done = resumedAt;
    this.#lastTenth = this.#tenth(resumedAt);
  }

  #tenth(done: number): number {
    return this.total === 0 ? 10 : Math.floor((done / this.total) * 10);
  }

  /** The line for `done` bytes: percent, bytes, speed and time left. */
  describe(done: number): string {
    const elapsed = Math.max(0.001, (this.now() - this.#startedAt) / 1000);
    const speed = (done - this.resumedAt) / elapsed;
    const percent = this.total === 0 ? 100 : Math.floor((done / this.total) * 100);
    const left = speed > 0 ? formatDuration((this.total - done) / speed) : '--:--';
    return `${String(percent).padStart(3)}%  ${formatBytes(done)} of ${formatBytes(this.total)}  ${formatBytes(Math.round(speed))}/s  ${left} left`;
  }

  update(done: number): void {
    this.#done = done;
    if (this.out.isTTY) {
      const now = this.now();
      if (now - this.#lastDraw < REDRAW_MS && done < this.total) return;
      this.#lastDraw = now;
      const filled = this.total === 0 ? BAR_WIDTH : Math.floor((done / this.total) * BAR_WIDTH);
      const bar = `${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}`;
      this.out.write(`\r\u001b[2K[${bar}] ${this.describe(done)}`);
      return;
    }
    const tenth = this.#tenth(done);
    if (tenth > this.#lastTenth) {
      this.#lastTenth = tenth;
      this.out.write(`${this.describe(done)}\n`);
    }
  }

  /** Ends the bar's line on a terminal. */
  finish(): void {
    if (this.out.isTTY) {
      this.#lastDraw = Number.NEGATIVE_INFINITY;
      this.update(this.#done);
      this.out.write('\n');
    }
  }
}
