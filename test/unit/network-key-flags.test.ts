import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/args.js';
import { parseNodeFlags } from '../../src/cli/node-flags.js';

const KEY = 'sixteen chars ok!';
/** Stands for the data dir's id file and the key file, so these tests read and write nothing. */
const files: Record<string, string> = {
  '/keys/good': `${KEY}\n`,
  '/keys/short': 'short\n',
  '/keys/crlf': `  ${KEY}  \r\nsecond line ignored\n`,
};
const options = {
  nodeIdIn: () => 'stored',
  readFile: (path: string) => {
    const text = files[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return text;
  },
};

function usage(argv: string[], env: NodeJS.ProcessEnv = {}): string {
  try {
    parseNodeFlags(argv, env, options);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('no usage error');
}

describe('--network-key and --network-key-file', () => {
  it('takes the key from the flag, the environment or a file (its first line, trimmed)', () => {
    expect(parseNodeFlags(['--network-key', KEY], {}, options).config.networkKey).toBe(KEY);
    expect(parseNodeFlags([], { MESHCHAT_NETWORK_KEY: KEY }, options).config.networkKey).toBe(KEY);
    expect(parseNodeFlags(['--network-key-file', '/keys/good'], {}, options).config.networkKey).toBe(KEY);
    expect(parseNodeFlags(['--network-key-file', '/keys/crlf'], {}, options).config.networkKey).toBe(KEY);
    expect(parseNodeFlags([], { MESHCHAT_NETWORK_KEY_FILE: '/keys/good' }, options).config.networkKey).toBe(
      KEY,
    );
  });

  it('leaves the network open without one', () => {
    expect(parseNodeFlags([], {}, options).config.networkKey).toBeUndefined();
  });

  it('refuses a key under 16 characters without showing it', () => {
    const message = usage(['--network-key', 'tiny-secret']);
    expect(message).toMatch(/^--network-key must be at least 16 characters \(it has 11\)/);
    expect(message).not.toContain('tiny-secret');
    expect(usage(['--network-key-file', '/keys/short'])).toMatch(/^--network-key-file must be at least 16/);
    expect(usage([], { MESHCHAT_NETWORK_KEY: 'x' })).toMatch(/at least 16 characters/);
  });

  it('refuses a key file it cannot read, and both ways at once', () => {
    expect(usage(['--network-key-file', '/keys/missing'])).toBe(
      '--network-key-file cannot be read (ENOENT): /keys/missing',
    );
    expect(usage(['--network-key', KEY, '--network-key-file', '/keys/good'])).toMatch(/contradict/);
  });
});
