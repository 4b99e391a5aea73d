#!/usr/bin/env node
// Each command's module is imported only when that command runs: a node's whole container (HTTP, socket.io,
// SQLite) takes over a second to load, which `meshchat get` or `meshchat chat --help` has no use for.

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
      return (await import('./main.js')).runNode(rest);
    case 'chat':
      return (await import('./cli/chat/run-chat.js')).runChat(rest, {
        stdin: process.stdin,
        stdout: process.stdout,
        stderr: process.stderr,
      });
    case 'register':
      return (await import('./cli/account/register.js')).runRegister(
        rest,
        { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
        process.env,
      );
    case 'audit':
      return (await import('./cli/audit.js')).runAudit(rest, {
        stdout: process.stdout,
        stderr: process.stderr,
      });
    case 'publish':
      return (await import('./cli/files/publish-command.js')).runPublish(rest, {
        stdin: process.stdin,
        stdout: process.stdout,
        stderr: process.stderr,
        env: process.env,
      });
    case 'files':
      return (await import('./cli/files/files-command.js')).runFiles(rest, {
        stdout: process.stdout,
        stderr: process.stderr,
      });
    case 'get':
      return (await import('./cli/files/get-command.js')).runGet(rest, {
        stdout: process.stdout,
        stderr: process.stderr,
        stop: stopSignal(),
      });
    case 'delete':
      return (await import('./cli/files/delete-command.js')).runDelete(rest, {
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
      {
        const [{ runDemo }, { createNode }] = await Promise.all([
          import('./cli/demo.js'),
          import('./container.js'),
        ]);
        return runDemo(createNode, process.stdout, process.stderr);
      }
    case 'version':
    case '--version':
      return (await import('./cli/version.js')).runVersion(rest, {
        stdout: process.stdout,
        stderr: process.stderr,
      });
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
