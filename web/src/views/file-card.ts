import type { FileReference } from '../../../src/client/index.js';
import { el } from '../dom.js';
import { fileCardModel } from '../file-card-model.js';

/**
 * Called when a card's Download is pressed, before the browser follows the link: it may take the download
 * over (`preventDefault`), as the page does to fetch with its login. One for the page, set at start.
 */
export type CardDownloader = (file: FileReference, ev: MouseEvent) => void;

let downloader: CardDownloader | undefined;

export function setCardDownloader(handler: CardDownloader | undefined): void {
  downloader = handler;
}

/**
 * A file a message points to, as a card: its name (the sender's words, as text, laid out in its own
 * direction), its size, and a Download link to `GET /files/:id` on this page's node, which fetches it from a
 * holder when it has no copy.
 */
export function fileCard(file: FileReference): HTMLElement {
  const model = fileCardModel(file);
  const card = el('div', 'file-card');
  card.dataset.testid = 'file-card';
  card.dataset.fileId = file.id;
  const icon = el('span', 'file-card-icon');
  icon.setAttribute('aria-hidden', 'true');
  const text = el('div', 'file-card-text');
  const name = el('span', 'file-card-name', model.name);
  name.dir = 'auto';
  name.title = model.name;
  const size = el('span', 'file-card-size', model.size);
  text.append(name, size);
  const link = el('a', 'btn btn-small file-card-download', 'Download');
  link.href = model.href;
  link.download = model.saveAs;
  link.rel = 'noopener';
  link.dataset.testid = 'file-download';
  link.setAttribute('aria-label', model.label);
  link.addEventListener('click', (ev) => downloader?.(file, ev));
  card.append(icon, text, link);
  return card;
}
