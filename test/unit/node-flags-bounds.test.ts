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

  it('refuses an environment switch that is neither on nor off, rather than reading it as off', () => {
    // MESHCHAT_PRIVATE=on used to give a public node, MESHCHAT_IN_MEMORY=on a node on disk.
    for (const name of ['MESHCHAT_PRIVATE', 'MESHCHAT_IN_MEMORY', 'MESHCHAT_PEER_LINKS'])
      expect(() => parseNodeFlags([], { [name]: 'on' }, stored), name).toThrow(
        new UsageError(`${name} must be 1 or 0 (also true/false, yes/no; got "on")`),
      );
    expect(parseNodeFlags([], { MESHCHAT_PRIVATE: 'Yes' }, stored).config.privateNode).toBe(true);
    expect(parseNodeFlags([], { MESHCHAT_IN_MEMORY: 'false' }, stored).config.dataDir).toBeDefined();
    expect(parseNodeFlags([], { MESHCHAT_PEER_LINKS: 'no' }, stored).config.peerLinks).toBe(false);
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
