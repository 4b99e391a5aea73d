import { isTty, safeWrite } from '../chat/chat-io.js';

/** The environment variable a script gives the password in (never a flag: flags show in `ps`). */
export const PASSWORD_ENV = 'MESHCHAT_PASSWORD';

/** Why no password could be had; the caller prints it as one line and exits 1. */
export class PasswordUnavailable extends Error {}

/**
 * The password for a login or a registration: `MESHCHAT_PASSWORD` when set (scripts), else asked on the
 * terminal without echo (`prompt` on stderr, so stdout stays the program's). Without either, rejects with
 * `PasswordUnavailable` rather than reading a password from a pipe meant for messages.
 */
export async function readPassword(
  io: { stdin: NodeJS.ReadableStream; stderr: NodeJS.WritableStream },
  env: NodeJS.ProcessEnv,
  prompt: string,
): Promise<string> {
  const given = env[PASSWORD_ENV];
  if (given !== undefined && given !== '') return given;
  if (!isTty(io.stdin)) {
    throw new PasswordUnavailable(
      `no password: set ${PASSWORD_ENV}, or run on a terminal to be asked for it`,
    );
  }
  safeWrite(io.stderr, prompt);
  return readHidden(io.stdin as NodeJS.ReadStream, io.stderr);
}

/** Reads one line from a TTY in raw mode, echoing nothing; Ctrl-C or Ctrl-D gives up. */
function readHidden(stdin: NodeJS.ReadStream, stderr: NodeJS.WritableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let typed = '';
    const wasRaw = stdin.isRaw;
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const finish = (error?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      safeWrite(stderr, '\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003' || char === '\u0004')
          return finish(new PasswordUnavailable('no password given'));
        if (char === '\u007f' || char === '\b') typed = [...typed].slice(0, -1).join('');
        else typed += char;
      }
    };
    stdin.on('data', onData);
  });
}
