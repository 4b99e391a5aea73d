import { z } from 'zod';
import { parseUserAddress } from '../../../domain/account.js';
import {
  accountDoneAnswer,
  accountNameParam,
  credentialsBody,
  documentedCredentials,
  documentedPassword,
  PASSWORD_RULE,
  passwordBody,
  registeredAnswer,
  sessionAnswer,
} from '../account-schemas.js';
import { bearerToken, clientAddress } from '../request-credentials.js';
import { route } from '../route.js';

const byName = z.object({ name: accountNameParam });

/** A login token must not be kept by a cache on the way. */
const NO_STORE = { 'Cache-Control': { description: 'Always `no-store`.', value: 'no-store' } };

/** This node's users (SPEC section 5, meshchat extensions): register, log in and out, unregister. */
export const ACCOUNT_ROUTES = [
  route({
    method: 'post',
    path: '/users',
    operationId: 'register',
    summary: 'Register a user on this node',
    description:
      'Makes the account `name@<this node>`. Names are case-insensitive and stored lower-case; the password ' +
      `is ${PASSWORD_RULE}, and is kept only as a slow salted hash.`,
    tag: 'extension',
    body: {
      schema: credentialsBody,
      documented: documentedCredentials,
      description: 'The name and password.',
    },
    responses: { '201': { description: 'Registered.', json: registeredAnswer } },
    errors: ['invalid_name', 'weak_password', 'invalid_password', 'name_taken', 'node_stopping'],
    handle: async ({ deps: { accounts }, body, c }) =>
      c.json(await accounts.register.execute({ name: body.name, password: body.password }), 201),
  }),
  route({
    method: 'post',
    path: '/sessions',
    operationId: 'login',
    summary: 'Log in: a token for the front ends and the account routes',
    description:
      'A wrong password and an unknown name get the same answer. Failed logins are counted per name and per ' +
      "client address (the connection's, not a header's); past the limit the node answers `429` with " +
      '`Retry-After` without checking the password.',
    tag: 'extension',
    body: {
      schema: credentialsBody,
      documented: documentedCredentials,
      description: 'The name and password.',
    },
    responses: { '201': { description: 'Logged in.', json: sessionAnswer, headers: NO_STORE } },
    errors: ['bad_credentials', 'rate_limited', 'node_stopping'],
    handle: async ({ deps: { accounts }, body, c }) => {
      const client = clientAddress(c);
      const { name, password } = body;
      const session = await accounts.login.execute({ name, password, ...(client ? { client } : {}) });
      return c.json(session, 201);
    },
  }),
  route({
    method: 'delete',
    path: '/sessions/current',
    operationId: 'logout',
    summary: 'Log out: revoke the token of this request',
    description:
      'Needs `Authorization: Bearer <token>`; the token is refused from then on. Connections opened with it ' +
      'stay open until they close.',
    tag: 'extension',
    responses: { '200': { description: 'Logged out.', json: accountDoneAnswer } },
    errors: ['unauthenticated', 'node_stopping'],
    handle: ({ deps: { accounts }, c }) => {
      const { user } = accounts.logout.execute(bearerToken(c));
      return c.json({ ok: true as const, user });
    },
  }),
  route({
    method: 'delete',
    path: '/users/{name}',
    operationId: 'unregister',
    summary: 'Unregister: remove the account',
    description:
      "Needs that user's `Authorization: Bearer <token>` and password. The account, all its sessions, its " +
      "inbox and the files it published are removed, and the user's live connections are closed. A wrong " +
      'password counts as a failed login.',
    tag: 'extension',
    params: byName,
    body: { schema: passwordBody, documented: documentedPassword, description: 'The password.' },
    responses: { '200': { description: 'Unregistered.', json: accountDoneAnswer } },
    errors: ['unauthenticated', 'forbidden', 'bad_credentials', 'rate_limited', 'node_stopping'],
    handle: async ({ deps: { accounts }, body, param, c }) => {
      const client = clientAddress(c);
      const { user } = await accounts.unregister.execute({
        token: bearerToken(c),
        name: param('name'),
        password: body.password,
        ...(client ? { client } : {}),
      });
      accounts.users.disconnectUser(parseUserAddress(user).name);
      return c.json({ ok: true as const, user });
    },
  }),
];
