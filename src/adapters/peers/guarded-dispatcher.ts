import { lookup } from 'node:dns/promises';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import { ADDRESS_CLASS_NAMES, type AddressClass, classifyAddress } from '../../domain/peer-address.js';

/** Every address a host name resolves to; `dns.lookup` (the system resolver) by default. */
export type ResolveHost = (hostname: string) => Promise<readonly string[]>;

/** A connection this node refused to open: the peer's address is outside the public internet. */
export class ForbiddenPeerAddress extends Error {
  override readonly name = 'ForbiddenPeerAddress';
  readonly code = 'ERR_FORBIDDEN_PEER_ADDRESS';
  constructor(
    readonly host: string,
    readonly address: string,
    readonly kind: Exclude<AddressClass, 'public'>,
  ) {
    super(
      `${host} resolves to ${address}, ${ADDRESS_CLASS_NAMES[kind]}, which this node does not call ` +
        '(start it with --allow-private-peers to allow it)',
    );
  }
}

const systemResolve: ResolveHost = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

export interface GuardedConnectorOptions {
  readonly resolve?: ResolveHost;
  /** Opens the socket to an address already checked; undici's own connector by default (a spy in tests). */
  readonly connect?: buildConnector.connector;
}

/**
 * An undici connector that checks the peer's address at connect time, after resolution and before any socket
 * is opened, then connects to exactly the address it checked: there is no second lookup between the check
 * and the connection, so a name that resolves to a public address once and to a private one later (DNS
 * rebinding) is caught. A name that resolves to any refused address is refused as a whole. TLS still verifies
 * the certificate against the name (undici takes the server name from `host`, which is left as it was).
 */
export function guardedConnector(options: GuardedConnectorOptions = {}): buildConnector.connector {
  const resolve = options.resolve ?? systemResolve;
  const connect = options.connect ?? buildConnector({});
  return (opts, callback) => {
    const host = opts.hostname.replace(/^\[(.*)\]$/, '$1');
    checkedAddress(host, resolve).then(
      (address) => connect({ ...opts, hostname: address }, callback),
      (error: Error) => callback(error, null),
    );
  };
}

/**
 * Resolves `host` (a name, or a literal address without brackets) and returns the one address to connect to,
 * or rejects with `ForbiddenPeerAddress` when any of its addresses is outside the public internet. Any other
 * client that opens sockets to peers (a WebSocket peer link) connects to what this returns, never to the name.
 */
export async function checkedAddress(host: string, resolve: ResolveHost = systemResolve): Promise<string> {
  const literal = classifyAddress(host);
  const addresses = literal === undefined ? await resolve(host) : [host];
  if (addresses.length === 0) throw new Error(`${host} resolves to no address`);
  for (const address of addresses) {
    const kind = classifyAddress(address) ?? 'reserved';
    if (kind !== 'public') throw new ForbiddenPeerAddress(host, address, kind);
  }
  return addresses[0] as string;
}

/** The dispatcher for peer calls when private peers are not allowed: keep-alive as usual, guarded connects. */
export function guardedDispatcher(options: GuardedConnectorOptions = {}): Dispatcher {
  return new Agent({ connect: guardedConnector(options) });
}
