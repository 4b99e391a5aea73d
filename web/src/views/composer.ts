import { formatBytes, limitChars, MAX_MSG_BYTES, MAX_USER_CHARS, utf8Bytes } from '../format.js';
import type { AppState } from '../state.js';
import type { PageStorage } from '../storage.js';
import { anonymousNameProblem } from './sender-label.js';
import type { Ui } from './ui.js';

const NOT_CONNECTED = 'Not connected to the node; your text is kept. It can be sent once reconnected.';

export interface ComposerActions {
  /** Sends `text` to the open conversation; false when it could not be (not connected, none open). */
  send(text: string, user: string | undefined): boolean;
}

/**
 * The message box and the name field. Each conversation keeps its own draft (kept across page loads), so a
 * line written for one node never goes to another when the user switches. The keyboard hint is marked so the
 * style sheet hides it where there is no keyboard (touch screens, phones).
 */
export class Composer {
  readonly #drafts: Map<string, string>;
  readonly #keysHint: string;
  #key: string | undefined;
  #connected = false;
  #signedIn = false;

  constructor(
    private readonly ui: Ui,
    private readonly storage: PageStorage,
    private readonly actions: ComposerActions,
  ) {
    this.#drafts = storage.drafts();
    this.#keysHint = ui.hint.textContent ?? '';
    this.showHint();
    ui.message.dir = 'auto';
    ui.displayName.dir = 'auto';
    ui.displayName.value = limitChars(storage.userName, MAX_USER_CHARS);
    ui.displayName.addEventListener('input', () => {
      storage.userName = limitChars(ui.displayName.value.trim(), MAX_USER_CHARS);
    });
    ui.composer.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.submit();
    });
    ui.message.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.altKey && !ev.ctrlKey && !ev.metaKey && !ev.isComposing) {
        ev.preventDefault();
        this.submit();
      }
    });
    ui.message.addEventListener('input', () => this.#onInput());
  }

  render(state: AppState): void {
    const connected = state.conn.state === 'open';
    // Back on the node: "not connected" no longer holds, and the text it kept can be sent now.
    if (connected && !this.#connected && this.ui.hint.dataset.kind === 'offline') this.showHint();
    this.#connected = connected;
    this.#signedIn = state.account.signedIn;
    if (state.openKey === this.#key) return;
    this.#saveDraft();
    this.#key = state.openKey;
    this.ui.message.value = this.#key === undefined ? '' : (this.#drafts.get(this.#key) ?? '');
    this.#resize();
    this.showHint();
  }

  /** The hint line: `text` (an error when `isError`), or the keyboard hint. */
  showHint(text?: string, isError = false): void {
    const { hint } = this.ui;
    hint.textContent = text ?? this.#keysHint;
    hint.classList.toggle('is-error', isError);
    if (text === undefined) hint.dataset.kind = 'keys';
    else delete hint.dataset.kind;
  }

  submit(): void {
    const text = this.ui.message.value;
    const problem = this.#problem(text);
    if (problem !== undefined) {
      this.showHint(problem, true);
      if (problem === NOT_CONNECTED) this.ui.hint.dataset.kind = 'offline';
      return;
    }
    const name = limitChars(this.ui.displayName.value.trim(), MAX_USER_CHARS);
    if (!this.actions.send(text, name === '' ? undefined : name)) return;
    this.ui.message.value = '';
    this.#saveDraft();
    this.#resize();
    this.showHint();
  }

  /** Why `text` cannot be sent now, or undefined when it can. */
  #problem(text: string): string | undefined {
    if (text.trim() === '') return 'Type a message first.';
    if (this.#key === undefined) return 'Choose a conversation first.';
    // Signed in, the node sends under the account's address whatever the box says.
    const nameProblem = this.#signedIn ? undefined : anonymousNameProblem(this.ui.displayName.value.trim());
    if (nameProblem) return nameProblem;
    const bytes = utf8Bytes(text);
    if (bytes > MAX_MSG_BYTES) return `Message too long: ${formatBytes(bytes)} (limit 64 KiB).`;
    if (!this.#connected) return NOT_CONNECTED;
    return undefined;
  }

  #onInput(): void {
    this.#resize();
    this.#saveDraft();
    const bytes = utf8Bytes(this.ui.message.value);
    if (bytes > MAX_MSG_BYTES) this.showHint(`Message too long: ${formatBytes(bytes)} (limit 64 KiB).`, true);
    else if (bytes > MAX_MSG_BYTES - 4096) this.showHint(`${formatBytes(bytes)} of 64 KiB`);
    else if (this.ui.hint.dataset.kind !== 'keys') this.showHint();
  }

  #saveDraft(): void {
    const key = this.#key;
    if (key === undefined) return;
    const text = this.ui.message.value;
    if (text === (this.#drafts.get(key) ?? '')) return;
    this.#drafts.delete(key);
    if (text !== '') this.#drafts.set(key, text);
    this.storage.saveDrafts(this.#drafts);
  }

  #resize(): void {
    const lines = this.ui.message.value.split('\n').length;
    this.ui.message.rows = Math.min(6, Math.max(1, lines));
  }
}
