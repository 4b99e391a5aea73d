import type { HttpRequest, WebSocketDialer } from '../../src/client/index.js';

// What the page reaches on the browser's side: the node that served it (its `/ws` and its HTTP API, the only
// places the CSP's connect-src 'self' allows) and the browser's storage, which may be disabled.

/** Opens the node's `/ws` at `path`, on the origin the page came from. */
export const dialNode: WebSocketDialer = (path) => {
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return new WebSocket(`${scheme}//${window.location.host}${path}`);
};

/** One HTTP call to the node that served the page: relative paths, no cookies, nothing cached. */
export const requestNode: HttpRequest = (path, init) =>
  fetch(path, { ...init, credentials: 'omit', cache: 'no-store' });

export function localStorageOrNone(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

export function sessionStorageOrNone(): Storage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined;
  }
}
