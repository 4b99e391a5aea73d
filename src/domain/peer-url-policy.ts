import { InvalidInput } from './errors.js';
import { ADDRESS_CLASS_NAMES, literalHostRefusal } from './peer-address.js';

/**
 * Which peer URLs this node takes into its list, probes and passes on. With `allowPrivate` every URL is taken
 * (a node on a LAN or on loopback talks to its neighbours). Without it, a URL whose host is a literal address
 * outside the public internet, or `localhost`, is refused here, before it is stored; a host name is taken,
 * and what it resolves to is checked again each time it is called (the peer client's guarded connector).
 */
export class PeerUrlPolicy {
  constructor(readonly allowPrivate: boolean) {}

  /** Every URL allowed: the in-memory network and nodes that listen on a private address. */
  static readonly ANY = new PeerUrlPolicy(true);

  /** Why `url` is refused, as a sentence, or undefined when it may be called. */
  refusal(url: string): string | undefined {
    if (this.allowPrivate) return undefined;
    const kind = literalHostRefusal(url);
    if (kind === undefined) return undefined;
    return (
      `The peer url ${url} points at ${ADDRESS_CLASS_NAMES[kind]}; this node calls only public addresses ` +
      '(its operator can allow private ones with --allow-private-peers).'
    );
  }

  allows(url: string): boolean {
    return this.refusal(url) === undefined;
  }

  /** Throws `InvalidInput` (`forbidden_peer_url`, 400) for a URL this node does not call. */
  check(url: string): void {
    const why = this.refusal(url);
    if (why !== undefined) throw new InvalidInput('forbidden_peer_url', why);
  }
}
