// Two meshchat nodes, B joined to A, built from ../../dist (run `npm run build` first).
// mode 'process' (default): each node is its own `meshchat node` child process, like a real deployment, so
//   neither node shares an event loop with the other or with the bench's socket.io clients.
// mode 'inprocess': both nodes are created with createNode() inside the bench process (handy for profiling;
//   the bench's own clients then compete with the nodes for the same event loop).
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChild } from '../lib/children.js';

const GUARDED_CLI = fileURLToPath(new URL('../lib/guarded-cli.js', import.meta.url));

// Data directories still to remove if the bench exits early (Ctrl-C, time limit).
const dataDirs = new Set();
process.on('exit', () => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

export async function startMeshchatPair({ mode = 'process', ids = ['mesh-a', 'mesh-b'] } = {}) {
  return mode === 'inprocess' ? startInProcess(ids) : startProcesses(ids);
}

async function startProcesses([idA, idB]) {
  const dataDir = await mkdtemp(join(tmpdir(), 'meshchat-bench-'));
  dataDirs.add(dataDir);
  const started = [];
  const stop = async () => {
    await Promise.all(started.reverse().map((p) => p.stop()));
    await rm(dataDir, { recursive: true, force: true });
    dataDirs.delete(dataDir);
  };
  const startNode = async (id, joinUrl) => {
    const args = [
      GUARDED_CLI,
      'node',
      '--id',
      id,
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--log-level',
      'silent',
    ];
    args.push('--data-dir', join(dataDir, id));
    if (joinUrl) args.push('--join', joinUrl);
    const node = await startChild({
      name: `meshchat node ${id}`,
      args,
      // Not inherited from the bench's environment: they would override nothing given as a flag, but be safe.
      env: { MESHCHAT_JOIN: '', MESHCHAT_PUBLIC_URL: '', MESHCHAT_TUNNEL: 'none' },
      ready: /^meshchat node \S+ listening at (\S+)$/,
    });
    started.push(node);
    return node;
  };
  try {
    const a = await startNode(idA);
    const b = await startNode(idB, a.url);
    return {
      system: 'meshchat',
      mode: 'process',
      a: { id: idA, url: a.url, pid: a.pid },
      b: { id: idB, url: b.url, pid: b.pid },
      cpuSeconds: () => ({ a: a.cpuSeconds(), b: b.cpuSeconds() }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function startInProcess([idA, idB]) {
  await import('reflect-metadata');
  const { createNode } = await import('../../dist/container.js');
  const config = (id, join) => ({ id, port: 0, host: '127.0.0.1', join, tunnel: 'none' });
  const nodes = [];
  const stop = async () => {
    for (const node of nodes.reverse()) await node.stop();
  };
  try {
    const a = createNode(config(idA, []));
    nodes.push(a);
    await a.start();
    const b = createNode(config(idB, [a.url]));
    nodes.push(b);
    await b.start();
    return {
      system: 'meshchat',
      mode: 'inprocess',
      a: { id: idA, url: a.url },
      b: { id: idB, url: b.url },
      cpuSeconds: () => ({ a: undefined, b: undefined }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
