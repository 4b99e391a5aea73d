// What a user meets on the command line when something is wrong: every command takes -h and --help, the
// general help names every flag of each command's own usage, and a download that cannot write its file or
// whose node breaks the connection ends with one line `meshchat <command>: …` and exit 1, never a raw errno or
// a bare "fetch failed" under the plain `meshchat:` prefix. The CLI runs as a child process against a real
// node (and, for a node that fails, a small HTTP server) on 127.0.0.1.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MeshNode } from '../../src/mesh-node.js';
import { registerAndLogin } from '../support/accounts-http.js';
import { closedPort } from '../support/free-port.js';
import { startTestNode, stopAll } from '../support/nodes.js';
import { runCliToEnd } from '../support/processes.js';

const PASSWORD = 'correct horse battery';
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

const nodes: MeshNode[] = [];
const servers: Server[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await stopAll(nodes);
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function workDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'meshchat-cli-errors-'));
  dirs.push(dir);
  return dir;
}

/** Runs a CLI command to its end (with a deadline) and returns its exit code and output. */
const cli = runCliToEnd;

/** One line on stderr, prefixed with the command, with no stack trace and no raw errno text. */
function expectOneLine(stderr: string, command: string) {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^meshchat ${command}: `));
  expect(stderr).not.toMatch(/ENOENT:|EACCES:|fetch failed|\n\s+at /);
}

describe('help on every command', () => {
  it('-h and --help print the usage on stdout and exit 0, for every command', async () => {
    const commands = [
      'node',
      'chat',
      'register',
      'demo',
      'audit',
      'publish',
      'files',
      'get',
      'delete',
      'version',
    ];
    // --help already worked everywhere but on demo; -h nowhere but chat and register.
    const asked = [...commands.map((command) => [command, '-h']), ['demo', '--help']];
    const runs = await Promise.all(asked.map((args) => cli(args)));
    runs.forEach((run, i) => {
      const what = `meshchat ${asked[i]?.join(' ')}`;
      expect(run, what).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout, what).toMatch(/^Usage: meshchat /);
    });
  });

  it("the general help names every flag of each command's own usage line", async () => {
    const general = (await cli(['help'])).stdout;
    const commands = ['chat', 'register', 'audit', 'publish', 'files', 'get', 'delete', 'version'];
    const helps = await Promise.all(commands.map((command) => cli([command, '--help'])));
    for (const [i, command] of commands.entries()) {
      const own = helps[i]?.stdout.split('\n')[0] ?? '';
      const line = general.split('\n').find((l) => l.trimStart().startsWith(`${command} `)) ?? '';
      for (const flag of own.match(/(?<![\w-])--?[a-z][a-z-]*/g) ?? [])
        expect(line, `meshchat help, ${command}: ${flag}`).toContain(flag);
    }
  });

  it('an argument where a flag is expected is named without suggesting a flag that does not exist', async () => {
    const run = await cli(['files', '--node', 'http://127.0.0.1:9', 'extra']);
    expect(run.code).toBe(2);
    expectOneLine(run.stderr, 'files');
    expect(run.stderr).toContain("'extra'");
    expect(run.stderr).not.toContain('--name');
  });
});

describe('files commands on a real node, when something is wrong', () => {
  async function publishedFile() {
    const node = await startTestNode('cli-errors');
    nodes.push(node);
    const { token } = await registerAndLogin(node.url, 'alice', PASSWORD);
    const content = randomBytes(4096);
    const answer = await fetch(`${node.url}/files?name=notes.bin`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/octet-stream' },
      body: content,
    });
    expect(answer.status).toBe(201);
    return { node, content, id: sha(content) };
  }

  it('get into a directory that does not exist: one line naming the path, exit 1, nothing written', async () => {
    const { node, id } = await publishedFile();
    const dir = workDir();
    const target = join(dir, 'missing', 'copy.bin');
    const run = await cli(['get', id, '--node', node.url, '-o', target]);
    expect(run.code).toBe(1);
    expectOneLine(run.stderr, 'get');
    expect(run.stderr).toContain(join(dir, 'missing'));
  });

  it('publish of a file that does not exist says so, exit 2', async () => {
    const { node } = await publishedFile();
    const missing = join(workDir(), 'nothing-here.txt');
    const run = await cli(['publish', missing, '--node', node.url, '--login', 'alice'], {
      MESHCHAT_PASSWORD: PASSWORD,
    });
    expect(run.code).toBe(2);
    expectOneLine(run.stderr, 'publish');
    expect(run.stderr).toContain(`${missing}: no such file`);
  });

  it("publish --name with an empty name is a flag error, not the node's sentence about a query parameter", async () => {
    const { node } = await publishedFile();
    const file = join(workDir(), 'x.txt');
    writeFileSync(file, 'x');
    const run = await cli(['publish', file, '--name', '', '--node', node.url, '--login', 'alice'], {
      MESHCHAT_PASSWORD: PASSWORD,
    });
    expect(run.code).toBe(2);
    expectOneLine(run.stderr, 'publish');
    expect(run.stderr).toContain('--name');
    expect(run.stderr).not.toContain('query parameter');
  });

  it('publish with any --name the node would refuse: a flag error naming --name and the rules, nothing sent', async () => {
    // `--name a/b` used to reach the node, be refused there, and exit 1.
    const asked: string[] = [];
    const server = createServer((request, response) => {
      asked.push(`${request.method} ${request.url}`);
      response.writeHead(500).end();
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const file = join(workDir(), 'x.txt');
    writeFileSync(file, 'x');
    const names = ['a/b', 'a\\b', '..', '.', 'a\nb', 'tab\there', 'e'.repeat(200) + 'é'.repeat(28)];
    const runs = await Promise.all(
      names.map((name) =>
        cli(['publish', file, '--name', name, '--node', url, '--login', 'alice'], {
          MESHCHAT_PASSWORD: PASSWORD,
        }),
      ),
    );
    runs.forEach((run, i) => {
      const what = JSON.stringify(names[i]);
      expect(run.code, what).toBe(2);
      expectOneLine(run.stderr, 'publish');
      expect(run.stderr, what).toMatch(
        /^meshchat publish: --name must be 1 to 255 bytes of UTF-8, no control characters, no "\/" or "\\", not "\." or "\.\." \(a file name .+\)\n$/,
      );
    });
    // A file whose own name the node would refuse: the same, before anything is sent.
    const oddFile = join(workDir(), 'bell\u0007.txt');
    writeFileSync(oddFile, 'x');
    const odd = await cli(['publish', oddFile, '--node', url, '--login', 'alice'], {
      MESHCHAT_PASSWORD: PASSWORD,
    });
    expect(odd.code, odd.stderr).toBe(2);
    expectOneLine(odd.stderr, 'publish');
    expect(odd.stderr).toMatch(
      /^meshchat publish: the file's own name cannot be published .*: give one with --name, 1 to 255 bytes/,
    );
    expect(asked).toEqual([]);
    // 255 bytes exactly is a name: it gets as far as the node.
    const longest = await cli(
      ['publish', file, '--name', 'e'.repeat(199) + 'é'.repeat(28), '--node', url, '--login', 'alice'],
      {
        MESHCHAT_PASSWORD: PASSWORD,
      },
    );
    expect(longest.code, longest.stderr).toBe(1);
    expect(asked.length).toBeGreaterThan(0);
  });

  it('get from a node that drops the connection before answering the download: one line, exit 1', async () => {
    const content = randomBytes(3000);
    const id = sha(content);
    const record = { id, name: 'x.bin', owner: 'a@b', type: 'application/octet-stream', size: 3000 };
    const server = createServer((request, response) => {
      if (request.url === `/files/${id}/record`) {
        response.setHeader('Content-Type', 'application/json');
        response.end(JSON.stringify({ file: { ...record, chunkSize: 1048576, chunks: [id] } }));
      } else request.socket.destroy();
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const dir = workDir();
    const run = await cli(['get', id, '--node', url, '-o', join(dir, 'x.bin')]);
    expect(run.code).toBe(1);
    expectOneLine(run.stderr, 'get');
    expect(run.stderr).toMatch(/broke off|cannot reach/);
  });

  it("get OWNER/NAME that is not listed says when the owner's node is not in the listing", async () => {
    const server = createServer((_request, response) => {
      response.setHeader('Content-Type', 'application/json');
      response.end(JSON.stringify({ files: [], answered: ['here'], missing: ['nb'], stale: [] }));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const run = await cli(['get', 'bob@nb/report.pdf', '--node', url]);
    expect(run.code).toBe(1);
    expectOneLine(run.stderr, 'get');
    expect(run.stderr).toContain('bob@nb has no file named "report.pdf"');
    expect(run.stderr).toContain('node nb is not listed there now');
  });

  it('files --user without the node, or not an address, is a flag error before the node is asked: exit 2', async () => {
    // No node at all: the flag is refused before any call, so a closed port is never reached.
    const url = `http://127.0.0.1:${await closedPort()}`;
    const [bare, bad] = await Promise.all([
      cli(['files', '--node', url, '--user', 'Alice']),
      cli(['files', '--node', url, '--user', 'no spaces@x']),
    ]);
    expect(bare.code, bare.stderr).toBe(2);
    expect(bare.stderr).toBe(
      "meshchat files: --user takes a user's address, name@node (alice@node-a), got 'Alice': add the node the " +
        'user lives on, --user alice@<node id>\n',
    );
    expect(bad.code, bad.stderr).toBe(2);
    expectOneLine(bad.stderr, 'files');
    expect(bad.stderr).toContain("--user takes a user's address");
  });

  it('get takes an id in upper-case hex as the same id', async () => {
    const { node, id, content } = await publishedFile();
    const dir = workDir();
    const run = await cli(['get', id.toUpperCase(), '--node', node.url, '-o', join(dir, 'up.bin')]);
    expect(run, run.stderr).toMatchObject({ code: 0 });
    expect(readFileSync(join(dir, 'up.bin')).equals(content)).toBe(true);
  });

  it('get into an existing directory still saves the file under its name there', async () => {
    const { node, id, content } = await publishedFile();
    const dir = workDir();
    const run = await cli(['get', id, '--node', node.url, '-o', dir]);
    expect(run, run.stderr).toMatchObject({ code: 0 });
    expect(readFileSync(join(dir, 'notes.bin')).equals(content)).toBe(true);
  });
});

describe('publish of a file over the limit the node advertises', () => {
  it('says the sizes in bytes when, rounded, they would read the same', async () => {
    // Only /healthz is asked: the CLI refuses the file before it logs in.
    const server = createServer((request, response) => {
      response.setHeader('Content-Type', 'application/json');
      if (request.url === '/healthz')
        response.end(JSON.stringify({ files: { maxFileSize: 8 * 1024 * 1024 } }));
      else {
        response.statusCode = 404;
        response.end('{}');
      }
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const dir = workDir();
    const justOver = join(dir, 'just-over.bin');
    writeFileSync(justOver, Buffer.alloc(8 * 1024 * 1024 + 1));
    const wayOver = join(dir, 'way-over.bin');
    writeFileSync(wayOver, Buffer.alloc(9 * 1024 * 1024));
    const [just, way] = await Promise.all([
      cli(['publish', justOver, '--node', url, '--login', 'alice'], { MESHCHAT_PASSWORD: PASSWORD }),
      cli(['publish', wayOver, '--node', url, '--login', 'alice'], { MESHCHAT_PASSWORD: PASSWORD }),
    ]);
    expect(just.code, just.stderr).toBe(1);
    expect(just.stderr).toBe(
      `meshchat publish: ${justOver} is 8388609 bytes; the node takes files of at most 8388608 bytes\n`,
    );
    expect(way.stderr).toBe(
      `meshchat publish: ${wayOver} is 9.0 MiB; the node takes files of at most 8.0 MiB\n`,
    );
  });
});

describe('chat with a wrong --node, when something answers there', () => {
  it('a path that is not the node says the server answered, not that nothing did', async () => {
    const node = await startTestNode('cli-errors');
    nodes.push(node);
    // A user pasting a page's address (the docs page, say) instead of the node's.
    const run = await cli(['chat', '--node', `${node.url}/docs`], {}, 20_000);
    expect(run.code, run.stderr).toBe(1);
    expectOneLine(run.stderr, 'chat');
    expect(run.stderr).toContain('(HTTP 404 for /docs/socket.io/: no meshchat node answers at this URL)');
    expect(run.stderr).not.toMatch(/no answer|xhr/);
  });
});

describe('files and account commands with a wrong --node, when another server answers there', () => {
  /** A web server that is not a meshchat node: a page for every path, or a plain-text 404 for every path. */
  async function otherServer(kind: 'page' | 'not-found'): Promise<string> {
    const server = createServer((_request, response) => {
      response.statusCode = kind === 'page' ? 200 : 404;
      response.setHeader('Content-Type', kind === 'page' ? 'text/html' : 'text/plain');
      response.end(kind === 'page' ? '<html><body>Welcome</body></html>' : 'Cannot find that');
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('each command says no meshchat node answers there and names the call, one line, exit 1', async () => {
    const env = { MESHCHAT_PASSWORD: PASSWORD };
    const dir = workDir();
    const file = join(dir, 'up.txt');
    writeFileSync(file, 'hello');
    const runs: [string, string, string[], Record<string, string>][] = [];
    for (const kind of ['page', 'not-found'] as const) {
      const url = await otherServer(kind);
      runs.push(
        [url, 'files', ['files', '--node', url], {}],
        [url, 'get', ['get', 'alice@na/notes.txt', '--node', url, '-o', join(dir, `${kind}-a`)], {}],
        [url, 'get', ['get', 'ab'.repeat(32), '--node', url, '-o', join(dir, `${kind}-b`)], {}],
        [url, 'publish', ['publish', file, '--node', url, '--login', 'alice'], env],
        [url, 'register', ['register', '--node', url, '--name', 'alice'], env],
      );
    }
    const done = await Promise.all(runs.map(([, , args, e]) => cli(args, e, 40_000)));
    for (const [i, [url, command]] of runs.entries()) {
      const run = done[i] as Awaited<ReturnType<typeof cli>>;
      expect(run.code, `${url} ${command}: ${run.stderr}`).toBe(1);
      expectOneLine(run.stderr, command);
      expect(run.stderr, `${url} ${command}`).toContain(`no meshchat node answers at ${url}: `);
      expect(run.stderr).toContain('check --node');
      expect(run.stderr).not.toMatch(/Unexpected token|not valid JSON|answered 404$/);
    }
  }, 60_000);
});

describe('a node that cannot be reached, in words', () => {
  it('https:// to a node that speaks http is one line that says so, not OpenSSL over two lines', async () => {
    const node = await startTestNode('cli-errors');
    nodes.push(node);
    const https = node.url.replace(/^http:/, 'https:');
    const env = { MESHCHAT_PASSWORD: PASSWORD };
    const runs = await Promise.all([
      cli(['register', '--node', https, '--name', 'zed'], env),
      cli(['files', '--node', https]),
    ]);
    for (const [i, command] of ['register', 'files'].entries()) {
      const run = runs[i] as Awaited<ReturnType<typeof cli>>;
      expect(run.code, run.stderr).toBe(1);
      expectOneLine(run.stderr, command);
      expect(run.stderr).toContain('(it does not speak https there: try http://)');
      expect(run.stderr).not.toMatch(/SSL|ERR_/);
    }
  });

  it('a port nothing listens on: connection refused, is the node running', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const runs = await Promise.all([
      cli(['files', '--node', url]),
      cli(['register', '--node', url, '--name', 'zed'], { MESHCHAT_PASSWORD: PASSWORD }),
    ]);
    for (const [i, command] of ['files', 'register'].entries()) {
      const run = runs[i] as Awaited<ReturnType<typeof cli>>;
      expect(run.code, run.stderr).toBe(1);
      expectOneLine(run.stderr, command);
      expect(run.stderr).toContain('(connection refused: is the node running, on that port?)');
    }
  });
});
