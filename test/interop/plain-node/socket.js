import axios from 'axios';
// The guide's `import socketIO from 'socket.io'` fails with socket.io 4 ES modules: use the named export.
import { Server } from 'socket.io';
import { findNode, me } from './nodes.js';

let io = null;

export function startSocket(server) {
  io = new Server(server);
  io.on('connection', (socket) => {
    console.error('a user connected');
    socket.on('msg', async (data) => {
      const msg = { ...data, from: me.id };
      if (msg.to === me.id) return broadcastMsg(msg);
      const node = findNode(msg.to);
      if (!node) return console.error(`unknown node ${msg.to}`);
      try {
        await axios.put(`${node.url}/msg`, msg);
      } catch (error) {
        console.error(`could not send to ${msg.to}: ${error.message}`);
      }
    });
    socket.on('disconnect', () => {
      console.error('user disconnected');
    });
  });
}

export function broadcastMsg(msg) {
  // enviamos msg a todos, con el tipo de evento 'msg'
  if (io) io.emit('msg', msg);
  else console.error('Call startSocket(server) before sending messages');
}
