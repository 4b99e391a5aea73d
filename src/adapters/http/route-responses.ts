import { errorBody } from './api-schemas.js';
import { ERROR_CODES, type ErrorCode } from './error-codes.js';
import { BEARER_CHALLENGE } from './error-table.js';
import type { HeaderSpec, ResponseSpec, Route } from './route.js';

/** The headers every error answer of a status carries (`headersFor` in the error table sets them). */
const ERROR_HEADERS: { readonly [status: number]: { readonly [name: string]: HeaderSpec } } = {
  401: { 'WWW-Authenticate': { description: 'How to log in: a bearer token.', value: BEARER_CHALLENGE } },
  429: { 'Retry-After': { description: 'Seconds to wait before trying again.' } },
};

/** A 401 carries the bearer challenge only for a login's refusals (`headersFor`), not a node-to-node one. */
function carriesErrorHeaders(status: number, codes: readonly ErrorCode[]): boolean {
  return status !== 401 || codes.some((code) => code === 'unauthenticated' || code === 'bad_credentials');
}

/** What every route with a JSON body can be refused with before its handler runs. */
const BODY_REFUSALS: readonly ErrorCode[] = [
  'malformed_json',
  'invalid_body',
  'body_too_large',
  'unsupported_media_type',
];

/** Every code a route may answer with: its own, the body refusals when it takes a body, `internal_error`. */
export function errorCodesOf(route: Route): ErrorCode[] {
  return [
    ...(route.errors ?? []),
    ...(route.peer ? (['network_key_required'] as const) : []),
    ...(route.body ? BODY_REFUSALS : []),
    'internal_error',
  ];
}

/**
 * Every answer a route documents, by status: its declared ones, then one per status its error codes get from the
 * error table, with the `Error` body and each code's meaning.
 */
export function responsesOf(route: Route): { readonly [status: string]: ResponseSpec } {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errorCodesOf(route)) {
    const { status } = ERROR_CODES[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const errors = [...byStatus]
    .sort(([a], [b]) => a - b)
    .map(([status, codes]): [string, ResponseSpec] => [
      String(status),
      {
        description: codes.map((code) => `\`${code}\`: ${ERROR_CODES[code].meaning}`).join(' '),
        json: errorBody,
        ...(ERROR_HEADERS[status] && carriesErrorHeaders(status, codes)
          ? { headers: ERROR_HEADERS[status] }
          : {}),
      },
    ]);
  const all = { ...route.responses };
  for (const [status, spec] of errors) {
    if (all[status])
      throw new Error(`${route.method} ${route.path} declares ${status} and has error codes with it.`);
    all[status] = spec;
  }
  return all;
}
