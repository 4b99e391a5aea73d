#!/usr/bin/env node
import 'reflect-metadata';
import { runRegister } from './cli/account/register.js';
import { runAudit } from './cli/audit.js';
import { runChat } from './cli/chat/run-chat.js';
import { runDemo } from './cli/demo.js';
import { runDelete } from './cli/files/delete-command.js';
import { runFiles } from './cli/files/files-command.js';
import { runGet } from './cli/files/get-command.js';
import { runPublish } from './cli/files/publish-command.js';
import { runVersion } from './cli/version.js';
import { createNode } from './container.js';
import { runNode } from './main.js';

const USAGE = `Usage: meshchat <command> [options]

Commands:
  node      run a node (meshchat node --help)
  chat      chat through a node: meshchat chat --node <url> [--login NAME] [--user NAME] [--to ID|USER@ID] [--json]
  register  create an account on a node: meshchat register --node <url> --name NAME
  demo      three local nodes joined together, and how to chat between them
  audit     print a node's audit trail: meshchat audit --data-dir DIR [--since TIME] [--user U] [--json]
  publish   publish a file: meshchat publish FILE [--description TEXT] [--name NAME] --node URL --login NAME
  files     list or search the mesh's files: meshchat files --node URL [--user U] [--search WORDS] [--local] [--json]
  get       download a file, verified and resumable: meshchat get ID|OWNER/NAME --node URL [-o PATH]
  delete    delete a file you published: meshchat delete ID|OWNER/NAME --node URL --login NAME
  version   print meshchat's version (also --version)
  help      show this help (also -h, --help; each command takes -h and --help too)`;

const DEMO_USAGE = `Usage: meshchat demo

Starts three nodes (alpha, bravo, charlie) in memory on free local ports, joined in one network, and prints
their URLs and how to chat between them. Ctrl-C stops them.`;

/**
 * Aborted at the first SIGINT or SIGTERM, so that a command can say what it kept before it exits; a second
 * signal exits at once, as without a handler.
 */
function stopSignal(): AbortSignal {
  const controller = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      controller.abort(signal);
      process.once(signal, () => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
  return controller.signal;
}

async function dispatch(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'node':
      return runNode(rest);
    case 'chat':
      return runChat(rest, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
    case 'register':
      return runRegister(
        rest,
        { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
        process.env,
      );
    case 'audit':
      return runAudit(rest, { stdout: process.stdout, stderr: process.stderr });
    case 'publish':
      return runPublish(rest, {
        stdin: process.stdin,
        stdout: process.stdout,
        stderr: process.stderr,
        env: process.env,
      });
    case 'files':
      return runFiles(rest, { stdout: process.stdout, stderr: process.stderr });
    case 'get':
      return runGet(rest, { stdout: process.stdout, stderr: process.stderr, stop: stopSignal() });
    case 'delete':
      return runDelete(rest, {
        stdin: process.stdin,
        stdout: process.stdout,
        stderr: process.stderr,
        env: process.env,
      });
    case 'demo':
      if (rest.length === 1 && (rest[0] === '--help' || rest[0] === '-h')) {
        process.stdout.write(`${DEMO_USAGE}\n`);
        return 0;
      }
      if (rest.length > 0) {
        process.stderr.write(`meshchat demo: takes no arguments (got '${rest[0]}')\n`);
        return 2;
      }
      return runDemo(createNode, process.stdout, process.stderr);
    case 'version':
    case '--version':
      return runVersion(rest, { stdout: process.stdout, stderr: process.stderr });
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    default:
      process.stderr.write(
        command === undefined
          ? `meshchat: missing command (node, chat, register, demo, audit, publish, files, get, delete, version or help)\n`
          : `meshchat: unknown command '${command}' (node, chat, register, demo, audit, publish, files, get, delete, version or help)\n`,
      );
      return 2;
  }
}

dispatch(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Open handles (sockets being torn down, timers) must not keep a finished command alive.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (error: unknown) => {
    process.stderr.write(`meshchat: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
