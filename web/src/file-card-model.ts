import { downloadPath, type FileReference, formatFileSize } from '../../src/client/index.js';

/**
 * Characters that reorder the text around them: embeddings, overrides and isolates, the direction marks.
 * The node takes them in names (they are not control characters), so `report\u202Egnp.exe` would read
 * "reportexe.png" on the page and be saved as an `.exe`.
 */
const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

/** A file name as the page shows it: each reordering character written out (`[U+202E]`), so what is read is what is saved. */
export function shownFileName(name: string): string {
  return name.replace(
    BIDI_CONTROLS,
    (c) => `[U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}]`,
  );
}

/** The name a download is saved under: without the reordering characters. */
export function savedFileName(name: string): string {
  return name.replace(BIDI_CONTROLS, '');
}

/** What a file card shows and links to, worked out without a DOM. */
export interface FileCardModel {
  readonly name: string;
  readonly size: string;
  readonly href: string;
  /** The name the browser saves it under (it makes it safe for the disk itself). */
  readonly saveAs: string;
  readonly label: string;
}

export function fileCardModel(file: FileReference): FileCardModel {
  const size = formatFileSize(file.size);
  const name = shownFileName(file.name);
  return {
    name,
    size,
    href: downloadPath(file.id),
    saveAs: savedFileName(file.name),
    label: `Download ${name} (${size})`,
  };
}
