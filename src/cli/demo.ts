import type { MeshNode } from '../mesh-node.js';
import type { NodeConfig } from '../node-config.js';

export const DEMO_IDS = ['alpha', 'bravo', 'charlie'] as const;

/**
 * `meshchat demo`: three nodes on free local ports in one network, and how to chat between them. Runs until
 * SIGINT/SIGTERM, then the nodes leave and it exits 0.
 */
export async function runDemo(
  createNode: (config: NodeConfig) => MeshNode,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const nodes: MeshNode[] = [];
  try {
    for (const id of DEMO_IDS) {
      const node = createNode({
        id,
        port: 0,
        host: '127.0.0.1',
        tunnel: 'none',
        join: nodes.map((n) => n.url).slice(-1),
      });
      nodes.push(node);
      await node.start();
    }
  } catch (error) {
    err.write(`meshchat demo: ${error instanceof Error ? error.message : String(error)}\n`);
    await Promise.all(nodes.map((n) => n.stop({ leave: false })));
    return 1;
  }
  const lines = [
    'meshchat demo: three nodes on this machine, joined in one network.',
    '',
    ...nodes.map((n) => `  ${n.id.padEnd(8)} ${n.url}`),
    '',
    // `meshchat` is not on a new user's PATH; `npx` finds the package's own bin.
    'Chat between them:',
    `  in a browser:  open ${nodes[0]?.url}/ and ${nodes[1]?.url}/`,
    `  in a terminal: npx meshchat chat --node ${nodes[0]?.url} --to ${nodes[1]?.id}`,
    `                 npx meshchat chat --node ${nodes[1]?.url} --to ${nodes[0]?.id}`,
    `  with curl:     curl -X PUT ${nodes[0]?.url}/msg -H 'Content-Type: application/json' -d '{"to":"${nodes[2]?.id}","msg":"hello"}'`,
    '',
    'Press Ctrl-C to stop.',
  ];
  out.write(`${lines.join('\n')}\n`);
  await new Promise((resolve) => {
    process.on('SIGINT', resolve);
    process.on('SIGTERM', resolve);
  });
  await Promise.all(nodes.map((n) => n.stop()));
  return 0;
}
