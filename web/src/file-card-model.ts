import {
  downloadPath,
  type FileReference,
  formatFileSize,
  savedFileName,
  shownFileName,
} from '../../src/client/index.js';

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
