import { InvalidInput } from './errors.js';

/** A node as the base protocol knows it: a unique id and the URL where it listens. */
export interface NodeRecord {
  readonly id: string;
  readonly url: string;
}

export const NODE_ID_MAX_LENGTH = 64;
export const NODE_URL_MAX_LENGTH = 2048;
const NODE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function isValidNodeId(id: unknown): id is string {
  return typeof id === 'string' && id.length <= NODE_ID_MAX_LENGTH && NODE_ID_PATTERN.test(id);
}

export function assertNodeId(id: unknown): string {
  if (!isValidNodeId(id)) {
    throw new InvalidInput(
      'invalid_node_id',
      `Node id must be 1 to ${NODE_ID_MAX_LENGTH} characters of letters, digits, ".", "_" or "-", starting with a letter or digit.`,
    );
  }
  return id;
}

/**
 * Checks a node URL and returns it in canonical form without a trailing slash, so "http://a:1/" and
 * "http://a:1" are the same node address.
 */
export function normalizeNodeUrl(url: unknown): string {
  const invalid = (why: string) => new InvalidInput('invalid_node_url', `Node url ${why}.`);
  if (typeof url !== 'string' || url.length === 0) throw invalid('must be a non-empty string');
  if (url.length > NODE_URL_MAX_LENGTH) throw invalid(`must be at most ${NODE_URL_MAX_LENGTH} characters`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid('must be an absolute http or https URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw invalid('must use http or https');
  if (parsed.username || parsed.password) throw invalid('must not contain a user name or password');
  if (parsed.search || parsed.hash) throw invalid('must not contain a query or fragment');
  return parsed.href.replace(/\/+$/, '');
}

export function nodeRecord(id: unknown, url: unknown): NodeRecord {
  return { id: assertNodeId(id), url: normalizeNodeUrl(url) };
}
