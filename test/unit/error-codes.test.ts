import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ERROR_CODES,
  FRONT_END_ONLY_CODES,
  PEER_LINK_ONLY_CODES,
} from '../../src/adapters/http/error-codes.js';
import { errorCodesMarkdown } from '../../src/adapters/http/error-codes-markdown.js';
import { statusFor } from '../../src/adapters/http/error-table.js';
import {
  JoinFailed,
  OutboxFull,
  PeerCallFailed,
  type PeerFailure,
  StoreClosed,
} from '../../src/application/errors.js';
import {
  Conflict,
  HopLimitReached,
  InvalidInput,
  type MeshError,
  TooLarge,
  UnknownNode,
} from '../../src/domain/errors.js';

const root = new URL('../../', import.meta.url);

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourcesUnder(path);
    return path.endsWith('.ts') ? [readFileSync(path, 'utf8')] : [];
  });
}

/** The node's code: what answers HTTP, sockets and peers (the clients in src/cli and src/client are not the node). */
const NODE_SOURCES = ['src/domain', 'src/application', 'src/adapters'].flatMap((dir) =>
  sourcesUnder(new URL(dir, root).pathname),
);

/** An error of each class for a code, as the code that raises it would make it. */
const RAISE: Record<string, (code: string) => MeshError> = {
  InvalidInput: (code) => new InvalidInput(code, 'x'),
  Conflict: (code) => new Conflict(code, 'x'),
  TooLarge: (code) => new TooLarge(code, 'x'),
  PeerCallFailed: (code) => new PeerCallFailed(code as PeerFailure, 'x'),
  UnknownNode: () => new UnknownNode('x'),
  HopLimitReached: () => new HopLimitReached(2),
  StoreClosed: () => new StoreClosed(),
  OutboxFull: () => new OutboxFull('x'),
  JoinFailed: () => new JoinFailed('x'),
};

/** Every `[class, code]` the node's sources raise or answer with. */
function raisedCodes(): [string, string][] {
  return NODE_SOURCES.flatMap((source) => [
    ...[...source.matchAll(/new (\w+)\(\s*'([a-z_]+)'/g)].map((m): [string, string] => [
      m[1] as string,
      m[2] as string,
    ]),
    ...[...source.matchAll(/(?:httpRefusal|errorBody)\(\s*'([a-z_]+)'/g)].map((m): [string, string] => [
      'HttpRefusal',
      m[1] as string,
    ]),
    ...[...source.matchAll(/class (\w+) extends \w+ \{\s*readonly code = '([a-z_]+)'/g)].map(
      (m): [string, string] => [m[1] as string, m[2] as string],
    ),
  ]);
}

describe('the error codes, listed once', () => {
  it('lists every code the node raises, under the class that raises it, with the status the error table gives', () => {
    // `endpoint_unavailable` stops a node before it serves anything (no tunnel): no client ever reads it.
    const raised = raisedCodes().filter(
      ([, code]) => code !== 'internal_error' && code !== 'endpoint_unavailable',
    );
    expect(raised.length).toBeGreaterThan(25);
    const listed: Record<string, { status: number; raisedBy: string }> = ERROR_CODES;
    for (const [type, code] of raised) {
      const entry = listed[code];
      expect(entry, `${code} (raised as ${type}) is in ERROR_CODES`).toBeDefined();
      expect(entry?.raisedBy, code).toBe(type);
      const raise = RAISE[type];
      if (raise) expect(entry?.status, code).toBe(statusFor(raise(code)));
    }
    const unused = Object.keys(ERROR_CODES).filter(
      (code) => code !== 'internal_error' && !raised.some(([, c]) => c === code),
    );
    expect(unused, 'codes listed but never raised').toEqual([]);
  });

  it('gives the statuses the SPEC names for each kind of error', () => {
    const byStatus = (status: number) =>
      Object.entries(ERROR_CODES)
        .filter(([, e]) => e.status === status)
        .map(([code]) => code);
    expect(byStatus(404)).toContain('unknown_node');
    expect(byStatus(413)).toEqual(expect.arrayContaining(['body_too_large', 'message_too_large']));
    expect(byStatus(415)).toEqual(['unsupported_media_type']);
    expect(byStatus(504)).toEqual(['peer_timeout']);
    expect(byStatus(401).sort()).toEqual([
      'auth_required',
      'bad_credentials',
      'bad_signature',
      'network_key_required',
      'unauthenticated',
    ]);
    expect(byStatus(403)).toEqual(['forbidden']);
    expect(byStatus(429)).toEqual(['rate_limited']);
    expect(byStatus(409)).toContain('name_taken');
    expect(byStatus(400)).toEqual(
      expect.arrayContaining(['invalid_name', 'weak_password', 'invalid_password', 'invalid_address']),
    );
    expect(ERROR_CODES.internal_error.status).toBe(500);
    for (const [code, { status }] of Object.entries(ERROR_CODES)) {
      if (code !== 'internal_error') expect(status, code).not.toBe(500);
    }
  });

  it('lists the codes only the user front ends send', () => {
    const users = sourcesUnder(new URL('src/adapters/users', root).pathname).join('\n');
    const courier = readFileSync(new URL('src/application/messaging/courier.ts', root), 'utf8');
    for (const code of Object.keys(FRONT_END_ONLY_CODES)) {
      expect(`${users}\n${courier}`, code).toContain(`code: '${code}'`);
      expect(Object.keys(ERROR_CODES)).not.toContain(code);
    }
  });

  it('lists the peer-link-only codes, each answered by the link server with its status, none an HTTP code', () => {
    const server = readFileSync(new URL('src/adapters/peers/ws-link-server.ts', root), 'utf8');
    for (const [code, { status }] of Object.entries(PEER_LINK_ONLY_CODES)) {
      expect(server, code).toContain(`code: '${code}'`);
      expect(server, code).toContain(`status: ${status}`);
      expect(Object.keys(ERROR_CODES)).not.toContain(code);
      expect(Object.keys(FRONT_END_ONLY_CODES)).not.toContain(code);
    }
  });

  it('has docs/errors.md as `npm run docs:errors` writes it', () => {
    const written = readFileSync(new URL('docs/errors.md', root), 'utf8');
    expect(written, 'docs/errors.md is stale: run `npm run docs:errors`').toBe(errorCodesMarkdown());
    for (const [code, { status }] of Object.entries(ERROR_CODES))
      expect(written).toContain(`| \`${code}\` | ${status} |`);
  });
});
