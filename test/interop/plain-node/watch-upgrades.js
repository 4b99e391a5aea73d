// Preloaded into a plain node by tests (`node --import`): reports every WebSocket upgrade its server receives as
// a `PLAIN_NODE_UPGRADE=<path>` line on stdout, so a test can check no meshchat node ever tried a peer link.
import http from 'node:http';

const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (event, request, ...rest) {
  if (event === 'upgrade') process.stdout.write(`PLAIN_NODE_UPGRADE=${request.url}\n`);
  return emit.call(this, event, request, ...rest);
};
