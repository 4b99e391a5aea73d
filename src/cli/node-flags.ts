import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { NETWORK_KEY_MAX_LENGTH, NETWORK_KEY_MIN_LENGTH } from '../adapters/crypto/network-key.js';
import {
  DEFAULT_DATA_DIR,
  NodeIdentityUnusable,
  randomNodeId,
  storedNodeId,
} from '../adapters/storage/node-identity.js';
import { defaultProfile } from '../application/membership/settings.js';
import { MESSAGE_ID_MEMORY_MS } from '../domain/delivery.js';
import { isValidNodeId, normalizeNodeUrl } from '../domain/node-record.js';
import { type NodeConfig, privatePeersByDefault } from '../node-config.js';
import { UsageError, usageErrorFrom } from './args.js';

export const NODE_USAGE = `Usage: meshchat node [options]

  --id ID            node id, 1-64 of [A-Za-z0-9._-] (env MESHCHAT_ID; default: the id kept in the data
                     dir, node-<random> on its first start)
  --port N           port to listen on, 0 picks a free one (env PORT; default 8080)
  --host ADDR        address to listen on, and announced without --public-url unless it is 0.0.0.0, ::
                     or an address with a zone (fe80::1%eth0)
                     (env MESHCHAT_HOST; default 127.0.0.1, or 0.0.0.0 with --public-url)
  --public-url URL   URL other nodes reach this node at (env MESHCHAT_PUBLIC_URL)
  --join URL         a node of the network to join; repeatable (env MESHCHAT_JOIN, comma-separated)
  --tunnel MODE      none or ngrok (env MESHCHAT_TUNNEL; default none; ngrok needs NGROK_AUTHTOKEN)
  --data-dir DIR     where the node keeps its state: known nodes, outbox, history, seen message ids
                     (env MESHCHAT_DATA_DIR; default .meshchat/<id> with --id, else .meshchat/node)
  --in-memory        keep nothing on disk: queued messages and history are lost on exit
                     (env MESHCHAT_IN_MEMORY=1)
  --message-ttl TIME how long an undelivered message is retried before its sender is told it expired:
                     seconds, or a number with s, m, h or d, at most 7d (env MESHCHAT_MESSAGE_TTL; default 24h)
  --history N        messages kept for users who connect later, 0 to 10000 (env MESHCHAT_HISTORY; default 1000)
  --history-page N   messages of history sent on connect and per page asked for, 1 to 500
                     (env MESHCHAT_HISTORY_PAGE; default 100)
  --max-file-size SIZE  the largest file users may publish: bytes, or a number with K, M, G or T (powers
                     of 1024, an optional iB or B after it), at least 1 byte, at most 1T
                     (env MESHCHAT_MAX_FILE_SIZE; default 4G)
  --held-bytes SIZE  bytes of copies fetched from other nodes kept to serve again, least recently used
                     dropped first; a larger file is passed on, not kept; 0 keeps none; same units, at most
                     16T (env MESHCHAT_HELD_BYTES; default twice --max-file-size, 8G)
  --profile NAME     membership timing: lan (1 s probes) or tunnel (sized to ngrok's free quota)
                     (env MESHCHAT_PROFILE; default lan, or tunnel with --tunnel ngrok)
  --allow-private-peers
                     call peers at loopback, private, link-local and other non-public addresses (env
                     MESHCHAT_ALLOW_PRIVATE_PEERS=1, or 0 to refuse them; default: allowed only when the
                     URL the node announces, --public-url or else --host, is a loopback or private address,
                     and never with --tunnel ngrok)
  --http-rate N      HTTP requests a second per client address, bursts of 4N; 0 for no limit
                     (env MESHCHAT_HTTP_RATE; default 50)
  --peer-rate N      requests a second per address to the node-to-node routes, bursts of 5N; 0 for no limit
                     (env MESHCHAT_PEER_RATE; default 1000)
  --send-rate N      frames a second per user connection (bursts of 4N), twice that per account;
                     0 for no limit (env MESHCHAT_SEND_RATE; default 50)
  --address-rate N   frames a second over all the socket.io and /ws connections of one client address,
                     bursts of 4N; 0 for no limit (env MESHCHAT_ADDRESS_RATE; default 200)
  --admit-waiting N  most messages waiting in the outbox for one node that answers before users' new
                     messages for it are refused destination_busy (with retryAfter); 0 for no bound
                     (env MESHCHAT_ADMIT_WAITING; default 2000)
  --admit-wait-ms N  longest, in ms, the oldest message for one node that answers may wait before users'
                     new messages for it are refused the same way; 0 for no bound
                     (env MESHCHAT_ADMIT_WAIT_MS; default 2000)
  --no-peer-links    neither serve nor open peer links: every call to another node is one HTTP request
                     (env MESHCHAT_PEER_LINKS=0; default: links with every meshchat node that offers one)
  --private          only logged-in users may connect, read history or send (env MESHCHAT_PRIVATE=1;
                     default: anonymous users are served too)
  --network-key KEY  a shared secret of at least 16 characters: only nodes holding it may join, gossip, probe,
                     deliver or link to this node, and it calls only nodes that hold it; plain assignment
                     nodes cannot join such a network (env MESHCHAT_NETWORK_KEY; default: an open network)
  --network-key-file FILE
                     read the network key from FILE (first line), so it does not show in the process list
                     (env MESHCHAT_NETWORK_KEY_FILE)
  --max-connections N
                     simultaneous connections per client address, HTTP and sockets, 0 for no cap
                     (env MESHCHAT_MAX_CONNECTIONS; default 256, no cap behind --tunnel ngrok)
  --log-level LEVEL  fatal, error, warn, info, debug, trace or silent (env MESHCHAT_LOG_LEVEL; default info)
  -h, --help         show this help`;

const idField = z.string().refine(isValidNodeId, {
  message: 'must be 1 to 64 characters of letters, digits, ".", "_" or "-", starting with a letter or digit',
});
const urlField = z.string().transform((value, ctx) => {
  try {
    return normalizeNodeUrl(value);
  } catch (error) {
    ctx.addIssue({
      code: 'custom',
      message: (error as Error).message.replace(/^Node url /, '').replace(/\.$/, ''),
    });
    return z.NEVER;
  }
});

const rateField = z
  .string()
  .regex(/^\d+(?:\.\d+)?$/, 'must be a number of events a second, 0 for no limit')
  .transform(Number)
  .pipe(z.number().max(1_000_000, 'must be at most 1000000'));

/** A whole number from 0 to `max`. */
const wholeField = (max: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number from 0 to ${max}`)
    .transform(Number)
    .pipe(z.number().max(max, `must be a whole number from 0 to ${max}`));
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const UNIT_BYTES: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };
const SIZE = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i;
const MAX_FILE_SIZE_CAP = 2 ** 40;

/** Bytes of a `SIZE` value (already matched). */
function sizeBytes(value: string): number {
  const [, number = '0', unit = ''] = SIZE.exec(value) ?? [];
  return Math.floor(Number.parseFloat(number) * (UNIT_BYTES[unit.toLowerCase()] ?? 1));
}

/** The node's settings as flags and environment give them, each checked with a sentence naming the flag. */
const nodeFlags = z.object({
  id: idField.optional(),
  port: z
    .string()
    .regex(/^\d+$/, 'must be a whole number from 0 to 65535')
    .transform(Number)
    .pipe(z.number().max(65535, 'must be a whole number from 0 to 65535'))
    .default(8080),
  host: z.string().min(1, 'must not be empty').optional(),
  'public-url': urlField.optional(),
  join: z.array(urlField).default([]),
  tunnel: z.enum(['none', 'ngrok'], { message: 'must be "none" or "ngrok"' }).default('none'),
  'data-dir': z.string().min(1, 'must not be empty').optional(),
  'message-ttl': z
    .string()
    .regex(/^\d+(?:\.\d+)?[smhd]?$/, 'must be seconds, or a number with s, m, h or d (such as 90s, 30m, 24h)')
    .transform((value) => Math.round(Number.parseFloat(value) * (UNIT_MS[value.at(-1) ?? 's'] ?? 1_000)))
    .pipe(
      z
        .number()
        .min(1_000, 'must be at least 1 second')
        .max(MESSAGE_ID_MEMORY_MS, `must be at most ${MESSAGE_ID_MEMORY_MS / 86_400_000} days`),
    )
    .optional(),
  history: z
    .string()
    .regex(/^\d+$/, 'must be a whole number from 0 to 10000')
    .transform(Number)
    .pipe(z.number().max(10_000, 'must be a whole number from 0 to 10000'))
    .optional(),
  'history-page': z
    .string()
    .regex(/^\d+$/, 'must be a whole number from 1 to 500')
    .transform(Number)
    .pipe(
      z
        .number()
        .min(1, 'must be a whole number from 1 to 500')
        .max(500, 'must be a whole number from 1 to 500'),
    )
    .optional(),
  'max-file-size': z
    .string()
    .regex(SIZE, 'must be bytes, or a number with K, M, G or T (such as 500M, 4G, 4GiB)')
    .transform(sizeBytes)
    .pipe(z.number().min(1, 'must be at least 1 byte').max(MAX_FILE_SIZE_CAP, 'must be at most 1T'))
    .optional(),
  'held-bytes': z
    .string()
    .regex(SIZE, 'must be bytes, or a number with K, M, G or T (such as 500M, 8G, 8GiB)')
    .transform(sizeBytes)
    .pipe(
      z
        .number()
        .min(0)
        .max(16 * MAX_FILE_SIZE_CAP, 'must be at most 16T'),
    )
    .optional(),
  profile: z.enum(['lan', 'tunnel'], { message: 'must be "lan" or "tunnel"' }).optional(),
  'http-rate': rateField.optional(),
  'admit-waiting': wholeField(1_000_000).optional(),
  'admit-wait-ms': wholeField(3_600_000).optional(),
  'peer-rate': rateField.optional(),
  'send-rate': rateField.optional(),
  'address-rate': rateField.optional(),
  'log-level': z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      message: 'must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
});

export interface NodeCommand {
  readonly help: boolean;
  readonly config: NodeConfig;
  readonly logLevel: string;
}

/**
 * Flags win over environment, environment over defaults. Throws `UsageError` (one line) on anything unusable.
 * Without an id, the node's id is the one kept in its data dir (`nodeIdIn`, which stores a new one on first use).
 */
export function parseNodeFlags(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  options: {
    nodeIdIn?: (dataDir: string) => string;
    /** Reads `--network-key-file`; `fs.readFileSync` by default. */
    readFile?: (path: string) => string;
  } = {},
): NodeCommand {
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        id: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'public-url': { type: 'string' },
        join: { type: 'string', multiple: true },
        tunnel: { type: 'string' },
        'data-dir': { type: 'string' },
        'in-memory': { type: 'boolean' },
        'allow-private-peers': { type: 'boolean' },
        private: { type: 'boolean' },
        'network-key': { type: 'string' },
        'network-key-file': { type: 'string' },
        'max-connections': { type: 'string' },
        'no-peer-links': { type: 'boolean' },
        'message-ttl': { type: 'string' },
        history: { type: 'string' },
        'history-page': { type: 'string' },
        'max-file-size': { type: 'string' },
        'held-bytes': { type: 'string' },
        profile: { type: 'string' },
        'http-rate': { type: 'string' },
        'admit-waiting': { type: 'string' },
        'admit-wait-ms': { type: 'string' },
        'peer-rate': { type: 'string' },
        'send-rate': { type: 'string' },
        'address-rate': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw usageErrorFrom(error);
  }
  const fromEnv = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  const envJoin = fromEnv('MESHCHAT_JOIN')
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const raw: Record<string, unknown> = {
    id: values.id ?? fromEnv('MESHCHAT_ID'),
    port: values.port ?? fromEnv('PORT'),
    host: values.host ?? fromEnv('MESHCHAT_HOST'),
    'public-url': values['public-url'] ?? fromEnv('MESHCHAT_PUBLIC_URL'),
    join: values.join ?? envJoin,
    tunnel: values.tunnel ?? fromEnv('MESHCHAT_TUNNEL'),
    'data-dir': values['data-dir'] ?? fromEnv('MESHCHAT_DATA_DIR'),
    'message-ttl': values['message-ttl'] ?? fromEnv('MESHCHAT_MESSAGE_TTL'),
    history: values.history ?? fromEnv('MESHCHAT_HISTORY'),
    'history-page': values['history-page'] ?? fromEnv('MESHCHAT_HISTORY_PAGE'),
    'max-file-size': values['max-file-size'] ?? fromEnv('MESHCHAT_MAX_FILE_SIZE'),
    'held-bytes': values['held-bytes'] ?? fromEnv('MESHCHAT_HELD_BYTES'),
    profile: values.profile ?? fromEnv('MESHCHAT_PROFILE'),
    'http-rate': values['http-rate'] ?? fromEnv('MESHCHAT_HTTP_RATE'),
    'admit-waiting': values['admit-waiting'] ?? fromEnv('MESHCHAT_ADMIT_WAITING'),
    'admit-wait-ms': values['admit-wait-ms'] ?? fromEnv('MESHCHAT_ADMIT_WAIT_MS'),
    'peer-rate': values['peer-rate'] ?? fromEnv('MESHCHAT_PEER_RATE'),
    'send-rate': values['send-rate'] ?? fromEnv('MESHCHAT_SEND_RATE'),
    'address-rate': values['address-rate'] ?? fromEnv('MESHCHAT_ADDRESS_RATE'),
    'log-level': values['log-level'] ?? fromEnv('MESHCHAT_LOG_LEVEL'),
  };
  const parsed = nodeFlags.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const flag = String(issue?.path[0] ?? '');
    const value = issue?.path.length === 2 ? (raw[flag] as unknown[])[Number(issue.path[1])] : raw[flag];
    const shown =
      typeof value === 'string' ? ` (got "${value.length > 60 ? `${value.slice(0, 57)}...` : value}")` : '';
    throw new UsageError(`--${flag} ${issue?.message ?? 'is not valid'}${shown}`);
  }
  const flags = parsed.data;
  const ngrokAuthtoken = fromEnv('NGROK_AUTHTOKEN');
  if (flags.tunnel === 'ngrok' && !ngrokAuthtoken) {
    throw new UsageError(
      '--tunnel ngrok needs NGROK_AUTHTOKEN: export your token from the ngrok dashboard, or use --tunnel none',
    );
  }
  // A switch in the environment is on or off, never silently neither: MESHCHAT_PRIVATE=on must not give a
  // public node.
  const envSwitch = (name: string): boolean | undefined => {
    const value = fromEnv(name);
    if (value === undefined) return undefined;
    if (/^(1|true|yes)$/i.test(value)) return true;
    if (/^(0|false|no)$/i.test(value)) return false;
    throw new UsageError(`${name} must be 1 or 0 (also true/false, yes/no; got "${value.slice(0, 20)}")`);
  };
  const inMemory = values['in-memory'] === true || envSwitch('MESHCHAT_IN_MEMORY') === true;
  if (inMemory && flags['data-dir']) {
    throw new UsageError(
      '--in-memory and --data-dir contradict each other: a node in memory has no data dir',
    );
  }
  const allowPrivatePeers =
    values['allow-private-peers'] === true ? true : envSwitch('MESHCHAT_ALLOW_PRIVATE_PEERS');
  const host = flags.host ?? (flags['public-url'] ? '0.0.0.0' : '127.0.0.1');
  const noLinks = values['no-peer-links'] === true || envSwitch('MESHCHAT_PEER_LINKS') === false;
  const help = values.help === true;
  const maxConnections =
    (values['max-connections'] as string | undefined) ?? fromEnv('MESHCHAT_MAX_CONNECTIONS');
  if (maxConnections !== undefined && !/^\d{1,6}$/.test(maxConnections)) {
    throw new UsageError(
      `--max-connections must be a whole number, 0 for no cap (got "${maxConnections.slice(0, 20)}")`,
    );
  }
  const privateNode = values.private === true || envSwitch('MESHCHAT_PRIVATE') === true;
  const networkKey = networkKeyFrom(
    (values['network-key'] as string | undefined) ?? fromEnv('MESHCHAT_NETWORK_KEY'),
    (values['network-key-file'] as string | undefined) ?? fromEnv('MESHCHAT_NETWORK_KEY_FILE'),
    options.readFile ?? ((path) => readFileSync(path, 'utf8')),
  );
  const dataDir = flags['data-dir'] ?? (flags.id === undefined ? DEFAULT_DATA_DIR : `.meshchat/${flags.id}`);
  let id = flags.id;
  try {
    id ??= inMemory || help ? randomNodeId() : (options.nodeIdIn ?? storedNodeId)(dataDir);
  } catch (error) {
    // A file that holds no id is a value to fix; a dir that cannot be written is a node that cannot start.
    if (error instanceof NodeIdentityUnusable && !error.io)
      throw new UsageError(`--data-dir: ${error.message}`);
    throw error;
  }
  const ngrokDomain = fromEnv('NGROK_DOMAIN');
  return {
    help,
    logLevel: flags['log-level'],
    config: {
      id,
      port: flags.port,
      host,
      join: flags.join,
      tunnel: flags.tunnel,
      ...(inMemory ? {} : { dataDir }),
      ...(noLinks ? { peerLinks: false } : {}),
      ...(privateNode ? { privateNode: true } : {}),
      ...(networkKey === undefined ? {} : { networkKey }),
      ...(maxConnections === undefined ? {} : { connections: { maxPerAddress: Number(maxConnections) } }),
      ...deliveryFrom(flags),
      ...(flags.history === undefined ? {} : { historySize: flags.history }),
      ...(flags['history-page'] === undefined ? {} : { historyPage: flags['history-page'] }),
      ...(flags['max-file-size'] === undefined ? {} : { maxFileSize: flags['max-file-size'] }),
      ...(flags['held-bytes'] === undefined ? {} : { heldBytes: flags['held-bytes'] }),
      profile: flags.profile ?? defaultProfile(flags.tunnel),
      ...(flags['public-url'] ? { publicUrl: flags['public-url'] } : {}),
      // Decided here, so the config says what the node does: the flag or environment, else the default.
      allowPrivatePeers:
        allowPrivatePeers ??
        privatePeersByDefault({ host, publicUrl: flags['public-url'], tunnel: flags.tunnel }),
      ...rateLimitsFrom(flags),
      ...(ngrokAuthtoken ? { ngrokAuthtoken } : {}),
      ...(ngrokDomain ? { ngrokDomain } : {}),
    },
  };
}

/** `--message-ttl` and the admission flags as `NodeConfig.delivery`, when any is given. */
function deliveryFrom(flags: {
  'message-ttl'?: number;
  'admit-waiting'?: number;
  'admit-wait-ms'?: number;
}): Pick<NodeConfig, 'delivery'> {
  const delivery = {
    ...(flags['message-ttl'] === undefined ? {} : { ttlMs: flags['message-ttl'] }),
    ...(flags['admit-waiting'] === undefined ? {} : { admitMaxWaiting: flags['admit-waiting'] }),
    ...(flags['admit-wait-ms'] === undefined ? {} : { admitMaxWaitMs: flags['admit-wait-ms'] }),
  };
  return Object.keys(delivery).length === 0 ? {} : { delivery };
}

/** The rate flags as `NodeConfig.rateLimits`: each rate with its burst (and the account's from `--send-rate`). */
function rateLimitsFrom(flags: {
  'http-rate'?: number;
  'peer-rate'?: number;
  'send-rate'?: number;
  'address-rate'?: number;
}): Pick<NodeConfig, 'rateLimits'> {
  const budget = (rate: number, burstFactor: number) => ({ ratePerSecond: rate, burst: rate * burstFactor });
  const http = flags['http-rate'];
  const peer = flags['peer-rate'];
  const send = flags['send-rate'];
  const address = flags['address-rate'];
  const limits = {
    ...(http === undefined ? {} : { http: budget(http, 4) }),
    ...(peer === undefined ? {} : { peer: budget(peer, 5) }),
    ...(send === undefined ? {} : { connection: budget(send, 4), account: budget(2 * send, 4) }),
    ...(address === undefined ? {} : { address: budget(address, 4) }),
  };
  return Object.keys(limits).length === 0 ? {} : { rateLimits: limits };
}

/**
 * The network key from `--network-key` or `--network-key-file` (its first line, without surrounding spaces), not
 * both; checked for length. No message ever shows the key.
 */
function networkKeyFrom(
  given: string | undefined,
  file: string | undefined,
  readFile: (path: string) => string,
): string | undefined {
  if (given !== undefined && file !== undefined) {
    throw new UsageError('--network-key and --network-key-file contradict each other: give the key one way');
  }
  let key = given;
  let flag = '--network-key';
  if (file !== undefined) {
    flag = '--network-key-file';
    try {
      key = (readFile(file).split(/\r?\n/)[0] ?? '').trim();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new UsageError(
        `--network-key-file cannot be read (${code ?? (error as Error).message}): ${file}`,
      );
    }
  }
  if (key === undefined) return undefined;
  const length = [...key].length;
  if (length < NETWORK_KEY_MIN_LENGTH) {
    throw new UsageError(
      `${flag} must be at least ${NETWORK_KEY_MIN_LENGTH} characters (it has ${length}): a short key can be guessed from one captured call`,
    );
  }
  if (length > NETWORK_KEY_MAX_LENGTH) {
    throw new UsageError(`${flag} must be at most ${NETWORK_KEY_MAX_LENGTH} characters (it has ${length})`);
  }
  return key;
}
