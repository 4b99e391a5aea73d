import type { ChatClient, HistoryBatch, OlderBatch } from '../../client/index.js';
import type { ChatConfig } from './chat-args.js';
import type { ChatIo } from './chat-io.js';
import { safeWrite } from './chat-io.js';
import { ChatSession } from './chat-session.js';
import { runCommand } from './commands.js';
import { firstConnection } from './first-connection.js';
import {
  clean,
  formatAck,
  formatHistoryHeader,
  formatMessage,
  formatNotices,
  formatOlderHeader,
  formatPresence,
  formatStatus,
} from './format.js';
import { Terminal } from './terminal.js';

/**
 * Interactive mode: a prompt; what the client reports is printed above it as it happens. Resolves to the
 * exit code: 0 when the user leaves, 1 when the node cannot be reached at first or refuses the connection.
 */
export async function runInteractive(
  config: ChatConfig,
  io: ChatIo,
  client: ChatClient,
  connectTimeoutMs: number,
): Promise<number> {
  const terminal = new Terminal(io);
  const session = new ChatSession(client, terminal, config);
  let refused = false;
  showEvents(session, () => {
    refused = true;
  });

  safeWrite(io.stdout, `connecting to ${config.node.href} …\n`);
  const first = await firstConnection(client, config.node, connectTimeoutMs);
  if (!first.ok) {
    safeWrite(io.stderr, `meshchat chat: ${first.message}\n`);
    return 1;
  }

  const closed = terminal.read((line) => onLine(session, line));
  session.updatePrompt();
  terminal.showPrompt();
  await closed;
  if (client.pending > 0) {
    terminal.print(`waiting for ${client.pending} acknowledgement${client.pending === 1 ? '' : 's'}…`);
    await new Promise<void>((resolve) => {
      const stop = client.on('ack', () => {
        if (client.pending === 0) {
          stop();
          resolve();
        }
      });
    });
  }
  client.stop();
  if (terminal.tty) safeWrite(io.stdout, '\n');
  return refused ? 1 : 0;
}

function onLine(session: ChatSession, line: string): void {
  if (line.trim() === '') {
    session.terminal.showPrompt();
    return;
  }
  if (line.startsWith('//')) send(session, line.slice(1));
  else if (line.trimStart().startsWith('/')) runCommand(session, line);
  else send(session, line);
  session.terminal.showPrompt();
}

function send(session: ChatSession, text: string): void {
  const to = session.currentDestination();
  if (to === undefined) {
    session.terminal.print('✗ no destination yet: choose one with /to <id>');
    return;
  }
  session.client.send(session.user === undefined ? { to, msg: text } : { to, msg: text, user: session.user });
}

/** Prints what the client reports; `onRefused` is told when the node turns the client away for good. */
function showEvents(session: ChatSession, onRefused: () => void): void {
  const { client, terminal, config } = session;
  const print = (text: string) => terminal.print(text);
  let wasOpen = false;
  let everOpen = false;
  client.on('connection', (status) => {
    if (status.state === 'open') {
      print(
        status.reconnected
          ? `reconnected to ${config.node.href}`
          : `connected to ${config.node.href}; type /help for commands`,
      );
    } else if (everOpen && status.refused) {
      print(
        `✗ the node at ${config.node.href} refused the connection (${clean(status.lastError ?? 'refused', true)}); giving up`,
      );
      onRefused();
      terminal.close();
    } else if (wasOpen && (status.state === 'waiting' || status.state === 'offline')) {
      print(`connection to ${config.node.href} lost; reconnecting…`);
    }
    wasOpen = status.state === 'open';
    everOpen ||= wasOpen;
  });
  let helloId: string | undefined;
  client.on('hello', (node) => {
    if (node.id === helloId) return;
    helloId = node.id;
    session.updatePrompt();
    print(
      `you are on node ${clean(node.id, true)}${node.url ? ` (${clean(node.url, true)})` : ''}; ` +
        `messages go to ${session.currentLabel()}`,
    );
  });
  client.on('nodes', () => session.updatePrompt());
  client.on('notices', (notices) => print(formatNotices(notices)));
  client.on('message', ({ message }) => print(formatMessage(message, client.me)));
  client.on('login', (user) => print(`logged in as ${clean(user, true)}`));
  client.on('presence', (change) => print(formatPresence(change)));
  client.on('history', (batch) => printHistory(session, batch));
  client.on('older', (batch) => printOlder(session, batch));
  client.on('ack', ({ message, result }) => print(formatAck(result, message.to)));
  client.on('status', (report) => {
    if (report.news) print(formatStatus(report.event, report.previous));
  });
  client.on('error', (error) =>
    print(`✗ node error: ${clean(error.message, true)} (${clean(error.code, true)})`),
  );
}

function printHistory(session: ChatSession, batch: HistoryBatch): void {
  const lines: string[] = [];
  let count = 0;
  for (const item of batch.items) {
    if (item.kind === 'message') {
      count++;
      lines.push(formatMessage(item.message, session.client.me));
    } else {
      lines.push(formatStatus(item.change, item.previous));
    }
  }
  const header = formatHistoryHeader(count, batch.reconnect, batch.more && !batch.direct);
  if (header !== undefined) session.terminal.print(header);
  for (const line of lines) session.terminal.print(line);
}

/** A page of older history: its header, then its messages oldest first (they scroll up above what is shown). */
function printOlder(session: ChatSession, batch: OlderBatch): void {
  const lines = batch.items.flatMap((item) =>
    item.kind === 'message' ? [formatMessage(item.message, session.client.me)] : [],
  );
  session.terminal.print(formatOlderHeader(lines.length, batch.more));
  for (const line of lines) session.terminal.print(line);
}
