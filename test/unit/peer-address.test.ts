import { BlockList } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyAddress, listensPrivately, literalHostRefusal } from '../../src/domain/peer-address.js';
import { PeerUrlPolicy } from '../../src/domain/peer-url-policy.js';
import { allowsPrivatePeers } from '../../src/node-config.js';
import { FUZZ_SEED } from '../support/fuzz.js';

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['100.64.0.1', 'shared'],
    ['100.127.255.254', 'shared'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.0.8', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['192.0.2.1', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['2001:db8::1', 'documentation'],
    ['2001:0:4136:e378::1', 'reserved'],
    ['100::1', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['[::ffff:a9fe:a9fe]', 'metadata'],
    ['::ffff:0:10.0.0.1', 'private'],
    ['::127.0.0.1', 'loopback'],
    ['::a00:1', 'private'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['64:ff9b::c0a8:101', 'private'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:a9fe:a9fe::1', 'metadata'],
    ['0:0:0:0:0:ffff:7f00:1', 'loopback'],
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['100.63.255.255', 'public'],
    ['172.32.0.1', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::808:808', 'public'],
    ['2002:808:808::1', 'public'],
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });

  it.each(['example.com', 'localhost', '1.2.3', '256.1.1.1', '1:2:3:4:5:6:7:8:9', ':::1', '01.2.3.4', ''])(
    '%s is not an address',
    (text) => {
      expect(classifyAddress(text)).toBeUndefined();
    },
  );

  it("agrees with Node's BlockList on every IPv4 address, and on its mapped and NAT64 forms", () => {
    const refused = new BlockList();
    for (const [network, prefix] of [
      ['0.0.0.0', 8],
      ['10.0.0.0', 8],
      ['100.64.0.0', 10],
      ['127.0.0.0', 8],
      ['169.254.0.0', 16],
      ['172.16.0.0', 12],
      ['192.0.0.0', 24],
      ['192.0.2.0', 24],
      ['192.88.99.0', 24],
      ['192.168.0.0', 16],
      ['198.18.0.0', 15],
      ['198.51.100.0', 24],
      ['203.0.113.0', 24],
      ['224.0.0.0', 3],
    ] as const)
      refused.addSubnet(network, prefix, 'ipv4');
    const hex = (a: number, b: number) => ((a << 8) | b).toString(16);
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        const blocked = refused.check(ip, 'ipv4');
        expect(classifyAddress(ip) !== 'public').toBe(blocked);
        const [a, b, c, d] = ip.split('.').map(Number) as [number, number, number, number];
        for (const form of [`::ffff:${ip}`, `::ffff:${hex(a, b)}:${hex(c, d)}`, `64:ff9b::${ip}`])
          expect(classifyAddress(form) !== 'public').toBe(blocked);
      }),
      { seed: FUZZ_SEED, numRuns: 500 },
    );
  });
});

describe('literalHostRefusal: every spelling the URL parser accepts', () => {
  it.each([
    ['http://2130706433:8080', 'loopback'],
    ['http://0x7f000001', 'loopback'],
    ['http://0177.0.0.1', 'loopback'],
    ['http://127.1', 'loopback'],
    ['http://0x7f.1', 'loopback'],
    ['http://0', 'unspecified'],
    ['http://10.1', 'private'],
    ['http://[::1]:9000', 'loopback'],
    ['http://[::ffff:127.0.0.1]', 'loopback'],
    ['http://[0:0:0:0:0:ffff:169.254.169.254]', 'metadata'],
    ['http://[64:ff9b::169.254.169.254]', 'metadata'],
    ['http://[2002:a9fe:a9fe::]', 'metadata'],
    ['http://[fd00:ec2::254]', 'metadata'],
    ['http://169.254.169.254/latest', 'metadata'],
    ['http://0251.0376.0251.0376', 'metadata'],
    ['http://localhost:3000', 'loopback'],
    ['http://LOCALHOST.', 'loopback'],
    ['http://api.localhost', 'loopback'],
    ['https://192.168.0.1', 'private'],
  ])('%s is refused as %s', (url, kind) => {
    expect(literalHostRefusal(url)).toBe(kind);
  });

  it.each(['http://example.com', 'https://8.8.8.8', 'http://[2606:4700::1111]', 'http://localhost.example'])(
    '%s is left to the connect-time check',
    (url) => {
      expect(literalHostRefusal(url)).toBeUndefined();
    },
  );
});

describe('PeerUrlPolicy', () => {
  it('refuses a private literal with forbidden_peer_url and a sentence, unless private peers are allowed', () => {
    const strict = new PeerUrlPolicy(false);
    expect(() => strict.check('http://127.0.0.1:1')).toThrow(
      expect.objectContaining({ code: 'forbidden_peer_url', message: expect.stringContaining('loopback') }),
    );
    expect(strict.allows('https://node.example')).toBe(true);
    expect(new PeerUrlPolicy(true).allows('http://127.0.0.1:1')).toBe(true);
  });

  it('allows private peers by default exactly when the node listens on loopback or a private address', () => {
    expect(listensPrivately('127.0.0.1')).toBe(true);
    expect(listensPrivately('::1')).toBe(true);
    expect(listensPrivately('localhost')).toBe(true);
    expect(listensPrivately('192.168.1.10')).toBe(true);
    expect(listensPrivately('0.0.0.0')).toBe(false);
    expect(listensPrivately('::')).toBe(false);
    expect(listensPrivately('8.8.8.8')).toBe(false);
    const listening = { tunnel: 'none' } as const;
    expect(allowsPrivatePeers({ ...listening, host: '127.0.0.1' })).toBe(true);
    expect(allowsPrivatePeers({ ...listening, host: '0.0.0.0' })).toBe(false);
    expect(allowsPrivatePeers({ ...listening, host: '0.0.0.0', allowPrivatePeers: true })).toBe(true);
    expect(allowsPrivatePeers({ ...listening, host: '127.0.0.1', allowPrivatePeers: false })).toBe(false);
  });

  it('judges the announced URL, not the listening address: the public URL when given, never behind ngrok', () => {
    const local = { host: '127.0.0.1', tunnel: 'none' } as const;
    expect(allowsPrivatePeers({ ...local, publicUrl: 'https://chat.example.com' })).toBe(false);
    expect(allowsPrivatePeers({ ...local, publicUrl: 'http://8.8.8.8:8080' })).toBe(false);
    expect(allowsPrivatePeers({ ...local, publicUrl: 'http://192.168.1.5:8080' })).toBe(true);
    expect(allowsPrivatePeers({ ...local, publicUrl: 'http://[::1]:8080' })).toBe(true);
    expect(allowsPrivatePeers({ host: '0.0.0.0', tunnel: 'none', publicUrl: 'http://10.1.2.3:8080' })).toBe(
      true,
    );
    expect(allowsPrivatePeers({ ...local, tunnel: 'ngrok' })).toBe(false);
    expect(allowsPrivatePeers({ ...local, tunnel: 'ngrok', allowPrivatePeers: true })).toBe(true);
  });
});
