// The one login helper of the CLI: `chat --login`, `register`, `publish` and `delete` get a password here, and
// `chat`, `publish` and `delete` log in with it (POST /sessions, through the accounts calls in
// account/node-accounts.ts).

import { logIn, type Session } from './account/node-accounts.js';
import { isTty, safeWrite } from './chat/chat-io.js';

/** The environment variable a script gives the password in (never a flag: flags show in `ps`). */
export const PASSWORD_ENV = 'MESHCHAT_PASSWORD';

/** Why no password could be had; the caller prints it as one line and exits 1. */
export class PasswordUnavailable extends Error {}

/** Where a password is asked: the prompt goes to stderr, so stdout stays the program's. */
export interface PasswordIo {
  readonly stdin: NodeJS.ReadableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** Longer than any password a node takes (1024 bytes of UTF-8); the prompt keeps no more. */
const MAX_PASSWORD_CHARS = 1024;

/**
 * The password for a login or a registration: `MESHCHAT_PASSWORD` when set (scripts), else asked on the
 * terminal without echo (`prompt` on stderr). Without either, rejects with `PasswordUnavailable` rather than
 * reading a password from a pipe meant for messages or file data. Ctrl-C or Ctrl-D at the prompt gives up.
 */
export async function readPassword(io: PasswordIo, env: NodeJS.ProcessEnv, prompt: string): Promise<string> {
  const given = env[PASSWORD_ENV];
  if (given !== undefined && given !== '') return given;
  const stdin = io.stdin as NodeJS.ReadStream;
  if (!isTty(stdin) || typeof stdin.setRawMode !== 'function') {
    throw new PasswordUnavailable(
      `no password: set ${PASSWORD_ENV}, or run on a terminal to be asked for it`,
    );
  }
  safeWrite(io.stderr, prompt);
  return readHidden(stdin, io.stderr);
}

/**
 * Logs `name` in on `node` with the password `readPassword` gives. Rejects with `PasswordUnavailable`, or
 * `AccountCallFailed` carrying the node's sentence (a wrong password, an unreachable node).
 */
export async function logInWithPassword(
  node: URL,
  name: string,
  io: PasswordIo,
  env: NodeJS.ProcessEnv,
): Promise<Session> {
  const password = await readPassword(io, env, `password for ${name}: `);
  return logIn(node, name, password);
}

/** Reads one line from a TTY in raw mode, echoing nothing; Ctrl-C or Ctrl-D gives up. */
function readHidden(stdin: NodeJS.ReadStream, stderr: NodeJS.WritableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let typed: string[] = [];
    const wasRaw = stdin.isRaw === true;
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const finish = (error?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      safeWrite(stderr, '\n');
      if (error) reject(error);
      else resolve(typed.join(''));
    };
    const onData = (chunk: string | Buffer) => {
      for (const char of chunk.toString()) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003' || char === '\u0004')
          return finish(new PasswordUnavailable('no password given'));
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else if (typed.length < MAX_PASSWORD_CHARS) typed.push(char);
      }
    };
    stdin.on('data', onData);
  });
}
