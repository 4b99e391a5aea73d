// The floor of a fetching node: a process that answers `GET /files/:id` by fetching the file from `--upstream`
// and doing only the work SPEC 6 asks of a node passing on a file it does not hold: every chunk checked against
// the record's SHA-256 before a byte of it leaves, the whole content checked against the id before the last
// chunk leaves. Nothing else: no disk, no journal, no catalog, no retries, node's own `http` client and server.
// What the files scenario measures through it is what this machine allows a verifying node, beside what a
// meshchat node (which also writes, journals and keeps a copy) reaches. Bench-only; never a node anyone runs.
// Usage: node floor-file-proxy.js --upstream URL [--records URL]   (records: the node whose `GET
// /files/:id/record` to trust, the upstream by default; prints FLOOR_PROXY_URL=<url> once it listens)
import { createHash } from 'node:crypto';
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: { upstream: { type: 'string' }, records: { type: 'string' } },
});
const upstream = args.upstream ?? '';
const records = args.records ?? upstream;
if (!upstream) {
  console.error('usage: node floor-file-proxy.js --upstream URL [--records URL]');
  process.exit(2);
}

/**
 * The record of file `id` (its chunk size and chunk hashes), from the upstream node.
 * @param {string} id
 * @returns {Promise<{ size: number, chunkSize: number, chunks: string[] }>}
 */
async function recordOf(id) {
  const answer = await fetch(`${records}/files/${id}/record`);
  if (answer.status !== 200) throw new Error(`record of ${id}: ${answer.status}`);
  return /** @type {{ file: { size: number, chunkSize: number, chunks: string[] } }} */ (await answer.json())
    .file;
}

const server = http.createServer(async (req, res) => {
  const id = /^\/files\/([0-9a-f]{64})$/.exec(req.url ?? '')?.[1];
  if (req.method !== 'GET' || !id) {
    res.writeHead(404).end();
    return;
  }
  let record;
  try {
    record = await recordOf(id);
  } catch (error) {
    res.writeHead(502).end(String(error));
    return;
  }
  http
    .get(`${upstream}/files/${id}`, (source) => {
      if (source.statusCode !== 200) {
        res.writeHead(502).end(`upstream answered ${source.statusCode}`);
        source.resume();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': record.size });
      const whole = createHash('sha256');
      let index = 0;
      let chunk = Buffer.allocUnsafe(Math.min(record.chunkSize, record.size));
      let filled = 0;
      /** @param {string} why */
      const fail = (why) => {
        source.destroy();
        res.destroy(new Error(why));
      };
      const complete = () => {
        if (createHash('sha256').update(chunk).digest('hex') !== record.chunks[index])
          return fail(`chunk ${index} failed its check`);
        whole.update(chunk);
        const done = (index + 1) * record.chunkSize >= record.size;
        if (done && whole.digest('hex') !== id) return fail('the content does not match its id');
        if (!res.write(chunk)) {
          source.pause();
          res.once('drain', () => source.resume());
        }
        index++;
        filled = 0;
        chunk = Buffer.allocUnsafe(Math.min(record.chunkSize, record.size - index * record.chunkSize));
        if (done) res.end();
      };
      source.on('data', (/** @type {Buffer} */ piece) => {
        for (let offset = 0; offset < piece.length; ) {
          const take = Math.min(chunk.length - filled, piece.length - offset);
          piece.copy(chunk, filled, offset, offset + take);
          filled += take;
          offset += take;
          if (filled === chunk.length && chunk.length > 0) complete();
        }
      });
      source.on('error', (error) => fail(error.message));
    })
    .on('error', (error) => res.destroy(error));
});

// Test harness only: die with the parent when it closes our stdin.
process.stdin.on('end', () => process.exit(1));
process.stdin.resume();

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(
    `FLOOR_PROXY_URL=http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
  );
});
