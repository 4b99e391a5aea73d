import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Ed25519SignatureVerifier } from '../../src/adapters/crypto/ed25519-node-signer.js';
import { PeerCallFailed } from '../../src/application/errors.js';
import type { PeerClient } from '../../src/application/ports/peer-client.js';
import type { FileRecord } from '../../src/domain/file-record.js';
import type { ChatMessage } from '../../src/domain/message.js';
import type { NodeRecord } from '../../src/domain/node-record.js';
import { canonicalNodeRecord } from '../../src/domain/node-signature.js';

/** A node the client under test talks to, and a way to look inside it. */
export interface ContractTarget {
  readonly client: PeerClient;
  readonly target: {
    readonly id: string;
    readonly url: string;
    readonly registry: { readonly self: { readonly incarnation: number } };
  };
  /** What the target node knows now. */
  nodes(): NodeRecord[];
  /** What the target pushed to its users. */
  delivered(): ChatMessage[];
  /** The target's own directory version, as its `GET /nodes` entry and `GET /users` header give it. */
  directoryVersion(): number;
  /** The target's own file catalog, when it keeps one (real nodes); `listCatalog` then answers it. */
  readonly catalog?: { readonly version: number; add(record: FileRecord): unknown };
  /** Gives the target a user (in its account store), online or not (its presence). */
  addUser(name: string, online: boolean): void;
  /** The target has a node key (a data dir), so it signs its own record. */
  readonly keyed?: boolean;
  /** A URL where nothing answers. */
  readonly deadUrl: string;
  close(): Promise<void>;
}

const idsAndUrls = (nodes: readonly NodeRecord[]) => nodes.map(({ id, url }) => ({ id, url }));

async function failure(call: Promise<unknown>): Promise<PeerCallFailed> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PeerCallFailed);
  return error as PeerCallFailed;
}

/** What every PeerClient must do, whatever carries the calls. */
export function describePeerClientContract(name: string, setup: () => Promise<ContractTarget>): void {
  describe(`PeerClient contract: ${name}`, () => {
    let t: ContractTarget;
    beforeEach(async () => {
      t = await setup();
    });
    afterEach(async () => {
      await t.close();
    });

    it('lists the nodes the target knows, itself included, with its incarnation and state', async () => {
      const [own, ...others] = await t.client.listNodes(t.target.url);
      // A keyed node signs its own entry (SPEC section 7); the signature, when there is one, must verify.
      const { key, sig, signedAt, ...entry } = own ?? { id: '', url: '' };
      if (key !== undefined || sig !== undefined) {
        const payload = canonicalNodeRecord('announce', entry, signedAt ?? 0);
        expect(new Ed25519SignatureVerifier().verify(key ?? '', payload, sig ?? '')).toBe(true);
      }
      expect([entry, ...others]).toEqual([
        {
          id: t.target.id,
          url: t.target.url,
          incarnation: t.target.registry.self.incarnation,
          state: 'alive',
          directory: t.directoryVersion(),
          ...(t.catalog ? { catalog: t.catalog.version } : {}),
        },
      ]);
    });

    it("listCatalog answers the target's own records and their version; a node without files is a 404", async () => {
      const { catalog } = t;
      if (!catalog) {
        expect(await failure(t.client.listCatalog(t.target.url))).toMatchObject({
          code: 'peer_rejected',
          status: 404,
        });
        return;
      }
      expect(await t.client.listCatalog(t.target.url)).toEqual({
        held: [],
        files: [],
        version: catalog.version,
        full: true,
      });
      const before = catalog.version;
      const record: FileRecord = {
        id: 'a'.repeat(64),
        name: 'notes.txt',
        description: 'minutes',
        size: 0,
        type: 'text/plain',
        owner: `alice@${t.target.id}`,
        publishedAt: '2026-01-01T00:00:00.000Z',
        chunkSize: 1024 * 1024,
        chunks: [],
      };
      catalog.add(record);
      const answer = await t.client.listCatalog(t.target.url);
      expect(answer).toEqual({ files: [record], version: catalog.version, full: true, held: [] });
      expect(answer.version).toBeGreaterThan(before);
      // With since: only what changed after it, since echoed; a since it cannot answer gets the whole catalog.
      expect(await t.client.listCatalog(t.target.url, { since: before })).toEqual({
        files: [record],
        version: catalog.version,
        since: before,
        removed: [],
        held: [],
      });
      expect(await t.client.listCatalog(t.target.url, { since: catalog.version })).toEqual({
        files: [],
        version: catalog.version,
        since: catalog.version,
        removed: [],
        held: [],
      });
      expect(await t.client.listCatalog(t.target.url, { since: 0 })).toEqual({
        files: [record],
        version: catalog.version,
        full: true,
        held: [],
      });
      expect(await failure(t.client.listCatalog(t.deadUrl))).toMatchObject({ code: 'peer_unreachable' });
    });

    it("listUsers answers the target's users with their presence and the version of that list", async () => {
      expect(await t.client.listUsers(t.target.url)).toEqual({ users: [], version: t.directoryVersion() });
      const before = t.directoryVersion();
      t.addUser('bob', false);
      t.addUser('alice', true);
      const answer = await t.client.listUsers(t.target.url);
      expect(answer).toEqual({
        users: [
          { user: `alice@${t.target.id}`, online: true, lastSeen: null },
          { user: `bob@${t.target.id}`, online: false, lastSeen: null },
        ],
        version: t.directoryVersion(),
      });
      expect(answer.version).toBeGreaterThan(before);
      // A node without accounts (a plain node, or nothing at all) is a failed call, never an empty list.
      expect(await failure(t.client.listUsers(t.deadUrl))).toMatchObject({ code: 'peer_unreachable' });
    });

    it('getNode answers where a node is (a probe asks a node about itself); an unknown id is a 404', async () => {
      const { key, sig, signedAt, ...answer } = await t.client.getNode(t.target.url, t.target.id);
      expect(answer).toEqual({
        url: t.target.url,
        incarnation: t.target.registry.self.incarnation,
        state: 'alive',
      });
      // A keyed node signs its answer about itself with the key its list entry shows (SPEC section 7), and the
      // signature verifies for its id; a node without a key sends none.
      const [own] = await t.client.listNodes(t.target.url);
      expect(key).toBe(own?.key);
      expect(t.keyed === true).toBe(key !== undefined);
      if (key !== undefined) {
        const payload = canonicalNodeRecord('announce', { id: t.target.id, ...answer }, signedAt ?? 0);
        expect(new Ed25519SignatureVerifier().verify(key, payload, sig ?? '')).toBe(true);
      }
      expect(await failure(t.client.getNode(t.target.url, 'nobody'))).toMatchObject({
        status: 404,
        peerCode: 'unknown_node',
      });
    });

    it('announce adds a node at the target, idempotently, and withdraw removes it', async () => {
      const node = { id: 'newcomer', url: 'http://127.0.0.1:9' };
      await t.client.announce(t.target.url, node);
      await t.client.announce(t.target.url, node);
      expect(idsAndUrls(t.nodes())).toContainEqual(node);
      expect(await t.client.listNodes(t.target.url)).toHaveLength(2);
      await t.client.withdraw(t.target.url, node);
      expect(t.nodes().map((n) => n.id)).toEqual([t.target.id]);
      expect(await t.client.listNodes(t.target.url, { includeDead: true })).toContainEqual({
        ...node,
        state: 'left',
      });
    });

    it('a newer incarnation moves a node; an older one, or none, cannot move a live node (409 stale_record)', async () => {
      await t.client.announce(t.target.url, { id: 'mover', url: 'http://127.0.0.1:9', incarnation: 5 });
      const stale = await failure(
        t.client.announce(t.target.url, { id: 'mover', url: 'http://127.0.0.1:10', incarnation: 5 }),
      );
      expect(stale).toMatchObject({ code: 'peer_rejected', status: 409, peerCode: 'stale_record' });
      const plain = await failure(
        t.client.announce(t.target.url, { id: 'mover', url: 'http://127.0.0.1:10' }),
      );
      expect(plain).toMatchObject({ status: 409, peerCode: 'stale_record' });
      await t.client.announce(t.target.url, { id: 'mover', url: 'http://127.0.0.1:10', incarnation: 6 });
      // What a node says about another node is never signed, keyed target or not.
      const mover = await t.client.getNode(t.target.url, 'mover');
      expect(mover).toMatchObject({ url: 'http://127.0.0.1:10', incarnation: 6 });
      expect(mover).not.toHaveProperty('sig');
    });

    it('probeVia asks the target to probe a member it lists; an unknown one is a 404', async () => {
      expect(await t.client.probeVia(t.target.url, t.target)).toEqual({
        alive: true,
        incarnation: t.target.registry.self.incarnation,
      });
      const unknown = await failure(
        t.client.probeVia(t.target.url, { id: 'nobody', url: 'http://127.0.0.1:9' }),
      );
      expect(unknown).toMatchObject({ status: 404, peerCode: 'unknown_node' });
    });

    it('a refused call rejects with peer_rejected, the status and the peer code', async () => {
      await t.client.announce(t.target.url, { id: 'other', url: 'http://127.0.0.1:9' });
      const mismatch = await failure(
        t.client.withdraw(t.target.url, { id: 'other', url: 'http://127.0.0.1:10' }),
      );
      expect(mismatch).toMatchObject({ code: 'peer_rejected', status: 409, peerCode: 'url_mismatch' });
      const taken = await failure(
        t.client.announce(t.target.url, { id: t.target.id, url: 'http://127.0.0.1:11' }),
      );
      expect(taken).toMatchObject({ code: 'peer_rejected', status: 409, peerCode: 'id_in_use' });
      expect(idsAndUrls(t.nodes())).toContainEqual({ id: 'other', url: 'http://127.0.0.1:9' });
    });

    it('sendMessage hands a message to the target users, once per id', async () => {
      const message: ChatMessage = {
        id: 'contract-1',
        from: 'someone',
        to: t.target.id,
        msg: 'hello ✓',
        ts: '2026-01-01T00:00:00.000Z',
        user: 'ana',
      };
      await t.client.sendMessage(t.target.url, message);
      await t.client.sendMessage(t.target.url, message);
      expect(t.delivered()).toEqual([{ ...message, seq: expect.any(Number) }]);
    });

    it('sendMessages hands a batch over in order, with one result per message', async () => {
      const base = { from: 'someone', to: t.target.id, ts: '2026-01-01T00:00:00.000Z' };
      const results = await t.client.sendMessages(t.target.url, [
        { ...base, id: 'batch-1', msg: 'first' },
        { ...base, id: 'batch-2', msg: 'second', to: 'nobody' },
        { ...base, id: 'batch-1', msg: 'first again' },
        { ...base, id: 'batch-3', msg: 'third' },
      ]);
      expect(results).toEqual([
        { ok: true },
        { ok: false, status: 404, code: 'unknown_node', message: expect.stringContaining('nobody') },
        { ok: true },
        { ok: true },
      ]);
      expect(t.delivered().map((m) => m.msg)).toEqual(['first', 'third']);
    });

    it('a message for an unknown node rejects with 404 unknown_node', async () => {
      const error = await failure(t.client.sendMessage(t.target.url, { to: 'nobody', msg: 'x' }));
      expect(error).toMatchObject({ code: 'peer_rejected', status: 404, peerCode: 'unknown_node' });
      expect(t.delivered()).toEqual([]);
    });

    it('an unreachable node rejects with peer_unreachable naming it', async () => {
      const error = await failure(t.client.listNodes(t.deadUrl));
      expect(error.code).toBe('peer_unreachable');
      expect(error.message).toContain(t.deadUrl);
    });
  });
}
