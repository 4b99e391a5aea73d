import { createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MeshNode } from '../../src/mesh-node.js';
import { startTestNode, stopAll } from '../support/nodes.js';
import { type CliProcess, runCli } from '../support/processes.js';
import { connectSocketIoUser, type TestUser } from '../support/users.js';

const WAIT = { timeout: 10_000, interval: 25 };

describe('the meshchat command', () => {
  const nodes: MeshNode[] = [];
  const processes: CliProcess[] = [];
  const users: TestUser[] = [];

  afterEach(async () => {
    for (const user of users.splice(0)) user.close();
    for (const p of processes.splice(0)) p.child.kill('SIGKILL');
    await stopAll(nodes);
  });

  it('runs a node that joins, and on SIGTERM leaves every list and exits 0', async () => {
    nodes.push(await startTestNode('a'));
    nodes.push(await startTestNode('b', { join: [nodes[0]?.url ?? ''] }));
    const child = runCli(['node', '--id', 'proc', '--port', '0', '--join', nodes[0]?.url ?? '']);
    processes.push(child);
    const [, url] =
      (await child.waitForOutput(/meshchat node proc listening at (http:\/\/127\.0\.0\.1:\d+)/)) ?? [];
    for (const node of nodes) {
      await vi.waitFor(() => expect(node.registry.get('proc')?.url).toBe(url), WAIT);
    }
    child.child.kill('SIGTERM');
    expect(await child.exited).toBe(0);
    for (const node of nodes) expect(node.registry.get('proc')).toBeUndefined();
  });

  it.each([
    [
      ['node', '--port', 'abc'],
      /^meshchat node: --port must be a whole number from 0 to 65535 \(got "abc"\)$/,
    ],
    [
      ['node', '--port', '70000'],
      /^meshchat node: --port must be a whole number from 0 to 65535 \(got "70000"\)/,
    ],
    [['node', '--id', 'bad id'], /^meshchat node: --id must be 1 to 64 characters/],
    [['node', '--join', 'ftp://x'], /^meshchat node: --join must use http or https \(got "ftp:\/\/x"\)$/],
    [['node', '--tunnel', 'carrier-pigeon'], /^meshchat node: --tunnel must be "none" or "ngrok"/],
    [['node', '--frobnicate'], /^meshchat node: unknown flag '--frobnicate'$/],
    [['chat'], /^meshchat chat: .*--node/],
    [['teleport'], /^meshchat: unknown command 'teleport'/],
    [['demo', '--now'], /^meshchat demo: takes no arguments \(got '--now'\)$/],
    [['node', '--tunnel', 'ngrok'], /^meshchat node: --tunnel ngrok needs NGROK_AUTHTOKEN/],
  ])('refuses %j with one line and exit code 2', async (args, message) => {
    const child = runCli(args);
    processes.push(child);
    expect(await child.exited).toBe(2);
    expect(child.stderr().trim().split('\n')).toHaveLength(1);
    expect(child.stderr().trim()).toMatch(message);
  });

  it('a signal during the join waits for it, then leaves and exits 0', async () => {
    const seed = await startTestNode('seed');
    nodes.push(seed);
    // A peer the seed lists that accepts connections and never answers: the join waits on it.
    const held: Socket[] = [];
    const silent = createServer((socket) => void held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    seed.registry.announce({ id: 'silent', url: silentUrl });
    try {
      const child = runCli(['node', '--id', 'early', '--port', '0', '--join', seed.url]);
      processes.push(child);
      await vi.waitFor(() => expect(seed.registry.get('early')).toBeDefined(), WAIT);
      child.child.kill('SIGTERM');
      expect(await child.exited).toBe(0);
      expect(seed.registry.get('early')).toBeUndefined();
    } finally {
      for (const socket of held) socket.destroy();
      silent.close();
    }
  });

  it('takes its settings from the environment', async () => {
    const child = runCli(['node'], {
      MESHCHAT_ID: 'from-env',
      PORT: '0',
      MESHCHAT_PUBLIC_URL: 'http://127.0.0.1:1/',
    });
    processes.push(child);
    await child.waitForOutput(/meshchat node from-env listening at http:\/\/127\.0\.0\.1:1\n/);
    child.child.kill('SIGINT');
    expect(await child.exited).toBe(0);
  });

  it('exits 1 with one line when no seed answers', async () => {
    const child = runCli(['node', '--port', '0', '--join', 'http://127.0.0.1:9']);
    processes.push(child);
    expect(await child.exited).toBe(1);
    expect(child.stderr().trim()).toMatch(/^meshchat node: No seed node answered/);
  });

  it('chat --json sends JSON lines from stdin and prints every received message as one JSON line', async () => {
    nodes.push(await startTestNode('a'));
    nodes.push(await startTestNode('b', { join: [nodes[0]?.url ?? ''] }));
    const onB = await connectSocketIoUser(nodes[1]?.url ?? '');
    users.push(onB);
    const chat = runCli(['chat', '--node', nodes[0]?.url ?? '', '--json', '--user', 'script']);
    processes.push(chat);
    chat.child.stdin.write(`${JSON.stringify({ to: 'b', msg: 'from the script' })}\n`);
    await vi.waitFor(() => expect(onB.messages.map((m) => m.msg)).toEqual(['from the script']), WAIT);
    expect(onB.messages[0]).toMatchObject({ from: 'a', to: 'b', user: 'script' });

    const onA = await connectSocketIoUser(nodes[1]?.url ?? '');
    users.push(onA);
    expect(await onA.send('a', 'to the script')).toMatchObject({ ok: true });
    const [line] = await chat.waitForOutput(/^.*to the script.*$/m);
    expect(JSON.parse(line)).toMatchObject({ from: 'b', to: 'a', msg: 'to the script' });
    chat.child.stdin.end();
    expect(await chat.exited).toBe(0);
    expect(chat.stdout().trim().split('\n')).toHaveLength(1);
  });

  it('chat on a real node: acks only, and a restart of its node is told at once and adds no node notices', async () => {
    const a = await startTestNode('a');
    nodes.push(a);
    const b = await startTestNode('b', { join: [a.url] });
    nodes.push(b);
    const chat = runCli(['chat', '--node', a.url, '--to', 'b']);
    processes.push(chat);
    await chat.waitForOutput(/you are on node a/);
    for (let i = 1; i <= 9; i++) chat.child.stdin.write(`hello ${i}\n`);
    await vi.waitFor(() => expect(chat.stdout().match(/^✓ delivered \S+$/gm)).toHaveLength(9), WAIT);
    // every copy was taken at once: no status line, and never "was queued"
    expect(chat.stdout()).not.toMatch(/was queued|^✓ delivered \S+ to b/m);

    const port = Number(new URL(a.url).port);
    await a.stop({ leave: false });
    nodes.splice(nodes.indexOf(a), 1);
    await chat.waitForOutput(new RegExp(`^connection to ${a.url}/ lost; reconnecting…$`, 'm'), 3_000);
    const again = await startTestNode('a', { join: [b.url], config: { port } });
    nodes.push(again);
    // the backoff is capped near 2 s: the node that is back is found within a few seconds
    await chat.waitForOutput(/^reconnected to /m, 5_000);
    await vi.waitFor(() => expect(again.registry.get('b')).toBeDefined(), WAIT);
    chat.child.stdin.write('/nodes\n');
    await chat.waitForOutput(/^ > b .*\(up, destination\)$/m);
    expect(chat.stdout()).not.toMatch(/^nodes:/m);
    chat.child.stdin.end();
    expect(await chat.exited).toBe(0);
  });

  it('demo starts three joined nodes and says how to chat between them', async () => {
    const demo = runCli(['demo']);
    processes.push(demo);
    await demo.waitForOutput(/Press Ctrl-C to stop/);
    const urls = [...demo.stdout().matchAll(/^ {2}(alpha|bravo|charlie)\s+(http:\S+)$/gm)].map(
      (m) => m[2] ?? '',
    );
    expect(urls).toHaveLength(3);
    expect(demo.stdout()).toContain(`  in a terminal: npx meshchat chat --node ${urls[0]} --to bravo`);
    expect(demo.stdout()).toContain(`                 npx meshchat chat --node ${urls[1]} --to alpha`);
    const list = (await (await fetch(`${urls[2]}/nodes`)).json()) as { id: string }[];
    expect(list.map((n) => n.id).sort()).toEqual(['alpha', 'bravo', 'charlie']);
    demo.child.kill('SIGINT');
    expect(await demo.exited).toBe(0);
  });
});
