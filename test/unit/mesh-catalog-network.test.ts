import { afterEach, describe, expect, it } from 'vitest';
import { MEMBERSHIP_PROFILES } from '../../src/application/membership/settings.js';
import type { FileRecord } from '../../src/domain/file-record.js';
import type { MemoryNode } from '../fakes/in-memory-network.js';
import { DirectoryMesh } from '../support/directory-mesh.js';

const LAN = MEMBERSHIP_PROFILES.lan;
/** Rounds a version needs to reach everyone by gossip in a small mesh, plus one for the pull. */
const CONVERGE_MS = 8 * LAN.gossipIntervalMs;

function record(owner: string, name: string, digit: string): FileRecord {
  return {
    id: digit.repeat(64),
    name,
    description: `${name} for the mesh`,
    size: 0,
    type: 'text/plain',
    owner,
    publishedAt: '2026-01-01T00:00:00.000Z',
    chunkSize: 1024 * 1024,
    chunks: [],
  };
}

const own = (node: MemoryNode) => {
  const catalog = node.catalog?.ownCatalog;
  if (!catalog) throw new Error(`${node.id} has no catalog`);
  return catalog;
};
const names = (node: MemoryNode) =>
  (node.catalog?.meshCatalog.mesh({ limit: 100 }).files ?? []).map((f) => `${f.owner}/${f.name}`).sort();
const agreed = (mesh: DirectoryMesh, expected: string[]) =>
  mesh.nodes.every((n) => {
    const view = n.catalog?.meshCatalog.mesh({ limit: 100 });
    return JSON.stringify(names(n)) === JSON.stringify(expected) && view?.missing.length === 0;
  });

describe('the mesh catalog on the in-memory network (fake clock)', () => {
  let mesh: DirectoryMesh | undefined;
  afterEach(() => mesh?.stop());

  it('three nodes converge, a delete reaches everyone, and no pull is sent while versions agree', async () => {
    mesh = await DirectoryMesh.of(3, { files: true });
    own(mesh.node(0)).add(record('alice@n00', 'a.txt', '1'));
    own(mesh.node(1)).add(record('bob@n01', 'b.txt', '2'));
    own(mesh.node(2)).add(record('carol@n02', 'c.txt', '3'));
    const all = ['alice@n00/a.txt', 'bob@n01/b.txt', 'carol@n02/c.txt'];
    expect(await mesh.runUntil(() => agreed(mesh as DirectoryMesh, all), CONVERGE_MS)).toBeLessThan(
      CONVERGE_MS,
    );
    for (const node of mesh.nodes) {
      const view = node.catalog?.meshCatalog.mesh({ limit: 100, words: ['mesh'] });
      expect(view?.answered.sort()).toEqual(['n00', 'n01', 'n02']);
      expect(view?.files).toHaveLength(3);
    }

    // At rest: gossip keeps running, and not one catalog pull is sent.
    const atRest = new Map(mesh.catalogPulls);
    await mesh.run(10 * LAN.gossipIntervalMs);
    expect(mesh.catalogPulls).toEqual(atRest);
    expect(agreed(mesh, all)).toBe(true);

    // A delete on n02 and a publish on n00 at once: each other node pulls each changed node once, as a
    // difference: one record (d.txt, to each of two nodes) and one tombstone are sent, no whole catalog.
    const records = { ...mesh.catalogRecords };
    own(mesh.node(2)).remove('3'.repeat(64), 'carol@n02');
    own(mesh.node(0)).add(record('alice@n00', 'd.txt', '4'));
    const after = ['alice@n00/a.txt', 'alice@n00/d.txt', 'bob@n01/b.txt'];
    expect(await mesh.runUntil(() => agreed(mesh as DirectoryMesh, after), CONVERGE_MS)).toBeLessThan(
      CONVERGE_MS,
    );
    expect((mesh.catalogPulls.get('n02') ?? 0) - (atRest.get('n02') ?? 0)).toBe(2);
    expect((mesh.catalogPulls.get('n00') ?? 0) - (atRest.get('n00') ?? 0)).toBe(2);
    expect((mesh.catalogPulls.get('n01') ?? 0) - (atRest.get('n01') ?? 0)).toBe(0);
    expect(mesh.catalogRecords.full).toBe(records.full);
    expect(mesh.catalogRecords.diff - records.diff).toBe(2);
  });
});
