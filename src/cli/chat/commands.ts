import { isValidNodeId } from '../../domain/node-record.js';
import { parseUserNameFlag } from '../args.js';
import { INTERACTIVE_COMMANDS } from './chat-args.js';
import type { ChatSession } from './chat-session.js';
import { clean, formatNodeList, stateLabel } from './format.js';

/** Runs one `/command` line of interactive mode. */
export function runCommand(session: ChatSession, line: string): void {
  const match = /^\/(\S*)\s*(.*)$/s.exec(line.trim());
  const name = match?.[1]?.toLowerCase() ?? '';
  const arg = match?.[2]?.trim() ?? '';
  const print = (text: string) => session.terminal.print(text);
  switch (name) {
    case 'nodes': {
      const nodes = session.client.nodes();
      if (nodes.length === 0) print('no node list received yet');
      else
        for (const l of formatNodeList(
          nodes,
          session.currentDestination(),
          session.client.connection.state === 'open',
        ))
          print(l);
      return;
    }
    case 'to':
      setDestination(session, arg);
      return;
    case 'name':
      setName(session, arg);
      return;
    case 'help':
    case '?':
      for (const helpLine of ['commands:', ...INTERACTIVE_COMMANDS]) print(helpLine);
      return;
    case 'quit':
    case 'exit':
    case 'q':
      session.terminal.close();
      return;
    default:
      print(`✗ unknown command /${clean(name, true)}; type /help`);
  }
}

function setDestination(session: ChatSession, arg: string): void {
  const print = (text: string) => session.terminal.print(text);
  if (arg === '') {
    print(
      session.currentDestination() !== undefined
        ? `messages go to ${session.currentLabel()}`
        : 'no destination yet: choose one with /to <id> (or /to * for every node)',
    );
    return;
  }
  if (arg === '*') {
    session.destination = arg;
    session.updatePrompt();
    print('messages go to every node (*)');
    return;
  }
  if (!isValidNodeId(arg)) {
    print(
      `✗ '${clean(arg, true)}' is not a node id (letters, digits, '.', '_', '-'; at most 64 characters; * for every node)`,
    );
    return;
  }
  session.destination = arg;
  session.updatePrompt();
  const nodes = session.client.nodes();
  const target = nodes.find((n) => n.id === arg);
  if (nodes.length > 0 && !target) {
    print(`! node ${arg} is not in the node list; messages to it may be queued or refused`);
  } else if (target?.state === 'unknown') {
    print(`! your node is unreachable, so the state of ${arg} is unknown`);
  } else if (target && target.state !== 'alive') {
    print(`! node ${arg} is ${clean(stateLabel(target.state), true)}; messages to it may fail`);
  }
  print(`messages go to ${arg}`);
}

function setName(session: ChatSession, arg: string): void {
  const print = (text: string) => session.terminal.print(text);
  if (arg === '') {
    print(
      session.user
        ? `your name is ${clean(session.user, true)} (/name - clears it)`
        : 'no name set: /name <user>',
    );
    return;
  }
  if (arg === '-') {
    session.user = undefined;
    session.updatePrompt();
    print('name cleared');
    return;
  }
  try {
    session.user = parseUserNameFlag('name', arg);
  } catch (err) {
    print(`✗ ${err instanceof Error ? err.message : String(err)}`);
    return;
  }
  session.updatePrompt();
  print(`your name is ${session.user}`);
}
