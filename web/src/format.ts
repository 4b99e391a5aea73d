import { EVERYONE } from '../../src/client/index.js';

/** What a node takes (docs/api.md, Limits): the composer keeps within them. */
export const MAX_MSG_BYTES = 64 * 1024;
export const MAX_USER_CHARS = 64;

const HUES = 8;
const encoder = new TextEncoder();

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** The message's time, or now when it has none (or an unreadable one). */
export function parseTime(ts: string | undefined): Date {
  if (ts) {
    const d = new Date(ts);
    if (!Number.isNaN(d.getTime())) return d;
  }
  return new Date();
}

export function hhmm(d: Date): string {
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

/** Short time for the conversation list: the time today, else the date. */
export function shortWhen(t: number, now = new Date()): string {
  const d = new Date(t);
  if (d.toDateString() === now.toDateString()) return hhmm(d);
  return d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
}

/** The local calendar day of `t`, as a key that is equal for two times on the same day. */
export function dayKey(t: number): string {
  return new Date(t).toDateString();
}

/** The local calendar day of `t` as YYYY-MM-DD (a `<time>` element's datetime). */
export function isoDay(t: number): string {
  const d = new Date(t);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
}

/** A day separator's words: Today, Yesterday, or the date (with the year when it is not this year's). */
export function dayLabel(t: number, now = new Date()): string {
  const d = new Date(t);
  if (d.toDateString() === now.toDateString()) return 'Today';
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (d.toDateString() === yesterday.toDateString()) return 'Yesterday';
  return d.toLocaleDateString(undefined, {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    ...(d.getFullYear() === now.getFullYear() ? {} : { year: 'numeric' }),
  });
}

export function hueClass(id: string): string {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return `hue-${h % HUES}`;
}

/** Code-unit order: the same everywhere, unlike localeCompare, so the map is laid out the same for all. */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function utf8Bytes(s: string): number {
  return encoder.encode(s).length;
}

export function formatBytes(n: number): string {
  return n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`;
}

export function ellipsize(s: string, max: number): string {
  const oneLine = s.replace(/\s+/g, ' ').trim();
  const chars = Array.from(oneLine);
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : oneLine;
}

/** The first `max` characters (code points, not UTF-16 units) of `s`. */
export function limitChars(s: string, max: number): string {
  const chars = Array.from(s);
  return chars.length > max ? chars.slice(0, max).join('') : s;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The letter in a node's avatar. */
export function initial(id: string): string {
  return id === EVERYONE ? '*' : (Array.from(id)[0]?.toUpperCase() ?? '?');
}
