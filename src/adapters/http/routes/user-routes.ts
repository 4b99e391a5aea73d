import { z } from 'zod';
import { InvalidInput } from '../../../domain/errors.js';
import { meshUserList, userList, userScopeParam } from '../api-schemas.js';
import { route } from '../route.js';
import { DIRECTORY_VERSION_HEADER } from '../wire-schemas.js';

/** Accounts extension (SPEC section 5): who the users are, on this node and on the whole mesh. */
export const USER_ROUTES = [
  route({
    method: 'get',
    path: '/users',
    operationId: 'listUsers',
    summary: "List this node's users, or every meshchat node's",
    description:
      "Without `scope` (or `scope=node`): this node's users, each with whether it is online and when it was last " +
      'seen, and the version of that list in the `Meshchat-Directory-Version` header. With `scope=mesh`: every ' +
      "meshchat node's users, answered at once from this node's replicated directory (kept current by gossip, " +
      'see docs/membership.md), with the nodes whose users are listed (`answered`) and those whose list this node ' +
      'does not hold current (`missing`).',
    tag: 'extension',
    query: z.object({ scope: userScopeParam.optional() }),
    responses: {
      '200': {
        description: '`scope=node`: a list of users; `scope=mesh`: `{users, answered, missing}`.',
        json: z.union([userList, meshUserList]),
      },
    },
    errors: ['invalid_scope'],
    handle: ({ deps: { directory }, query, c }) => {
      const scope = query('scope') ?? 'node';
      if (scope === 'mesh') return c.json(directory.mesh.mesh());
      if (scope !== 'node') {
        throw new InvalidInput(
          'invalid_scope',
          `The scope "${scope.slice(0, 32)}" is not one of node, mesh.`,
        );
      }
      const { users, version } = directory.own.snapshot();
      return c.json(users, 200, { [DIRECTORY_VERSION_HEADER]: String(version) });
    },
  }),
];
