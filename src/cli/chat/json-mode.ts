import * as readline from 'node:readline';
import { type ChatClient, isRecord } from '../../client/index.js';
import type { ChatConfig } from './chat-args.js';
import { type ChatIo, safeWrite } from './chat-io.js';
import { firstConnection } from './first-connection.js';

/**
 * `--json` mode, for scripts: JSON lines on stdin are sent; received messages go to stdout as one JSON line
 * each (as the node sent them) and nothing else does; everything else goes to stderr as JSON lines. Resolves
 * to 1 when the node cannot be reached or any line could not be sent, else 0, once every send is settled.
 */
export async function runJsonMode(
  config: ChatConfig,
  io: ChatIo,
  client: ChatClient,
  connectTimeoutMs: number,
): Promise<number> {
  const printMessage = (raw: unknown) => safeWrite(io.stdout, `${JSON.stringify(raw)}\n`);
  const report = (entry: Record<string, unknown>) => safeWrite(io.stderr, `${JSON.stringify(entry)}\n`);
  reportEvents(client, config, printMessage, report);

  const first = await firstConnection(client, config.node, connectTimeoutMs);
  if (!first.ok) {
    report({ error: { code: 'unreachable', message: first.message } });
    return 1;
  }

  let failed = false;
  let lineNo = 0;
  const pending = new Set<Promise<void>>();
  const rl = readline.createInterface({
    input: io.stdin,
    terminal: false,
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  const closed = new Promise<void>((resolve) => rl.once('close', () => resolve()));
  const onInputError = () => rl.close();
  io.stdin.on('error', onInputError);

  rl.on('line', (line) => {
    lineNo += 1;
    const n = lineNo;
    if (line.trim() === '') return;
    const input = parseInputLine(line, config, client);
    if ('error' in input) {
      failed = true;
      report({ error: input.error, line: n });
      return;
    }
    const sent = client.send(input.message).done.then((result) => {
      if (!result.ok) {
        failed = true;
        report({ error: result.error, line: n });
      }
    });
    pending.add(sent);
    void sent.finally(() => pending.delete(sent));
  });

  await closed;
  io.stdin.off('error', onInputError);
  // Each pending send settles within the ack timeout, so this wait is bounded.
  await Promise.all([...pending]);
  client.stop();
  return failed ? 1 : 0;
}

type InputLine =
  | { message: { to: string; msg: string; user?: string } }
  | { error: { code: string; message: string } };

/** One stdin line `{"to"?, "msg", "user"?}`; `to` defaults to `--to`, then to the node the client is on. */
function parseInputLine(line: string, config: ChatConfig, client: ChatClient): InputLine {
  let input: unknown;
  try {
    input = JSON.parse(line);
  } catch (err) {
    return {
      error: {
        code: 'bad_json',
        message: `not a JSON line: ${err instanceof Error ? err.message : String(err)}`,
      },
    };
  }
  const bad = (message: string) => ({ error: { code: 'bad_input', message } });
  if (!isRecord(input)) return bad('expected a JSON object {"to", "msg", "user"?}');
  if (typeof input.msg !== 'string') return bad('"msg" must be a string');
  if (input.to !== undefined && (typeof input.to !== 'string' || input.to === '')) {
    return bad('"to" must be a non-empty string (a node id, "*" or a user address name@node)');
  }
  if (input.user !== undefined && typeof input.user !== 'string') return bad('"user" must be a string');
  const to = (input.to as string | undefined) ?? config.to ?? selfId(client, config.node);
  if (to === undefined)
    return bad('no "to" given and no default destination (use --to or add "to" to the line)');
  const user = (input.user as string | undefined) ?? config.user;
  return { message: user === undefined ? { to, msg: input.msg } : { to, msg: input.msg, user } };
}

function selfId(client: ChatClient, node: URL): string | undefined {
  if (client.self) return client.self.id;
  const want = node.href.replace(/\/+$/, '');
  return client.nodes().find((n) => n.url.replace(/\/+$/, '') === want)?.id;
}

function reportEvents(
  client: ChatClient,
  config: ChatConfig,
  printMessage: (raw: unknown) => void,
  report: (entry: Record<string, unknown>) => void,
): void {
  let wasOpen = false;
  let everOpen = false;
  client.on('connection', (status) => {
    if (status.state === 'open' && status.reconnected)
      report({ event: 'reconnected', node: config.node.href });
    else if (everOpen && status.refused) {
      const message = `the node at ${config.node.href} refused the connection: ${status.lastError ?? 'refused'}`;
      report({ error: { code: 'refused', message } });
    } else if (wasOpen && (status.state === 'waiting' || status.state === 'offline')) {
      report({ event: 'disconnected', reason: status.lastError ?? status.state });
    }
    wasOpen = status.state === 'open';
    everOpen ||= wasOpen;
  });
  client.on('message', ({ raw }) => printMessage(raw));
  client.on('history', (batch) => {
    for (const item of batch.items) {
      if (item.kind === 'message') printMessage({ ...item.raw, history: true });
      else report({ status: item.change, history: true });
    }
  });
  client.on('status', (statusReport) => report({ status: statusReport.raw }));
  client.on('error', (error) => report({ error }));
  client.on('presence', (presence) => report({ presence }));
  client.on('malformed', (what) =>
    report({ error: { code: 'bad_event', message: `ignored ${what} from the node` } }),
  );
}
