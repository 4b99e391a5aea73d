import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/args.js';
import { parseNodeFlags } from '../../src/cli/node-flags.js';

/** Stands for the id file of the default data dir, so these tests write nothing. */
const stored = { nodeIdIn: (dataDir: string) => `stored-in-${dataDir.replace(/\W/g, '')}` };

describe('meshchat node flags for private nodes and connection bounds', () => {
  it('is open by default, and private with --private or MESHCHAT_PRIVATE=1', () => {
    expect(parseNodeFlags([], {}, stored).config.privateNode).toBeUndefined();
    expect(parseNodeFlags(['--private'], {}, stored).config.privateNode).toBe(true);
    expect(parseNodeFlags([], { MESHCHAT_PRIVATE: '1' }, stored).config.privateNode).toBe(true);
    expect(parseNodeFlags([], { MESHCHAT_PRIVATE: '0' }, stored).config.privateNode).toBeUndefined();
  });

  it('takes --max-connections from the flag or the environment, and refuses a value that is not a count', () => {
    expect(parseNodeFlags([], {}, stored).config.connections).toBeUndefined();
    expect(parseNodeFlags(['--max-connections', '10'], {}, stored).config.connections).toEqual({
      maxPerAddress: 10,
    });
    expect(parseNodeFlags([], { MESHCHAT_MAX_CONNECTIONS: '0' }, stored).config.connections).toEqual({
      maxPerAddress: 0,
    });
    expect(() => parseNodeFlags(['--max-connections', 'many'], {}, stored)).toThrow(UsageError);
  });
});
