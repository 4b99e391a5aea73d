// The floor node: the plain node's user protocol (socket.io `msg` with `{to, msg}`, every user of the
// destination node gets `msg`) with nothing else on the path: no storage, no checks, no acknowledgements, and
// one WebSocket between the two nodes instead of an HTTP request per message. What the open-loop scenario
// measures on it is what this machine and the bench's own clients allow any node of this shape: the floor
// under the other systems' latency and CPU. Bench-only; never a node anyone runs.
// Usage: node floor-node.js --id ID [--join URL]   (prints PLAIN_NODE_URL=<url> once it listens and has joined)
import http from 'node:http';
import { parseArgs } from 'node:util';
import { Server } from 'socket.io';
import WebSocket, { WebSocketServer } from 'ws';

const LINK_PATH = '/floor-link';

const { values: args } = parseArgs({
  options: { id: { type: 'string' }, port: { type: 'string', default: '0' }, join: { type: 'string' } },
});
const self = args.id ?? '';
if (!self) {
  console.error('usage: node floor-node.js --id ID [--port N] [--join URL]');
  process.exit(2);
}

/** The link to each other node, by its id (one WebSocket, used both ways). */
const links = new Map();
const server = http.createServer((_req, res) => {
  res.writeHead(404);
  res.end();
});
// socket.io must leave the link's upgrades alone (by default engine.io closes upgrades on other paths).
const io = new Server(server, { destroyUpgrade: false });
const wss = new WebSocketServer({ noServer: true });

/** @param {string} peer @param {WebSocket} ws */
function adopt(peer, ws) {
  links.set(peer, ws);
  ws.on('message', (data) => io.emit('msg', JSON.parse(String(data))));
  ws.on('close', () => links.delete(peer));
}

server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url ?? '/', 'http://floor');
  if (url.pathname !== LINK_PATH) return;
  const peer = url.searchParams.get('id');
  if (!peer) {
    socket.destroy();
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    // The first frame names this node to the joiner; every later frame, either way, is a message.
    ws.send(JSON.stringify({ hello: self }));
    adopt(peer, ws);
  });
});

/** Opens the link to the node at `joinUrl` and resolves once it has named itself. @param {string} joinUrl */
function openLink(joinUrl) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${joinUrl.replace(/^http/, 'ws')}${LINK_PATH}?id=${encodeURIComponent(self)}`);
    ws.once('error', reject);
    ws.once('message', (data) => {
      const { hello } = JSON.parse(String(data));
      if (typeof hello !== 'string') return reject(new Error('the node joined did not name itself'));
      adopt(hello, ws);
      resolve(undefined);
    });
  });
}

io.on('connection', (socket) => {
  socket.on('msg', (data) => {
    const msg = { ...data, from: self };
    if (msg.to === self) io.emit('msg', msg);
    else links.get(msg.to)?.send(JSON.stringify(msg));
  });
});

// Test harness only: die with the parent when it closes our stdin.
if (process.env.PLAIN_NODE_EXIT_ON_STDIN_END) {
  process.stdin.on('end', () => process.exit(1));
  process.stdin.resume();
}

server.listen(Number(args.port), '127.0.0.1', async () => {
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  if (args.join) {
    // The joining node opens the one link; each side learns the other's id as it opens.
    try {
      await openLink(args.join);
    } catch (error) {
      console.error(`could not join ${args.join}: ${error instanceof Error ? error.message : error}`);
      process.exit(1);
    }
  }
  console.log(`PLAIN_NODE_URL=${url}`);
});
