// `node bench/lib/guarded-cli.js <meshchat args>` is `node dist/cli.js <meshchat args>` in the same process,
// plus one thing the bench needs: exit when the parent closes our stdin, so a bench that is killed outright
// (SIGKILL, crash) leaves no meshchat node running.
import { fileURLToPath } from 'node:url';

process.stdin.on('end', () => process.exit(1));
process.stdin.on('error', () => process.exit(1));
process.stdin.resume();

// Bench-only, from the environment: MESHCHAT_BENCH_REFUSE_FILES (comma-separated node URLs) makes this node's
// file fetches (`GET /files/<id>`) to those nodes fail as if unreachable, and MESHCHAT_BENCH_COUNT_FILE_FETCHES=1
// writes a line `meshchat-bench: file fetch` to stderr for each one it makes; the files scenario uses them to
// run a relay case with every node in its own process on one loopback host.
const refusedFiles = (process.env.MESHCHAT_BENCH_REFUSE_FILES ?? '').split(',').filter(Boolean);
const countFetches = process.env.MESHCHAT_BENCH_COUNT_FILE_FETCHES === '1';
if (refusedFiles.length > 0 || countFetches) {
  const { Dispatcher, getGlobalDispatcher, setGlobalDispatcher } = await import('undici');
  const refused = new Set(refusedFiles.map((url) => new URL(url).origin));
  const base = getGlobalDispatcher();
  class BenchDispatcher extends Dispatcher {
    /** @override @param {import('undici').Dispatcher.DispatchOptions} options @param {any} handler */
    dispatch(options, handler) {
      if (options.method === 'GET' && /^\/files\/[0-9a-f]{64}$/.test(options.path)) {
        if (refused.has(new URL(String(options.origin)).origin)) {
          handler.onError(new Error('refused by the bench (MESHCHAT_BENCH_REFUSE_FILES)'));
          return false;
        }
        if (countFetches) process.stderr.write('meshchat-bench: file fetch\n');
      }
      return base.dispatch(options, handler);
    }
    /** @override @param {...any} args */
    close(...args) {
      return /** @type {any} */ (base.close)(...args);
    }
    /** @override @param {...any} args */
    destroy(...args) {
      return /** @type {any} */ (base.destroy)(...args);
    }
  }
  setGlobalDispatcher(new BenchDispatcher());
}

const cli = new URL('../../dist/cli.js', import.meta.url);
process.argv = [process.execPath, fileURLToPath(cli), ...process.argv.slice(2)];
await import(cli.href);
