/**
 * Which IP addresses a node must not call when it only talks to public peers (SPEC section 7, "Peer URLs").
 * Pure: it reads address text and URL host names, it resolves nothing. The adapters call it twice: on a URL
 * (a literal address is refused before anything is stored) and on every address a name resolves to, at connect
 * time, so a name that later resolves elsewhere (DNS rebinding) is caught too.
 *
 * The WHATWG URL parser has already turned every textual form of an IPv4 address in a URL (`2130706433`,
 * `0x7f000001`, `0177.0.0.1`, `127.1`) into dotted form, and refuses zone ids, so this module only parses
 * dotted IPv4 and IPv6 text (with or without brackets, a zone id, or a dotted IPv4 tail).
 */

export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'metadata'
  | 'shared'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'documentation'
  | 'reserved';

/** What each refused class is, as a person reads it in an error message. */
export const ADDRESS_CLASS_NAMES: Record<Exclude<AddressClass, 'public'>, string> = {
  loopback: 'a loopback address',
  private: 'a private network address',
  'link-local': 'a link-local address',
  metadata: 'a cloud metadata address',
  shared: 'a carrier-grade NAT address',
  unspecified: 'the unspecified address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  documentation: 'a documentation address',
  reserved: 'a reserved address',
};

type Range = readonly [network: bigint, prefix: number, kind: Exclude<AddressClass, 'public'>];

/** IPv4 ranges, most specific first (a metadata address sits inside link-local and CGNAT). */
const IPV4_RANGES: readonly Range[] = [
  [v4('169.254.169.254'), 32, 'metadata'],
  [v4('100.100.100.200'), 32, 'metadata'],
  [v4('255.255.255.255'), 32, 'broadcast'],
  [v4('0.0.0.0'), 8, 'unspecified'],
  [v4('10.0.0.0'), 8, 'private'],
  [v4('100.64.0.0'), 10, 'shared'],
  [v4('127.0.0.0'), 8, 'loopback'],
  [v4('169.254.0.0'), 16, 'link-local'],
  [v4('172.16.0.0'), 12, 'private'],
  [v4('192.0.0.0'), 24, 'reserved'],
  [v4('192.0.2.0'), 24, 'documentation'],
  [v4('192.88.99.0'), 24, 'reserved'],
  [v4('192.168.0.0'), 16, 'private'],
  [v4('198.18.0.0'), 15, 'reserved'],
  [v4('198.51.100.0'), 24, 'documentation'],
  [v4('203.0.113.0'), 24, 'documentation'],
  [v4('224.0.0.0'), 4, 'multicast'],
  [v4('240.0.0.0'), 4, 'reserved'],
];

/** IPv6 ranges inside global unicast (2000::/3) that are refused; everything outside 2000::/3 is refused too. */
const IPV6_RANGES: readonly Range[] = [
  [v6('2001::'), 32, 'reserved'], // Teredo: the IPv4 address inside is obfuscated, so none is trusted
  [v6('2001:db8::'), 32, 'documentation'],
  [v6('2001:10::'), 28, 'reserved'],
  [v6('2001:20::'), 28, 'reserved'],
  [v6('3fff::'), 20, 'documentation'],
];

/** Prefixes outside 2000::/3 that name something more precise than "reserved". */
const IPV6_SPECIAL: readonly Range[] = [
  [v6('fd00:ec2::254'), 128, 'metadata'],
  [v6('::'), 128, 'unspecified'],
  [v6('::1'), 128, 'loopback'],
  [v6('fc00::'), 7, 'private'],
  [v6('fe80::'), 10, 'link-local'],
  [v6('fec0::'), 10, 'private'],
  [v6('ff00::'), 8, 'multicast'],
];

/**
 * The class of an IP address in text form, or undefined when the text is not an IP address (a host name).
 * IPv6 forms that carry an IPv4 address (mapped `::ffff:a.b.c.d`, translated `::ffff:0:a.b.c.d`, compatible
 * `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are classed by the IPv4 address inside.
 */
export function classifyAddress(text: string): AddressClass | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const ipv4 = parseIpv4(bare);
  if (ipv4 !== undefined) return classOf(ipv4, 32, IPV4_RANGES) ?? 'public';
  const ipv6 = parseIpv6(bare.replace(/%.*$/, ''));
  if (ipv6 === undefined) return undefined;
  const embedded = embeddedIpv4(ipv6);
  if (embedded !== undefined) return classOf(embedded, 32, IPV4_RANGES) ?? 'public';
  const special = classOf(ipv6, 128, IPV6_SPECIAL);
  if (special) return special;
  if (ipv6 >> 125n !== 1n) return 'reserved';
  return classOf(ipv6, 128, IPV6_RANGES) ?? 'public';
}

/**
 * Why a peer URL's host may not be called, judged on the URL alone: a literal address outside the public
 * internet, or `localhost` (which resolves to loopback by definition, RFC 6761). Undefined for a public address
 * or a host name, which is judged again on what it resolves to when it is called.
 */
export function literalHostRefusal(url: string): Exclude<AddressClass, 'public'> | undefined {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return undefined;
  }
  const name = host.replace(/\.$/, '').toLowerCase();
  if (name === 'localhost' || name.endsWith('.localhost')) return 'loopback';
  const kind = classifyAddress(host);
  return kind === undefined || kind === 'public' ? undefined : kind;
}

/**
 * Whether a node listening on `host` is on loopback or a private network (so by default it may call private
 * peers, its neighbours): a loopback, private, link-local or carrier-grade NAT address, or `localhost`. The
 * unspecified address (`0.0.0.0`, `::`) listens on every interface, public ones included, so it is not.
 */
export function listensPrivately(host: string): boolean {
  const name = host.replace(/\.$/, '').toLowerCase();
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  const kind = classifyAddress(host);
  return kind === 'loopback' || kind === 'private' || kind === 'link-local' || kind === 'shared';
}

function classOf(
  address: bigint,
  bits: number,
  ranges: readonly Range[],
): Exclude<AddressClass, 'public'> | undefined {
  for (const [network, prefix, kind] of ranges) {
    const shift = BigInt(bits - prefix);
    if (address >> shift === network >> shift) return kind;
  }
  return undefined;
}

function embeddedIpv4(address: bigint): bigint | undefined {
  const low32 = address & 0xffff_ffffn;
  const high96 = address >> 32n;
  if (high96 === 0xffffn || high96 === 0xffff_0000n) return low32; // mapped, translated
  if (high96 === 0n && low32 > 1n) return low32; // compatible (:: and ::1 are themselves)
  if (high96 === v6('64:ff9b::') >> 32n) return low32; // NAT64 well-known prefix
  if (address >> 112n === 0x2002n) return (address >> 80n) & 0xffff_ffffn; // 6to4
  return undefined;
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^(?:0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(':')) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string | undefined): number[] | undefined => {
    if (!half) return [];
    const out: number[] = [];
    const pieces = half.split(':');
    for (const [i, piece] of pieces.entries()) {
      if (i === pieces.length - 1 && piece.includes('.')) {
        const tail = parseIpv4(piece);
        if (tail === undefined) return undefined;
        out.push(Number(tail >> 16n), Number(tail & 0xffffn));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) out.push(Number.parseInt(piece, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  let value = 0n;
  for (const group of [...head, ...new Array<number>(missing).fill(0), ...tail])
    value = (value << 16n) | BigInt(group);
  return value;
}

function v4(text: string): bigint {
  return parseIpv4(text) ?? 0n;
}

function v6(text: string): bigint {
  return parseIpv6(text) ?? 0n;
}
