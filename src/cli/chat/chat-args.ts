import { parseArgs } from 'node:util';
import { parseUserAddress } from '../../domain/account.js';
import { isUserAddressed } from '../../domain/direct-message.js';
import { USER_NAME_MAX_LENGTH } from '../../domain/message.js';
import { parseAccountNameFlag } from '../account/register.js';
import {
  parseHttpUrlFlag,
  parseNodeIdFlag,
  parseUserNameFlag,
  requireFlag,
  UsageError,
  usageErrorFrom,
} from '../args.js';
import { PASSWORD_ENV } from '../login.js';

export interface ChatConfig {
  node: URL;
  user: string | undefined;
  to: string | undefined;
  json: boolean;
  /** The account to log in as on the node (`--login`). */
  login: string | undefined;
}

/** The commands of interactive mode: one list for `--help` and for `/help`. */
export const INTERACTIVE_COMMANDS = [
  '  /nodes         list the nodes (* = the node you are on, > = the destination)',
  '  /to <id>       send your messages to node <id>; /to * sends to every node (broadcast)',
  '  /to <user@id>  send direct messages to one user (logged in with --login only)',
  "  /users         list the node's users, online or when last seen",
  '  /name <user>   set your display name (/name - clears it)',
  "  /older [N]     show older messages from the node's history (N at most, the node's page without)",
  '  /help          show the commands',
  '  /quit          leave (Ctrl-D works too)',
  'A line starting with "//" sends the text with a single leading "/".',
];

export const CHAT_USAGE = `Usage: meshchat chat --node <url> [--login NAME] [--user NAME] [--to ID|USER@ID] [--json]

Chat through a meshchat node (socket.io at the node's URL).

Options:
  --node <url>   the node to connect to (http:// or https:// URL), required
  --login <name> log in as the account <name> of that node (POST /sessions): your messages carry your
                 address and you can send and receive direct messages. The password is asked without
                 echo on a terminal, or read from ${PASSWORD_ENV}; a wrong one is an error (exit 1)
  --user <name>  display name sent with your messages (at most ${USER_NAME_MAX_LENGTH} characters; without --login,
                 no "@": that is the shape of an account's address)
  --to <id>      destination node id, * for every node, or user@id for one user (default: the node you
                 are connected to)
  --json         script mode: read JSON lines {"to", "msg", "user"?} on stdin ("to" may be "*") and send
                 each; print every received message as one JSON line on stdout (nothing else goes to
                 stdout); messages from the node's history are printed the same way with "history": true.
                 Failed sends, bad input lines, delivery status events, connection changes and node errors
                 go to stderr as JSON lines. A direct message carries "fromUser" (the sender's address)
                 and "to" the recipient's; "to" in a line may be an address. When stdin ends, waits for
                 the pending acknowledgements and exits 0, or 1 if any line could not be sent (to only
                 listen, keep stdin open: sleep infinity | meshchat chat --json ...).
  -h, --help     show this help

Interactive commands:
${INTERACTIVE_COMMANDS.join('\n')}
`;

/** The arguments after `chat`; throws `UsageError` naming the flag at fault. */
export function parseChatArgs(argv: string[]): ChatConfig | 'help' {
  let values: {
    node?: string;
    user?: string;
    to?: string;
    json?: boolean;
    help?: boolean;
    login?: string;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        node: { type: 'string' },
        user: { type: 'string' },
        to: { type: 'string' },
        json: { type: 'boolean' },
        login: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw usageErrorFrom(err);
  }
  if (values.help) return 'help';
  const nodeText = requireFlag(values.node, '--node', 'url');
  const node = parseHttpUrlFlag('--node', nodeText);
  if (node.search !== '' || node.hash !== '') {
    throw new UsageError('--node must be a plain node URL without ?query or #fragment');
  }
  const user = values.user === undefined ? undefined : parseUserNameFlag('--user', values.user);
  // Logged in, the node sends as the account whatever --user says; anonymous, it refuses an address's shape.
  if (isUserAddressed(user) && values.login === undefined) {
    throw new UsageError(
      '--user must not contain "@" (the shape of an account\'s address): to send as an account, use --login NAME',
    );
  }
  return {
    node,
    user,
    to: destinationFlag(values.to),
    json: values.json === true,
    login: values.login === undefined ? undefined : parseAccountNameFlag('--login', values.login),
  };
}

/** `--to`: a node id, `*`, or a user address (lower-cased as the node keeps it). */
function destinationFlag(to: string | undefined): string | undefined {
  if (to === undefined || to === '*') return to;
  if (!to.includes('@')) return parseNodeIdFlag('--to', to);
  try {
    const { name, node } = parseUserAddress(to);
    return `${name}@${node}`;
  } catch {
    throw new UsageError(`--to must be a node id, * or a user address name@node, got '${to}'`);
  }
}
