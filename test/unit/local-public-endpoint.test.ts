import { describe, expect, it } from 'vitest';
import { LocalPublicEndpoint } from '../../src/adapters/tunnel/local-public-endpoint.js';

describe('LocalPublicEndpoint: the URL a node without a tunnel announces', () => {
  it('announces --public-url when given, whatever it listens on', async () => {
    const endpoint = new LocalPublicEndpoint('https://chat.example.org/', '0.0.0.0');
    expect(await endpoint.open(8080)).toBe('https://chat.example.org');
  });

  it('announces the one address it listens on, where other nodes reach it', async () => {
    expect(await new LocalPublicEndpoint(undefined, '192.168.1.20').open(3001)).toBe(
      'http://192.168.1.20:3001',
    );
    expect(await new LocalPublicEndpoint(undefined, 'localhost').open(3001)).toBe('http://localhost:3001');
    expect(await new LocalPublicEndpoint(undefined, '127.0.0.2').open(3001)).toBe('http://127.0.0.2:3001');
  });

  it('puts an IPv6 address in brackets', async () => {
    expect(await new LocalPublicEndpoint(undefined, '::1').open(3001)).toBe('http://[::1]:3001');
    expect(await new LocalPublicEndpoint(undefined, '[fd00::5]').open(3001)).toBe('http://[fd00::5]:3001');
  });

  it('announces loopback when it listens on every interface, on an address with a zone, or no host is given', async () => {
    // fe80::1%eth0: a zone id has no URL form, so the node cannot announce it (and must not fail to start)
    for (const host of ['0.0.0.0', '::', '[::]', 'fe80::1%eth0', undefined]) {
      expect(await new LocalPublicEndpoint(undefined, host).open(8080)).toBe('http://127.0.0.1:8080');
    }
  });
});
