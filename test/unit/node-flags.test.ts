import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/args.js';
import { parseNodeFlags } from '../../src/cli/node-flags.js';

/** Stands for the id file of the default data dir, so these tests write nothing. */
const stored = { nodeIdIn: (dataDir: string) => `stored-in-${dataDir.replace(/\W/g, '')}` };

describe('meshchat node flags and environment', () => {
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
