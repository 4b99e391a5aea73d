import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/args.js';
import { parseNodeFlags } from '../../src/cli/node-flags.js';

/** Stands for the id file of the default data dir, so these tests write nothing. */
const stored = { nodeIdIn: (dataDir: string) => `stored-in-${dataDir.replace(/\W/g, '')}` };

describe('meshchat node flags and environment', () => {
  it('sets the admission bounds from flags or environment, with --message-ttl beside them', () => {
    expect(
      parseNodeFlags(['--admit-waiting', '500', '--admit-wait-ms', '0', '--message-ttl', '1h'], {}, stored)
        .config.delivery,
    ).toEqual({ ttlMs: 3_600_000, admitMaxWaiting: 500, admitMaxWaitMs: 0 });
    expect(parseNodeFlags([], { MESHCHAT_ADMIT_WAIT_MS: '750' }, stored).config.delivery).toEqual({
      admitMaxWaitMs: 750,
    });
    expect(parseNodeFlags([], {}, stored).config.delivery).toBeUndefined();
    expect(() => parseNodeFlags(['--admit-waiting', '1.5'], {}, stored)).toThrow(
      /--admit-waiting must be a whole number from 0 to 1000000/,
    );
    expect(() => parseNodeFlags(['--admit-wait-ms', '2h'], {}, stored)).toThrow(UsageError);
  });

  it('has defaults a person expects', () => {
    const { config, logLevel } = parseNodeFlags([], {}, stored);
    expect(config).toMatchObject({ port: 8080, host: '127.0.0.1', join: [], tunnel: 'none', profile: 'lan' });
    expect(config.id).toBe('stored-in-meshchatnode');
    expect(config.dataDir).toBe('.meshchat/node');
    expect(logLevel).toBe('info');
  });

  it('keeps .meshchat/<id> for an explicit id, and a random id for a node in memory', () => {
    expect(parseNodeFlags(['--id', 'x'], {}, stored).config).toMatchObject({
      id: 'x',
      dataDir: '.meshchat/x',
    });
    expect(parseNodeFlags([], { MESHCHAT_ID: 'y' }, stored).config).toMatchObject({
      id: 'y',
      dataDir: '.meshchat/y',
    });
    const inMemory = parseNodeFlags(['--in-memory'], {}, stored).config;
    expect(inMemory.id).toMatch(/^node-[0-9a-f]{6}$/);
    expect(inMemory.dataDir).toBeUndefined();
  });

  it('takes --allow-private-peers from the flag or the environment, over the default', () => {
    const tunnelled = { NGROK_AUTHTOKEN: 'token' };
    expect(
      parseNodeFlags(['--tunnel', 'ngrok', '--allow-private-peers'], tunnelled, stored).config
        .allowPrivatePeers,
    ).toBe(true);
    expect(
      parseNodeFlags(
        ['--public-url', 'https://chat.example.com'],
        { MESHCHAT_ALLOW_PRIVATE_PEERS: '1' },
        stored,
      ).config.allowPrivatePeers,
    ).toBe(true);
    expect(parseNodeFlags(['--allow-private-peers'], {}, stored).config.allowPrivatePeers).toBe(true);
    expect(parseNodeFlags([], { MESHCHAT_ALLOW_PRIVATE_PEERS: '0' }, stored).config.allowPrivatePeers).toBe(
      false,
    );
    expect(parseNodeFlags([], { MESHCHAT_ALLOW_PRIVATE_PEERS: 'yes' }, stored).config.allowPrivatePeers).toBe(
      true,
    );
    expect(() => parseNodeFlags([], { MESHCHAT_ALLOW_PRIVATE_PEERS: 'maybe' }, stored)).toThrow(
      /MESHCHAT_ALLOW_PRIVATE_PEERS must be 1 or 0/,
    );
  });

  it('defaults --allow-private-peers to on only when the announced URL is loopback or private', () => {
    const allowed = (argv: string[], env: NodeJS.ProcessEnv = {}) =>
      parseNodeFlags(argv, env, stored).config.allowPrivatePeers;
    // Listening on loopback or a LAN address, with nothing else announced: neighbours are private peers.
    expect(allowed([])).toBe(true);
    expect(allowed(['--host', '192.168.1.20'])).toBe(true);
    expect(allowed(['--host', 'localhost'])).toBe(true);
    // Listening everywhere or on a public address.
    expect(allowed(['--host', '0.0.0.0'])).toBe(false);
    expect(allowed(['--host', '::'])).toBe(false);
    // Behind ngrok it listens on 127.0.0.1, yet anyone on the internet reaches it.
    expect(allowed(['--tunnel', 'ngrok'], { NGROK_AUTHTOKEN: 'token' })).toBe(false);
    expect(allowed([], { MESHCHAT_TUNNEL: 'ngrok', NGROK_AUTHTOKEN: 'token' })).toBe(false);
    expect(
      allowed(['--tunnel', 'ngrok', '--public-url', 'http://10.0.0.2:8080'], { NGROK_AUTHTOKEN: 't' }),
    ).toBe(false);
    // The public URL's host decides, whatever the node listens on.
    expect(allowed(['--host', '127.0.0.1', '--public-url', 'https://chat.example.com'])).toBe(false);
    expect(allowed(['--public-url', 'http://203.0.113.80:8080'])).toBe(false);
    expect(allowed([], { MESHCHAT_HOST: '127.0.0.1', MESHCHAT_PUBLIC_URL: 'https://chat.example.com' })).toBe(
      false,
    );
    expect(allowed(['--public-url', 'http://192.168.1.20:8080'])).toBe(true);
    expect(allowed(['--host', '0.0.0.0', '--public-url', 'http://localhost:8080'])).toBe(true);
  });

  it('sets the history page from --history-page or MESHCHAT_HISTORY_PAGE, 1 to 500', () => {
    expect(parseNodeFlags([], {}, stored).config.historyPage).toBeUndefined();
    expect(parseNodeFlags(['--history-page', '25'], {}, stored).config.historyPage).toBe(25);
    expect(parseNodeFlags([], { MESHCHAT_HISTORY_PAGE: '7' }, stored).config.historyPage).toBe(7);
    for (const bad of ['0', '501', 'ten'])
      expect(() => parseNodeFlags(['--history-page', bad], {}, stored)).toThrow(
        /--history-page must be a whole number from 1 to 500/,
      );
  });

  it('sets the rate limits from --http-rate, --peer-rate, --send-rate and --address-rate, bursts included', () => {
    expect(parseNodeFlags([], {}, stored).config.rateLimits).toBeUndefined();
    const { config } = parseNodeFlags(
      ['--http-rate', '10', '--send-rate', '0'],
      { MESHCHAT_PEER_RATE: '200', MESHCHAT_ADDRESS_RATE: '30' },
      stored,
    );
    expect(config.rateLimits).toEqual({
      http: { ratePerSecond: 10, burst: 40 },
      peer: { ratePerSecond: 200, burst: 1000 },
      connection: { ratePerSecond: 0, burst: 0 },
      account: { ratePerSecond: 0, burst: 0 },
      address: { ratePerSecond: 30, burst: 120 },
    });
    expect(parseNodeFlags(['--address-rate', '0'], {}, stored).config.rateLimits).toEqual({
      address: { ratePerSecond: 0, burst: 0 },
    });
    expect(() => parseNodeFlags(['--address-rate', 'lots'], {}, stored)).toThrow(
      /--address-rate must be a number of events a second/,
    );
    expect(() => parseNodeFlags(['--send-rate', 'fast'], {}, stored)).toThrow(
      /--send-rate must be a number of events a second/,
    );
  });

  it('keeps peer links on unless --no-peer-links or MESHCHAT_PEER_LINKS=0 turns them off', () => {
    expect(parseNodeFlags([], {}, stored).config.peerLinks).toBeUndefined();
    expect(parseNodeFlags(['--no-peer-links'], {}, stored).config.peerLinks).toBe(false);
    expect(parseNodeFlags([], { MESHCHAT_PEER_LINKS: '0' }, stored).config.peerLinks).toBe(false);
    expect(parseNodeFlags([], { MESHCHAT_PEER_LINKS: '1' }, stored).config.peerLinks).toBeUndefined();
  });

  it('reads the environment, and flags win over it', () => {
    const env = {
      MESHCHAT_ID: 'env-id',
      PORT: '9000',
      MESHCHAT_JOIN: 'http://a:1/, http://b:2',
      MESHCHAT_TUNNEL: 'ngrok',
      NGROK_AUTHTOKEN: 'tok',
      MESHCHAT_DATA_DIR: '/tmp/x',
    };
    expect(parseNodeFlags([], env).config).toMatchObject({
      id: 'env-id',
      port: 9000,
      join: ['http://a:1', 'http://b:2'],
      tunnel: 'ngrok',
      ngrokAuthtoken: 'tok',
      dataDir: '/tmp/x',
      profile: 'tunnel',
    });
    expect(parseNodeFlags(['--profile', 'lan'], env).config.profile).toBe('lan');
    expect(parseNodeFlags([], { MESHCHAT_PROFILE: 'tunnel' }, stored).config.profile).toBe('tunnel');
    const flags = ['--id', 'flag-id', '--port', '0', '--join', 'http://c:3', '--join', 'http://d:4'];
    expect(parseNodeFlags(flags, env).config).toMatchObject({
      id: 'flag-id',
      port: 0,
      join: ['http://c:3', 'http://d:4'],
    });
  });

  it('listens on every interface when a public URL is given, unless --host says otherwise', () => {
    expect(parseNodeFlags(['--public-url', 'https://me.example'], {}, stored).config).toMatchObject({
      host: '0.0.0.0',
      publicUrl: 'https://me.example',
    });
    expect(
      parseNodeFlags(['--public-url', 'https://me.example', '--host', '10.0.0.1'], {}, stored).config.host,
    ).toBe('10.0.0.1');
  });

  it('names the flag and the bad value in one line', () => {
    expect(() => parseNodeFlags(['--join', 'http://ok', '--join', 'nope'], {})).toThrow(
      new UsageError('--join must be an absolute http or https URL (got "nope")'),
    );
    expect(() => parseNodeFlags([], { PORT: '-1' })).toThrow(
      '--port must be a whole number from 0 to 65535 (got "-1")',
    );
    expect(() => parseNodeFlags(['--port', ''], {})).toThrow('--port must be a whole number');
    expect(() => parseNodeFlags(['--tunnel', 'ngrok'], {})).toThrow('--tunnel ngrok needs NGROK_AUTHTOKEN');
    expect(() => parseNodeFlags(['--log-level', 'loud'], {})).toThrow('--log-level must be one of');
    expect(() => parseNodeFlags(['--profile', 'wan'], {})).toThrow(
      '--profile must be "lan" or "tunnel" (got "wan")',
    );
  });
});
