import {
  downloadPath,
  downloadRefusalText,
  type FileReference,
  savedFileName,
} from '../../src/client/index.js';

// Moving file bytes between the page and the node that served it: an upload with progress (XMLHttpRequest,
// whose upload events fetch does not have), and a download that carries the login so the owner sees who
// fetched the file.

export interface UploadProgress {
  readonly loaded: number;
  readonly total: number;
}

/** How an upload ended: the node's answer (any status, its body as text), or no answer at all. */
export type UploadOutcome =
  | { readonly kind: 'answered'; readonly status: number; readonly body: string }
  | { readonly kind: 'failed' }
  | { readonly kind: 'aborted' };

export interface Upload {
  readonly done: Promise<UploadOutcome>;
  abort(): void;
}

/** `POST path` with the file as the body (the browser streams it from disk), the token, and progress events. */
export function uploadFile(
  path: string,
  file: Blob,
  token: string,
  onProgress: (progress: UploadProgress) => void,
): Upload {
  const xhr = new XMLHttpRequest();
  const done = new Promise<UploadOutcome>((resolve) => {
    xhr.upload.addEventListener('progress', (ev) => {
      onProgress({ loaded: ev.loaded, total: ev.lengthComputable ? ev.total : file.size });
    });
    xhr.addEventListener('load', () =>
      resolve({ kind: 'answered', status: xhr.status, body: String(xhr.responseText ?? '') }),
    );
    xhr.addEventListener('error', () => resolve({ kind: 'failed' }));
    xhr.addEventListener('abort', () => resolve({ kind: 'aborted' }));
  });
  xhr.open('POST', path);
  xhr.setRequestHeader('Authorization', `Bearer ${token}`);
  xhr.setRequestHeader('Content-Type', file.type === '' ? 'application/octet-stream' : file.type);
  xhr.send(file);
  return { done, abort: () => xhr.abort() };
}

/**
 * Files up to this size are fetched by the page (into memory, then saved), with the login when it has one so
 * their owner sees who fetched them, and a refusal is shown in words; bigger ones follow the plain link,
 * which the browser streams to disk and resumes in its own way (anonymous for the owner), once a `HEAD` said
 * the node has the file.
 */
export const PAGE_DOWNLOAD_MAX_BYTES = 64 * 1024 * 1024;

/** Fetches the file (with the token, when given) and hands it to the browser to save under its name. */
export async function downloadFile(file: FileReference, token: string | undefined): Promise<void> {
  const response = await reach(downloadPath(file.id), {
    ...(token === undefined ? {} : { headers: { Authorization: `Bearer ${token}` } }),
    credentials: 'omit',
    cache: 'no-store',
  });
  if (!response.ok) {
    const body = await response.text().catch(() => '');
    throw new Error(refusalText(response.status, body));
  }
  const url = URL.createObjectURL(await response.blob());
  save(url, file);
  // The save has started from the blob; a minute is ample before it is let go.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * Asks the node whether it has the file (`HEAD`, answered from its record: a file deleted or not known there is
 * `404`), then lets the browser download it from the plain link.
 */
export async function downloadLarge(file: FileReference): Promise<void> {
  const response = await reach(downloadPath(file.id), {
    method: 'HEAD',
    credentials: 'omit',
    cache: 'no-store',
  });
  // A HEAD answer has no body: the status alone says what went wrong.
  if (!response.ok) throw new Error(refusalText(response.status, ''));
  save(downloadPath(file.id), file);
}

/**
 * A download's refusal in words. A file this node does not know came from a card or a search: deleted since,
 * or so new that the mesh catalog has not brought it here yet (a card can arrive seconds before its file).
 */
function refusalText(status: number, body: string): string {
  if (status === 404)
    return 'This node does not know this file: its owner may have deleted it, or it is so new that word of it has not reached this node yet (try again in a few seconds).';
  return downloadRefusalText(status, body);
}

/** `fetch`, with a failure to reach the node said in words. */
async function reach(path: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(path, init);
  } catch {
    throw new Error('this node cannot be reached; try again once the page is connected.');
  }
}

function save(href: string, file: FileReference): void {
  const link = document.createElement('a');
  link.href = href;
  link.download = savedFileName(file.name);
  link.rel = 'noopener';
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
}
