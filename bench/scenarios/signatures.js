// Scenario: what signed messages cost on the receiving node's hot path. In the bench process, one node's
// messaging use cases (the real `wireMessaging`, an in-memory store, users that count pushes) receive `messages`
// messages addressed to it from node `b` in batches of 100, as `POST /msgs` hands them over, twice:
//   unsigned   the node has no signatures (as before signed messages): nothing is checked;
//   signed     the node has b's key bound and every message carries b's Ed25519 signature: each is checked;
//   proven     the same, and each batch carries b's batch proof (as b's outbox sends it): one check a batch.
// The signatures are made before the clock starts (the origin's cost is measured on its own, as `sign`). Rounds
// alternate the order; each variant's figure is the median over its rounds, and the report gives the signed
// receive path as a ratio of the unsigned one in the same run.
import { performance } from 'node:perf_hooks';
import { ran } from '../lib/ran.js';
import { median } from '../lib/stats.js';
import { fixed, table } from '../lib/table.js';

export const name = 'signatures';
export const group = 'delivery';
export const title =
  'signed messages: receive path with a signature check per message or per batch vs none (in process)';

/** @import { BenchOptions } from '../run.js' */

const BATCH = 100;
const dist = (/** @type {string} */ path) => new URL(`../../dist/${path}`, import.meta.url).href;

/** @param {BenchOptions} options */
export function budgetMs(options) {
  return 20_000 + options.rounds * options.messages * 2;
}

async function load() {
  const [{ wireMessaging }, { MemoryMessageStore }, { PeerRegistry }, { nodeRecord }, crypto, sigs, enc] =
    await Promise.all([
      import(dist('wiring/wire-messaging.js')),
      import(dist('adapters/storage/memory-message-store.js')),
      import(dist('domain/peer-registry.js')),
      import(dist('domain/node-record.js')),
      import(dist('adapters/crypto/ed25519-node-signer.js')),
      import(dist('application/messaging/message-signatures.js')),
      import(dist('domain/message-signature.js')),
    ]);
  return { wireMessaging, MemoryMessageStore, PeerRegistry, nodeRecord, crypto, sigs, enc };
}

/** @typedef {Awaited<ReturnType<typeof load>>} Dist */

/**
 * One receiving node; `keyOfB` set: it checks signatures with b bound to that key.
 * @param {Dist} d
 * @param {string | undefined} keyOfB
 */
function receivingNode(d, keyOfB) {
  let pushed = 0;
  let next = 0;
  const clock = {
    now: () => Date.now(),
    sleep: (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms)),
  };
  const push = {
    connectedUsers: 1,
    pushMessage: () => {
      pushed++;
      return 1;
    },
    pushStatus: () => {},
    pushNodes: () => {},
    pushMesh: () => {},
    pushPresence: () => {},
    disconnectUser: () => 0,
  };
  const signatures = keyOfB
    ? new d.sigs.MessageSignatures({
        self: 'a',
        verifier: new d.crypto.Ed25519SignatureVerifier(),
        keyOf: (/** @type {string} */ id) => (id === 'b' ? keyOfB : undefined),
        clock,
      })
    : undefined;
  const wiring = d.wireMessaging(
    {
      registry: new d.PeerRegistry(d.nodeRecord('a', 'http://127.0.0.1:1')),
      peers: {},
      clock,
      ids: { next: () => `local-${++next}` },
      store: new d.MemoryMessageStore(),
      push,
      signatures,
    },
    {},
  );
  return { wiring, pushed: () => pushed };
}

/**
 * @param {ReturnType<typeof receivingNode>} node
 * @param {readonly object[]} messages
 * @param {readonly (object | undefined)[]} proofs one per batch, or none
 */
async function receiveAll(node, messages, proofs = []) {
  const start = performance.now();
  for (let i = 0; i < messages.length; i += BATCH) {
    const outcomes = await node.wiring.receiveMany.execute(messages.slice(i, i + BATCH), proofs[i / BATCH]);
    if (outcomes.some((/** @type {{ ok: boolean }} */ o) => !o.ok)) throw new Error('a message was refused');
  }
  const ms = performance.now() - start;
  if (node.pushed() !== messages.length) throw new Error(`pushed ${node.pushed()} of ${messages.length}`);
  return (ms * 1000) / messages.length;
}

/** @param {{ options: BenchOptions, log: (line: string) => void }} context */
export async function run({ options, log }) {
  try {
    const d = await load();
    const b = d.crypto.Ed25519NodeSigner.generate();
    const count = options.messages;
    const bSide = new d.sigs.MessageSignatures({
      self: 'b',
      signer: b,
      verifier: new d.crypto.Ed25519SignatureVerifier(),
      keyOf: () => undefined,
      clock: { now: () => Date.now() },
    });
    /** @type {{ unsigned: number[], signed: number[], proven: number[], sign: number[], prove: number[] }} */
    const us = { unsigned: [], signed: [], proven: [], sign: [], prove: [] };
    for (let round = 0; round < options.rounds; round++) {
      const ts = new Date().toISOString();
      const plain = Array.from({ length: count }, (_, i) => ({
        id: `r${round}-${i}`,
        from: 'b',
        to: 'a',
        msg: `message ${i} of round ${round}, about as long as a chat line`,
        ts,
      }));
      const signStart = performance.now();
      const signed = plain.map((m) => ({ ...m, sig: b.sign(d.enc.canonicalMessage(m)) }));
      us.sign.push(((performance.now() - signStart) * 1000) / count);
      const proveStart = performance.now();
      const proofs = [];
      for (let i = 0; i < count; i += BATCH) proofs.push(bSide.sealBatch(signed.slice(i, i + BATCH)));
      us.prove.push(((performance.now() - proveStart) * 1000) / count);
      /** @type {('unsigned' | 'signed' | 'proven')[]} */
      const variants = ['unsigned', 'signed', 'proven'];
      const order = round % 2 === 0 ? variants : [...variants].reverse();
      for (const variant of order) {
        const node = receivingNode(d, variant === 'unsigned' ? undefined : b.publicKey);
        const perMessage = await receiveAll(
          node,
          variant === 'unsigned' ? plain : signed,
          variant === 'proven' ? proofs : [],
        );
        us[variant].push(perMessage);
        log(`round ${round + 1}: ${variant} ${fixed(perMessage, 1)} µs a message`);
      }
    }
    const unsigned = median(us.unsigned) ?? Number.NaN;
    const signed = median(us.signed) ?? Number.NaN;
    const proven = median(us.proven) ?? Number.NaN;
    return {
      ok: true,
      messages: count,
      rounds: options.rounds,
      usPerMessage: {
        unsigned,
        signed,
        proven,
        sign: median(us.sign) ?? Number.NaN,
        prove: median(us.prove) ?? Number.NaN,
      },
      signedOverUnsigned: signed / unsigned,
      provenOverUnsigned: proven / unsigned,
    };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/** @param {Awaited<ReturnType<typeof run>>} result */
export function report(result) {
  if (!ran(result) || !result.ok) return `  FAILED: ${'error' in result ? result.error : 'unknown'}`;
  const { usPerMessage: u } = result;
  return [
    table([
      ['receive path', 'µs / message', 'vs unsigned'],
      ['unsigned (no check)', fixed(u.unsigned, 1), '1.00'],
      ['signed (one check each)', fixed(u.signed, 1), fixed(result.signedOverUnsigned, 2)],
      ['signed, batch proof (one check a batch)', fixed(u.proven, 1), fixed(result.provenOverUnsigned, 2)],
      ['signing at the origin', fixed(u.sign, 1), fixed(u.sign / u.unsigned, 2)],
      ['batch proof at the origin', fixed(u.prove, 1), fixed(u.prove / u.unsigned, 2)],
    ]),
    `  ${result.messages} messages from one node in batches of ${BATCH}, median of ${result.rounds} rounds`,
  ].join('\n');
}
