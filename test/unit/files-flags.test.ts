import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/args.js';
import { parseNodeFlags } from '../../src/cli/node-flags.js';

const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) =>
  parseNodeFlags(['--id', 'a', ...argv], env, { nodeIdIn: () => 'a' }).config;

describe('--max-file-size', () => {
  it('is unset (the 4 GiB default) when not given, and takes bytes or K, M, G, T in powers of 1024', () => {
    expect(parse([]).maxFileSize).toBeUndefined();
    expect(parse(['--max-file-size', '1000']).maxFileSize).toBe(1000);
    expect(parse(['--max-file-size', '500M']).maxFileSize).toBe(500 * 2 ** 20);
    expect(parse(['--max-file-size', '4GiB']).maxFileSize).toBe(4 * 2 ** 30);
    expect(parse(['--max-file-size', '1.5k']).maxFileSize).toBe(1536);
    expect(parse([], { MESHCHAT_MAX_FILE_SIZE: '2G' }).maxFileSize).toBe(2 * 2 ** 30);
  });

  it('refuses anything else in one line naming the flag', () => {
    for (const value of ['0', '-1', 'lots', '2P', '2T', '']) {
      expect(() => parse(['--max-file-size', value]), value).toThrow(UsageError);
      expect(() => parse(['--max-file-size', value]), value).toThrow(/--max-file-size/);
    }
  });
});

describe('--held-bytes', () => {
  it('is unset (twice --max-file-size) when not given; takes 0 (keep none), bytes or K, M, G, T', () => {
    expect(parse([]).heldBytes).toBeUndefined();
    expect(parse(['--held-bytes', '0']).heldBytes).toBe(0);
    expect(parse(['--held-bytes', '8G']).heldBytes).toBe(8 * 2 ** 30);
    expect(parse([], { MESHCHAT_HELD_BYTES: '500M' }).heldBytes).toBe(500 * 2 ** 20);
  });

  it('refuses anything else in one line naming the flag', () => {
    for (const value of ['-1', 'lots', '17T', '']) {
      expect(() => parse(['--held-bytes', value]), value).toThrow(UsageError);
      expect(() => parse(['--held-bytes', value]), value).toThrow(/--held-bytes/);
    }
  });
});
