import { isRecord, parseSeq } from '../../src/client/index.js';
import type { SentMemory } from './sent-messages.js';
import type { ReadMarks } from './state.js';

const KEY_USER = 'meshchat.user';
const KEY_OPEN = 'meshchat.to';
const KEY_SENT = 'meshchat.sentIds';
const KEY_READ = 'meshchat.read';
const KEY_DRAFTS = 'meshchat.drafts';
const MAX_REMEMBERED_IDS = 500;
const MAX_DRAFTS = 50;

/**
 * What the page keeps in localStorage. Storage may be disabled (private mode, a full quota): then every read
 * finds nothing and every write is dropped, and the page works without it.
 */
export class PageStorage {
  constructor(private readonly store: Storage | undefined) {}

  get(key: string): string | null {
    try {
      return this.store?.getItem(key) ?? null;
    } catch {
      return null;
    }
  }

  set(key: string, value: string): void {
    try {
      this.store?.setItem(key, value);
    } catch {
      // See the class comment.
    }
  }

  #json(key: string): unknown {
    const raw = this.get(key);
    if (!raw) return undefined;
    try {
      return JSON.parse(raw);
    } catch {
      return undefined;
    }
  }

  get userName(): string {
    return this.get(KEY_USER) ?? '';
  }

  set userName(name: string) {
    this.set(KEY_USER, name);
  }

  get openConversation(): string | undefined {
    const key = this.get(KEY_OPEN);
    return key && key.length <= 64 ? key : undefined;
  }

  set openConversation(key: string | undefined) {
    if (key !== undefined) this.set(KEY_OPEN, key);
  }

  sentIds(): SentMemory {
    const parsed = this.#json(KEY_SENT);
    const ids = new Set(
      Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [],
    );
    return {
      has: (id) => ids.has(id),
      add: (id) => {
        if (ids.has(id)) return;
        ids.add(id);
        this.set(KEY_SENT, JSON.stringify(Array.from(ids).slice(-MAX_REMEMBERED_IDS)));
      },
    };
  }

  readMarks(): ReadMarks | undefined {
    const parsed = this.#json(KEY_READ);
    if (!isRecord(parsed) || !isRecord(parsed.convs)) return undefined;
    const base = parseSeq(parsed.base);
    const top = parseSeq(parsed.top);
    if (base === undefined || top === undefined) return undefined;
    const convs: Record<string, number> = {};
    for (const [key, value] of Object.entries(parsed.convs)) {
      const seq = parseSeq(value);
      if (seq !== undefined) convs[key] = seq;
    }
    return { base, top, convs };
  }

  saveReadMarks(marks: ReadMarks): void {
    this.set(KEY_READ, JSON.stringify(marks));
  }

  drafts(): Map<string, string> {
    const parsed = this.#json(KEY_DRAFTS);
    const drafts = new Map<string, string>();
    if (isRecord(parsed)) {
      for (const [key, value] of Object.entries(parsed))
        if (typeof value === 'string') drafts.set(key, value);
    }
    return drafts;
  }

  saveDrafts(drafts: ReadonlyMap<string, string>): void {
    this.set(KEY_DRAFTS, JSON.stringify(Object.fromEntries(Array.from(drafts).slice(-MAX_DRAFTS))));
  }
}
