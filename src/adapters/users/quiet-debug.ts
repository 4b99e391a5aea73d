// Imported for its effect, before socket.io: socket.io, socket.io-parser and engine.io log through the `debug`
// package, several calls per packet per connection, and a `debug` function that is off still collects its
// arguments into a rest array before it checks whether it is on. On node B of the fan-out that was a tenth of
// everything allocated per message (2.5 KB: ten connections), garbage the young generation has to sweep.
//
// So the namespaces that `DEBUG` leaves off when a library creates its logger get a function that does nothing
// at all; those it turns on get `debug`'s own, unchanged. `DEBUG=engine*,socket.io*` works as documented by
// those libraries; turning a namespace on later from code (`debug.enable`) does not reach loggers already made
// quiet, which nothing in meshchat does.
import { createRequire } from 'node:module';

type Debugger = ((...args: unknown[]) => void) & { enabled: boolean; namespace?: string };
type CreateDebug = ((namespace: string) => Debugger) & Record<string | symbol, unknown>;

const QUIET = Symbol.for('meshchat.quietDebug');

function quiet(create: CreateDebug): CreateDebug {
  const made = (namespace: string): Debugger => {
    const logger = create(namespace);
    if (logger.enabled) return logger;
    const off = (() => {}) as unknown as Debugger;
    // What the libraries read or call on a logger besides calling it.
    off.enabled = false;
    off.namespace = namespace;
    (off as unknown as Record<string, unknown>).extend = (sub: string, delimiter?: string) =>
      made(`${namespace}${delimiter ?? ':'}${sub}`);
    return off;
  };
  // `debug` is a function with properties (`enable`, `disable`, `formatters`, ...): keep them all.
  return Object.assign(made, create, { default: made, [QUIET]: true }) as unknown as CreateDebug;
}

/**
 * Replaces, in the CommonJS cache, the `debug` module that socket.io and the packages it loads (engine.io,
 * socket.io-parser) resolve by its quiet version, so that they get it when they are loaded afterwards.
 * Idempotent; leaves a package alone when it cannot be resolved.
 */
export function quietSocketIoDebug(): void {
  const here = createRequire(import.meta.url);
  let socketIo: NodeJS.Require;
  try {
    socketIo = createRequire(here.resolve('socket.io'));
  } catch {
    return;
  }
  for (const resolve of [
    () => socketIo.resolve('debug'),
    () => createRequire(socketIo.resolve('engine.io')).resolve('debug'),
    () => createRequire(socketIo.resolve('socket.io-parser')).resolve('debug'),
  ]) {
    let path: string;
    try {
      path = resolve();
    } catch {
      continue;
    }
    const create = here(path) as CreateDebug;
    const cached = here.cache[path];
    if (cached && create[QUIET] !== true) cached.exports = quiet(create);
  }
}

quietSocketIoDebug();
