import { createChatClient, DEFAULT_BACKOFF } from '../../client/index.js';
import { AccountCallFailed } from '../account/node-accounts.js';
import { USAGE_EXIT_CODE, usageErrorFrom } from '../args.js';
import { logInWithPassword, PasswordUnavailable } from '../login.js';
import { CHAT_USAGE, type ChatConfig, parseChatArgs } from './chat-args.js';
import { type ChatIo, guardOutputs, safeWrite } from './chat-io.js';
import { runInteractive } from './interactive.js';
import { runJsonMode } from './json-mode.js';
import { SocketIoTransport } from './socket-io-transport.js';

/** Tuning knobs; the defaults are the documented behaviour (tests shorten them). */
export interface ChatOptions {
  /** How long to wait for the first connection before giving up (default 10 000 ms). */
  connectTimeoutMs?: number;
  /** How long to wait for the node's acknowledgement of a sent message (default 10 000 ms). */
  ackTimeoutMs?: number;
  /** The first delay before reconnecting; it doubles up to 2 s (default 500 ms). */
  reconnectionDelayMs?: number;
  /** Where `MESHCHAT_PASSWORD` is read (default: the process's environment). */
  env?: NodeJS.ProcessEnv;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_ACK_TIMEOUT_MS = 10_000;

/** Runs `meshchat chat`; `argv` are the arguments after `chat`. Resolves to the process exit code. */
export async function runChat(argv: string[], io: ChatIo, options: ChatOptions = {}): Promise<number> {
  let config: ChatConfig;
  try {
    const parsed = parseChatArgs(argv);
    if (parsed === 'help') {
      safeWrite(io.stdout, CHAT_USAGE);
      return 0;
    }
    config = parsed;
  } catch (err) {
    safeWrite(io.stderr, `meshchat chat: ${usageErrorFrom(err).message}\n`);
    return USAGE_EXIT_CODE;
  }

  let token: string | undefined;
  if (config.login !== undefined) {
    try {
      token = (await logInWithPassword(config.node, config.login, io, options.env ?? process.env)).token;
    } catch (err) {
      if (!(err instanceof AccountCallFailed || err instanceof PasswordUnavailable)) throw err;
      if (config.json) {
        // Scripts read stderr as JSON lines: the refusal is one too, with the node's code when it gave one.
        const code = err instanceof PasswordUnavailable ? 'no_password' : (err.code ?? 'unreachable');
        safeWrite(
          io.stderr,
          `${JSON.stringify({ error: { code, message: `login failed: ${err.message}` } })}\n`,
        );
      } else safeWrite(io.stderr, `meshchat chat: login failed: ${err.message}\n`);
      return 1;
    }
  }

  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const baseMs = options.reconnectionDelayMs ?? DEFAULT_BACKOFF.baseMs;
  const client = createChatClient({
    transport: new SocketIoTransport(config.node, connectTimeoutMs, token),
    attemptTimeoutMs: connectTimeoutMs,
    ackTimeoutMs: options.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS,
    backoff: { baseMs, maxMs: Math.max(baseMs, DEFAULT_BACKOFF.maxMs) },
  });
  const unguard = guardOutputs(io);
  try {
    return config.json
      ? await runJsonMode(config, io, client, connectTimeoutMs)
      : await runInteractive(config, io, client, connectTimeoutMs);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    safeWrite(io.stderr, `meshchat chat: ${message.replace(/\s+/g, ' ').trim()}\n`);
    return 1;
  } finally {
    client.stop();
    unguard();
  }
}
