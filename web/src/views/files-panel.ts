import {
  type FilesApi,
  fetchedBySummary,
  formatFileSize,
  type PublishedFile,
  publishPath,
  shownFileName,
  tooLargeText,
  uploadRefusalText,
} from '../../../src/client/index.js';
import { el } from '../dom.js';
import { type Upload, type UploadOutcome, uploadFile } from '../file-transfer.js';
import { fileCard } from './file-card.js';
import type { Ui } from './ui.js';

/** What the files view needs of the page. */
export interface FilesPanelDeps {
  readonly api: FilesApi;
  /** The page's login token, when signed in. */
  token(): string | undefined;
  /** The signed-in address (`name@node`), once the node said so. */
  me(): string | undefined;
  /**
   * Posts a message pointing to `file` into the open conversation: where it went (`Everyone`, `the
   * conversation with bravo`), or the words of a refusal.
   */
  share(file: PublishedFile): { readonly postedIn: string } | { readonly refused: string };
}

/** Search waits this long after the last key before it asks the node. */
export const SEARCH_DEBOUNCE_MS = 250;
/** Own files whose "fetched by" line is asked for at once (each is one request). */
const FETCHED_BY_MAX = 20;

/**
 * The files view: publish by drag and drop or a file picker (with a progress bar, the node's refusals in its
 * own words), search every node's files as you type, the user's own files with who fetched each, and per file
 * a download link, "Post in chat" and, for the user's own, Delete. Everything from the network is set as text.
 */
export class FilesPanel {
  #open = false;
  #upload: Upload | undefined;
  #maxFileSize: number | undefined;
  #searchTimer: ReturnType<typeof setTimeout> | undefined;
  #searchSeq = 0;
  #mineSeq = 0;
  #signedInAs: string | undefined;
  /** Whether the page hears its node now (the last `connectionChanged`). */
  #connected = false;

  constructor(
    private readonly ui: Ui,
    private readonly deps: FilesPanelDeps,
  ) {
    ui.filesToggle.addEventListener('click', () => this.setOpen(!this.#open));
    ui.filesClose.addEventListener('click', () => this.setOpen(false));
    ui.filesPanel.addEventListener('keydown', (ev) => {
      if (ev.key !== 'Escape') return;
      ev.preventDefault();
      ev.stopPropagation();
      this.setOpen(false);
      ui.filesToggle.focus();
    });
    ui.filePublish.addEventListener('submit', (ev) => ev.preventDefault());
    ui.filePick.addEventListener('change', () => {
      const file = ui.filePick.files?.[0];
      if (file) void this.publish(file);
      ui.filePick.value = '';
    });
    for (const target of [ui.fileDrop, ui.filesPanel]) {
      target.addEventListener('dragover', (ev) => {
        if (!ev.dataTransfer?.types.includes('Files')) return;
        ev.preventDefault();
        ev.dataTransfer.dropEffect = 'copy';
        ui.fileDrop.classList.add('is-over');
      });
      target.addEventListener('dragleave', () => ui.fileDrop.classList.remove('is-over'));
      target.addEventListener('drop', (ev) => {
        ui.fileDrop.classList.remove('is-over');
        const file = ev.dataTransfer?.files[0];
        if (!file) return;
        ev.preventDefault();
        void this.publish(file);
      });
    }
    ui.fileCancel.addEventListener('click', () => this.#upload?.abort());
    ui.fileSearch.addEventListener('input', () => this.#searchSoon());
    ui.myFilesRefresh.addEventListener('click', () => void this.refreshMine());
    this.#renderPublish();
  }

  get isOpen(): boolean {
    return this.#open;
  }

  setOpen(open: boolean): void {
    this.#open = open;
    this.ui.filesPanel.hidden = !open;
    this.ui.filesToggle.setAttribute('aria-expanded', open ? 'true' : 'false');
    if (!open) return;
    this.ui.fileSearch.focus();
    if (this.#maxFileSize === undefined)
      void this.deps.api.maxFileSize().then((max) => {
        this.#maxFileSize = max;
      });
    void this.search();
    void this.refreshMine();
  }

  /** The page signed in or out: the publish form and the own files follow. */
  accountChanged(me: string | undefined): void {
    if (me === this.#signedInAs) return;
    this.#signedInAs = me;
    this.#renderPublish();
    // Nothing of one user's files stays on the page for the next.
    this.#mineSeq++;
    this.ui.myFiles.replaceChildren();
    this.ui.fileResults.replaceChildren();
    this.#status('', false);
    if (this.#open) {
      void this.refreshMine();
      void this.search();
    }
  }

  /**
   * The page lost or found its node. An open view asks again once it is back, so what it showed while the
   * node could not be reached ("The node cannot be reached; try again.") does not stay on screen.
   */
  connectionChanged(connected: boolean): void {
    const back = connected && !this.#connected;
    this.#connected = connected;
    if (!back || !this.#open) return;
    void this.search();
    void this.refreshMine();
  }

  /** Uploads `file` with the description typed so far; the bar shows how far it is. */
  async publish(file: File): Promise<void> {
    const token = this.deps.token();
    if (token === undefined) return this.#status('Sign in to publish files.', true);
    if (this.#upload) return this.#status('Wait for the upload in progress to finish (or cancel it).', true);
    this.#maxFileSize ??= await this.deps.api.maxFileSize();
    const shown = shownFileName(file.name);
    const tooLarge = tooLargeText(shown, file.size, this.#maxFileSize);
    if (tooLarge) return this.#status(tooLarge, true);
    const { ui } = this;
    const upload = uploadFile(publishPath(file.name, ui.fileDescription.value), file, token, (p) =>
      this.#progress(shown, p.loaded, p.total),
    );
    this.#upload = upload;
    ui.fileUpload.hidden = false;
    this.#progress(shown, 0, file.size);
    this.#status(`Uploading ${shown}…`, false);
    let outcome: UploadOutcome;
    try {
      outcome = await upload.done;
    } finally {
      this.#upload = undefined;
      ui.fileUpload.hidden = true;
    }
    if (outcome.kind === 'aborted') return this.#status(`Upload of ${shown} cancelled.`, false);
    if (outcome.kind === 'failed')
      return this.#status(
        `The upload of ${shown} broke off: the node cannot be reached or closed the connection.`,
        true,
      );
    if (outcome.status !== 201)
      return this.#status(uploadRefusalText(outcome.status, outcome.body, this.#maxFileSize), true);
    ui.fileDescription.value = '';
    this.#status(`Published ${shown} (${formatFileSize(file.size)}).`, false);
    await Promise.all([this.refreshMine(), this.search()]);
  }

  /** Asks for the files matching the search box (the newest of the mesh when empty). */
  async search(): Promise<void> {
    const seq = ++this.#searchSeq;
    const q = this.ui.fileSearch.value;
    const answer = await this.deps.api.list({ q, limit: 50 });
    if (seq !== this.#searchSeq) return;
    const { ui } = this;
    ui.fileResults.dataset.query = q;
    if (!answer.ok) {
      ui.fileResults.replaceChildren();
      ui.fileMissing.hidden = true;
      ui.fileResultsEmpty.textContent = answer.error.message;
      return;
    }
    const { files, missing } = answer.value;
    ui.fileResults.replaceChildren(...files.map((f) => this.#item(f, undefined)));
    ui.fileResultsEmpty.textContent =
      files.length > 0 ? '' : q.trim() === '' ? 'No files published yet.' : `No file matches “${q}”.`;
    ui.fileMissing.hidden = missing.length === 0;
    ui.fileMissing.textContent =
      missing.length === 0
        ? ''
        : `Files of ${missing.join(', ')} may be missing or out of date: this node has not heard from them lately.`;
  }

  /** The user's own files, and who fetched each (for the first ones). */
  async refreshMine(): Promise<void> {
    const seq = ++this.#mineSeq;
    const { ui } = this;
    const me = this.deps.me();
    const token = this.deps.token();
    if (me === undefined || token === undefined) {
      ui.myFiles.replaceChildren();
      ui.myFilesEmpty.textContent = 'Sign in to see your files and who fetched them.';
      return;
    }
    const answer = await this.deps.api.list({ owner: me, limit: 100 });
    if (seq !== this.#mineSeq) return;
    if (!answer.ok) {
      ui.myFilesEmpty.textContent = answer.error.message;
      return;
    }
    const files = answer.value.files;
    const fetched = await Promise.all(
      files.slice(0, FETCHED_BY_MAX).map(async (f) => {
        const downloads = await this.deps.api.downloads(token, f.id);
        return downloads.ok ? fetchedBySummary(downloads.value) : downloads.error.message;
      }),
    );
    if (seq !== this.#mineSeq) return;
    ui.myFiles.replaceChildren(...files.map((f, i) => this.#item(f, fetched[i])));
    ui.myFilesEmpty.textContent = files.length > 0 ? '' : 'You have not published any file.';
  }

  #searchSoon(): void {
    clearTimeout(this.#searchTimer);
    this.#searchTimer = setTimeout(() => void this.search(), SEARCH_DEBOUNCE_MS);
  }

  /** One file: its card (name, size, Download), owner and description, and what the user can do with it. */
  #item(file: PublishedFile, fetchedBy: string | undefined): HTMLLIElement {
    const li = el('li', 'file-item');
    li.dataset.fileId = file.id;
    li.dataset.owner = file.owner;
    li.dataset.name = file.name;
    const about = el('p', 'file-about');
    const owner = el('span', 'file-owner', file.owner);
    const when = file.publishedAt === '' ? '' : ` · ${new Date(file.publishedAt).toLocaleString()}`;
    about.append(owner, when);
    li.append(fileCard(file), about);
    if (file.description !== '') {
      const description = el('p', 'file-description', file.description);
      description.dir = 'auto';
      li.append(description);
    }
    if (fetchedBy !== undefined) {
      const line = el('p', 'file-fetched', fetchedBy);
      line.dataset.testid = 'file-fetched';
      li.append(line);
    }
    const actions = el('div', 'file-actions');
    const share = el('button', 'btn btn-small', 'Post in chat');
    share.type = 'button';
    share.dataset.testid = 'file-share';
    const shown = shownFileName(file.name);
    share.setAttribute('aria-label', `Post ${shown} in the open conversation`);
    share.addEventListener('click', () => {
      // Named, since on a phone the conversation it goes to is only highlighted in the list behind the view.
      const outcome = this.deps.share(file);
      if ('refused' in outcome) this.#status(outcome.refused, true);
      else this.#status(`Posted ${shown} in ${outcome.postedIn}.`, false);
    });
    actions.append(share);
    if (file.owner === this.deps.me()) {
      const remove = el('button', 'btn btn-small btn-danger', 'Delete');
      remove.type = 'button';
      remove.dataset.testid = 'file-delete';
      remove.setAttribute('aria-label', `Delete ${shown}`);
      remove.addEventListener('click', () => void this.#remove(file));
      actions.append(remove);
    }
    li.append(actions);
    return li;
  }

  async #remove(file: PublishedFile): Promise<void> {
    const token = this.deps.token();
    if (token === undefined) return this.#status('Sign in to delete your files.', true);
    const answer = await this.deps.api.remove(token, file.id);
    if (!answer.ok) return this.#status(answer.error.message, true);
    this.#status(`Deleted ${shownFileName(file.name)}.`, false);
    await Promise.all([this.refreshMine(), this.search()]);
  }

  /** A line under the publish form: what happened, or (`error`) what went wrong, in words. */
  say(text: string, error: boolean): void {
    this.#status(text, error);
  }

  #progress(name: string, loaded: number, total: number): void {
    const { ui } = this;
    const fraction = total > 0 ? Math.min(1, loaded / total) : 1;
    ui.fileProgress.value = fraction;
    ui.fileProgress.setAttribute('aria-label', `Uploading ${name}`);
    ui.fileProgressText.textContent = `${Math.floor(fraction * 100)} % · ${formatFileSize(loaded)} of ${formatFileSize(total)}`;
  }

  #status(text: string, error: boolean): void {
    this.ui.fileStatus.textContent = text;
    this.ui.fileStatus.classList.toggle('is-error', error);
    this.ui.fileStatus.dataset.error = error ? 'true' : 'false';
  }

  #renderPublish(): void {
    const signedIn = this.#signedInAs !== undefined;
    const { ui } = this;
    ui.filePick.disabled = !signedIn;
    ui.fileDescription.disabled = !signedIn;
    ui.fileDrop.classList.toggle('is-disabled', !signedIn);
    ui.fileDropText.textContent = signedIn
      ? 'Drop a file here to publish it, or'
      : 'Sign in to publish files. Anyone can search and download.';
  }
}
