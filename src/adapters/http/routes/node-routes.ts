import { z } from 'zod';
import type { NodeKeys } from '../../../application/membership/node-keys.js';
import { UnknownNode } from '../../../domain/errors.js';
import { assertNodeId } from '../../../domain/node-record.js';
import type { NodeSignature } from '../../../domain/node-signature.js';
import type { PeerRegistry } from '../../../domain/peer-registry.js';
import {
  includeParam,
  nodeAnnounceAnswer,
  nodeDetail,
  nodeIdParam,
  nodeList,
  okAnswer,
} from '../api-schemas.js';
import { route } from '../route.js';
import { nodeAnnounceBody, nodeWithdrawBody, probeAnswer, probeBody } from '../wire-schemas.js';

const byId = z.object({ id: nodeIdParam });

/** This node's own record, signed when it has a key, so a peer pulling the list can check and bind it. */
function signedSelf(registry: PeerRegistry, keys: NodeKeys | undefined): Partial<NodeSignature> {
  const { id, url, incarnation } = registry.self;
  const { key, sig, signedAt } = keys?.sign('announce', { id, url, incarnation }) ?? {};
  return key === undefined || sig === undefined || signedAt === undefined ? {} : { key, sig, signedAt };
}

/** Membership: the base protocol's node list, join and leave (SPEC section 1), and the indirect probe. */
export const NODE_ROUTES = [
  route({
    method: 'get',
    path: '/nodes',
    operationId: 'listNodes',
    summary: 'List the nodes this node knows',
    description:
      'Every node this node lists, itself first. Entries carry `incarnation` and `state` (meshchat extension; a ' +
      'plain node sends only `id` and `url`), and `directory` when that node has accounts (the version of its ' +
      'user list, for the mesh directory) and `catalog` when it has files (the version of its file records, for ' +
      "the mesh catalog); this node's own entry says `link: true` when it serves peer links. " +
      'With `?include=dead` (meshchat extension) the nodes that left or ' +
      'were found dead are added, so gossip cannot bring them back. Any other value of `include` is ignored.',
    tag: 'base',
    peer: true,
    query: z.object({ include: includeParam.optional() }),
    responses: { '200': { description: 'The node list.', json: nodeList } },
    handle: ({ deps: { registry, directory, files, peerLinks, keys }, query, c }) => {
      const self = registry.self.id;
      const members = registry.list().map((member) => {
        const version = directory.mesh.versionOf(member.id);
        const catalog = files.catalog?.mesh.versionOf(member.id);
        const entry = {
          ...member,
          ...(version === undefined ? {} : { directory: version }),
          ...(catalog === undefined ? {} : { catalog }),
        };
        if (member.id !== self) return keys ? { ...entry, verified: keys.isKeyed(member.id) } : entry;
        // The link offer and the signature are this node's own word about itself only (SPEC sections 7, 8).
        const own = {
          ...signedSelf(registry, keys),
          ...entry,
          ...(keys ? { verified: keys.isKeyed(self) } : {}),
        };
        return peerLinks ? { ...own, link: true } : own;
      });
      return c.json(query('include') === 'dead' ? [...members, ...registry.goneReports()] : members);
    },
  }),
  route({
    method: 'get',
    path: '/nodes/{id}',
    operationId: 'getNode',
    summary: 'Where a node listens',
    description:
      'The `url` of a member, with its `incarnation` and `state` (meshchat extension), and `link: true` when the ' +
      'member is this node and it serves peer links at `/peer`.',
    tag: 'base',
    peer: true,
    params: byId,
    responses: { '200': { description: 'The member.', json: nodeDetail } },
    errors: ['invalid_node_id', 'unknown_node'],
    handle: ({ deps: { registry, peerLinks, keys }, param, c }) => {
      const id = assertNodeId(param('id'));
      const node = registry.get(id);
      if (!node) throw new UnknownNode(id);
      const self = id === registry.self.id;
      const link = peerLinks && self ? { link: true } : {};
      const { key, sig, signedAt } = self ? signedSelf(registry, keys) : {};
      const signature = sig === undefined ? {} : { key, sig, signedAt };
      return c.json({
        url: node.url,
        incarnation: node.incarnation,
        state: node.state,
        ...link,
        ...signature,
      });
    },
  }),
  route({
    method: 'put',
    path: '/nodes/{id}',
    operationId: 'announceNode',
    summary: 'A node says where it listens (join, re-announce, move)',
    description:
      'Adds the node, brings back one that left or was found dead, or moves it to a new `url`. `incarnation` is ' +
      'a meshchat extension: a record older than the known one is refused, and moving a live node needs a newer ' +
      'one (a plain node without one moves once its old address stopped answering).',
    tag: 'base',
    peer: true,
    params: byId,
    body: {
      schema: nodeAnnounceBody,
      description: 'The base protocol sends `{url}`; a meshchat node adds `incarnation`.',
    },
    responses: {
      '200': {
        description: 'Taken: `added`, `updated` or `unchanged`, with the record as now listed.',
        json: nodeAnnounceAnswer,
      },
    },
    errors: [
      'invalid_node_id',
      'invalid_node_url',
      'invalid_incarnation',
      'id_in_use',
      'url_in_use',
      'stale_record',
      'too_many_nodes',
      'key_mismatch',
      'bad_signature',
    ],
    handle: ({ deps: { announce, registry }, param, body, c }) => {
      const id = param('id');
      const result = announce.execute({ id, ...body });
      return c.json({ ok: true, result, node: registry.get(id) });
    },
  }),
  route({
    method: 'delete',
    path: '/nodes/{id}',
    operationId: 'removeNode',
    summary: 'A node leaves, or is reported dead',
    description:
      'Honoured only when both id and url match the listed node. `reason: "dead"` (meshchat extension) is a ' +
      'death notice: it is checked with one probe first. A `DELETE` of this node itself is refused, and the node ' +
      'then announces a newer incarnation to everyone. A signed leave older than the incarnation this node ' +
      'holds for that node (made before it restarted) is refused `409 stale_record`.',
    tag: 'base',
    peer: true,
    params: byId,
    body: {
      schema: nodeWithdrawBody,
      description: 'The base protocol sends `{url}`; `reason` is a meshchat extension.',
    },
    responses: { '200': { description: 'Removed.', json: okAnswer } },
    errors: [
      'invalid_node_id',
      'invalid_node_url',
      'unknown_node',
      'url_mismatch',
      'node_alive',
      'cannot_remove_self',
      'stale_record',
      'key_mismatch',
      'bad_signature',
    ],
    handle: async ({ deps: { remove }, param, body, c }) => {
      await remove.execute({ id: param('id'), ...body });
      return c.json({ ok: true });
    },
  }),
  route({
    method: 'post',
    path: '/probe',
    operationId: 'probeNode',
    summary: 'Indirect probe: check a member for another node',
    description:
      'The receiving node probes a member it lists at that url and says whether it answered. A node it does not ' +
      'list at that url is refused, so this call makes the node contact no address it would not probe anyway. ' +
      'Sent only to nodes whose records carry an `incarnation`.',
    tag: 'extension',
    peer: true,
    body: { schema: probeBody, description: 'The member to probe.' },
    responses: { '200': { description: 'The verdict of one direct probe.', json: probeAnswer } },
    errors: ['invalid_node_id', 'invalid_node_url', 'unknown_node'],
    handle: async ({ deps: { probe }, body, c }) => c.json(await probe.execute(body)),
  }),
];
