import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { quietSocketIoDebug } from '../../src/adapters/users/quiet-debug.js';

type Logger = ((...args: unknown[]) => void) & { enabled: boolean; namespace?: string; log?: unknown };
type CreateDebug = ((namespace: string) => Logger) & {
  enable(namespaces: string): void;
  disable(): string;
};

// The `debug` that engine.io (under socket.io) requires, as it would require it.
const here = createRequire(import.meta.url);
const socketIo = createRequire(here.resolve('socket.io'));
const engineRequire = createRequire(socketIo.resolve('engine.io'));
const debugOfEngineIo = () => engineRequire('debug') as CreateDebug;

describe('quiet socket.io debug loggers', () => {
  it('gives a namespace that DEBUG leaves off a logger that does nothing', () => {
    quietSocketIoDebug();
    const logger = debugOfEngineIo()('engine:meshchat-test-off');
    expect(logger.enabled).toBe(false);
    expect(logger.namespace).toBe('engine:meshchat-test-off');
    expect(logger('%s', 'nothing happens')).toBeUndefined();
    expect(logger.log).toBeUndefined(); // not debug's own logger
  });

  it("gives a namespace that is on debug's own logger, and is idempotent", () => {
    quietSocketIoDebug();
    quietSocketIoDebug();
    const create = debugOfEngineIo();
    const before = create.disable();
    create.enable('meshchat-test-on:*');
    try {
      const logger = create('meshchat-test-on:x');
      expect(logger.enabled).toBe(true);
      const written: unknown[][] = [];
      logger.log = (...args: unknown[]) => written.push(args);
      logger('hello %s', 'there');
      expect(written).toHaveLength(1);
      expect(String(written[0]?.[0])).toContain('meshchat-test-on:x hello %s');
      expect(written[0]?.[1]).toBe('there');
    } finally {
      create.enable(before);
    }
  });
});
