// Logging in from a command: the password from MESHCHAT_PASSWORD or a prompt that does not echo, then
// POST /sessions. The accounts CLI may grow its own; this one is what the file commands need.

import { UsageError } from './args.js';
import { nodeAnswer } from './files/node-call.js';

export interface PasswordIo {
  readonly env: NodeJS.ProcessEnv;
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  readonly stderr: NodeJS.WritableStream;
}

/** Longer than any password a node takes (1024 bytes); the prompt stops reading there. */
const MAX_PASSWORD_CHARS = 1024;

/**
 * The password: `MESHCHAT_PASSWORD` when set, else typed at a prompt on stderr with echo off (stdin must be a
 * terminal). Ctrl-C or Ctrl-D at the prompt is a `UsageError`.
 */
export function readPassword(name: string, io: PasswordIo): Promise<string> {
  const fromEnv = io.env.MESHCHAT_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== '') return Promise.resolve(fromEnv);
  const { stdin } = io;
  if (!stdin.isTTY || !stdin.setRawMode) {
    throw new UsageError(
      `--login ${name} needs a password: set MESHCHAT_PASSWORD, or run in a terminal to type it`,
    );
  }
  const setRawMode = stdin.setRawMode.bind(stdin);
  io.stderr.write(`Password for ${name}: `);
  return new Promise((resolve, reject) => {
    let typed = '';
    const done = (error?: Error) => {
      stdin.off('data', onData);
      setRawMode(false);
      stdin.pause();
      io.stderr.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (data: Buffer | string) => {
      for (const char of data.toString()) {
        if (char === '\r' || char === '\n') return done();
        if (char === '\u0003' || char === '\u0004') return done(new UsageError('no password given'));
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else if (typed.length < MAX_PASSWORD_CHARS) typed += char;
      }
    };
    setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

/** Logs `name` in on the node; resolves with the bearer token, or throws the node's refusal as one line. */
export async function login(node: URL, name: string, password: string): Promise<string> {
  const answer = await nodeAnswer<{ token: string }>(new URL('/sessions', node), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name, password }),
  });
  return answer.token;
}
