// `node bench/lib/guarded-cli.js <meshchat args>` is `node dist/cli.js <meshchat args>` in the same process,
// plus one thing the bench needs: exit when the parent closes our stdin, so a bench that is killed outright
// (SIGKILL, crash) leaves no meshchat node running.
import { fileURLToPath } from 'node:url';

process.stdin.on('end', () => process.exit(1));
process.stdin.on('error', () => process.exit(1));
process.stdin.resume();

const cli = new URL('../../dist/cli.js', import.meta.url);
process.argv = [process.execPath, fileURLToPath(cli), ...process.argv.slice(2)];
await import(cli.href);
