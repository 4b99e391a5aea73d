// A "plain node": built the way the assignment's guide builds it, base protocol only.
// Usage: node server.js --id ID --port N [--join URL]
import { parseArgs } from 'node:util';
import axios from 'axios';
import bodyParser from 'body-parser';
import express from 'express';
import { addNode, findNode, me, nodes, removeNode } from './nodes.js';
import { broadcastMsg, startSocket } from './socket.js';

const { values: args } = parseArgs({
  options: { id: { type: 'string' }, port: { type: 'string', default: '0' }, join: { type: 'string' } },
});
if (!args.id) {
  console.error('usage: node server.js --id ID --port N [--join URL]');
  process.exit(2);
}
axios.defaults.timeout = 5000;

const app = express();
app.use(bodyParser.json());
app.use(bodyParser.urlencoded({ extended: false }));

app.get('/', (_req, res) => {
  res.send('Hello World I am running locally');
});

app.get('/nodes', (_req, res) => {
  res.json(nodes);
});

app.get('/nodes/:id', (req, res) => {
  const node = findNode(req.params.id);
  if (!node) return res.status(404).send('Not found');
  res.json({ url: node.url });
});

app.put('/nodes/:id', (req, res) => {
  if (!req.body?.url) return res.status(400).send('url required');
  addNode(req.params.id, req.body.url);
  res.send('OK');
});

app.delete('/nodes/:id', (req, res) => {
  removeNode(req.params.id, req.body?.url);
  res.send('OK');
});

app.put('/msg', async (req, res) => {
  const msg = req.body ?? {};
  if (!msg.to || msg.to === me.id) {
    res.send('OK');
    return broadcastMsg(msg);
  }
  const node = findNode(msg.to);
  if (!node) return res.status(404).send('Unknown node');
  try {
    await axios.put(`${node.url}/msg`, msg);
    res.send('OK');
  } catch {
    res.status(502).send('Could not reach node');
  }
});

async function join(joinUrl) {
  const { data } = await axios.get(`${joinUrl}/nodes`);
  for (const node of data) addNode(node.id, node.url);
  const others = nodes.filter((n) => n.id !== me.id);
  await Promise.all(others.map((n) => axios.put(`${n.url}/nodes/${me.id}`, { url: me.url })));
}

let leaving = false;
async function leave() {
  if (leaving) return;
  leaving = true;
  const others = nodes.filter((n) => n.id !== me.id);
  await Promise.allSettled(
    others.map((n) => axios.delete(`${n.url}/nodes/${me.id}`, { data: { url: me.url } })),
  );
  process.exit(0);
}
process.on('SIGTERM', leave);
process.on('SIGINT', leave);

// Test harness only: die with the parent when it closes our stdin.
if (process.env.PLAIN_NODE_EXIT_ON_STDIN_END) {
  process.stdin.on('end', () => process.exit(1));
  process.stdin.resume();
}

const server = app.listen(Number(args.port), '127.0.0.1', async (error) => {
  if (error) {
    console.error(error.message);
    process.exit(1);
  }
  me.id = args.id;
  me.url = `http://127.0.0.1:${server.address().port}`;
  addNode(me.id, me.url);
  if (args.join) {
    try {
      await join(args.join);
    } catch (error) {
      console.error(`could not join ${args.join}: ${error.message}`);
      process.exit(1);
    }
  }
  console.log(`PLAIN_NODE_URL=${me.url}`);
});
startSocket(server);
