import { parseUserAddress } from '../../domain/account.js';
import { isValidNodeId } from '../../domain/node-record.js';
import { listUsers } from '../account/node-accounts.js';
import { parseUserNameFlag } from '../args.js';
import { INTERACTIVE_COMMANDS } from './chat-args.js';
import type { ChatSession } from './chat-session.js';
import { clean, formatNodeList, formatUserList, stateLabel } from './format.js';

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
    case 'users':
      void showUsers(session);
      return;
    case 'name':
      setName(session, arg);
      return;
    case 'older':
      loadOlder(session, arg);
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

function loadOlder(session: ChatSession, arg: string): void {
  const print = (text: string) => session.terminal.print(text);
  const limit = arg === '' ? undefined : Number(arg);
  if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 1)) {
    print(`✗ '${clean(arg, true)}' is not a number of messages; try /older or /older 50`);
    return;
  }
  const { client } = session;
  if (!client.hasOlder) print('no older messages: this is the start of the history the node keeps');
  else if (client.connection.state !== 'open') print('✗ not connected: /older once the connection is back');
  else if (!client.loadOlder(limit)) print('older messages are on their way');
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
  if (arg.includes('@')) {
    setUserDestination(session, arg);
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

/** `/to bob@b`: direct messages to one user; the node refuses them unless the client is logged in. */
function setUserDestination(session: ChatSession, arg: string): void {
  const print = (text: string) => session.terminal.print(text);
  let address: string;
  try {
    const { name, node } = parseUserAddress(arg);
    address = `${name}@${node}`;
  } catch (err) {
    print(`✗ ${clean(arg, true)}: ${err instanceof Error ? err.message : String(err)}`);
    return;
  }
  session.destination = address;
  session.updatePrompt();
  if (session.client.me === undefined) {
    print('! you are not logged in (meshchat chat --login NAME): the node will refuse direct messages');
  }
  print(`direct messages go to ${address}`);
}

/** `/users`: the node's users from `GET /users`; a node without the route is said not to list them. */
async function showUsers(session: ChatSession): Promise<void> {
  const print = (text: string) => session.terminal.print(text);
  try {
    const users = await listUsers(session.config.node);
    if (users === undefined) print('this node does not list its users');
    else for (const line of formatUserList(users)) print(line);
  } catch (err) {
    print(`✗ /users: ${clean(err instanceof Error ? err.message : String(err), true)}`);
  }
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
