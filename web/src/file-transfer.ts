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
 * Files up to this size are fetched with the login when the page has one (into memory, then saved), so their
 * owner sees who fetched them; bigger ones, and every download of an anonymous page, follow the plain link,
 * which the browser streams to disk and resumes in its own way (anonymous for the owner).
 */
export const LOGIN_DOWNLOAD_MAX_BYTES = 64 * 1024 * 1024;

/** Fetches the file with the token and hands it to the browser to save under its name. */
export async function downloadWithLogin(file: FileReference, token: string): Promise<void> {
  const response = await fetch(downloadPath(file.id), {
    headers: { Authorization: `Bearer ${token}` },
    credentials: 'omit',
    cache: 'no-store',
  });
  if (!response.ok) {
    const body = await response.text().catch(() => '');
    throw new Error(downloadRefusalText(response.status, body));
  }
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = savedFileName(file.name);
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The save has started from the blob; a minute is ample before it is let go.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
