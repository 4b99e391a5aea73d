import { AuthRequired } from '../../../application/messaging/direct-errors.js';
import { MAX_RELAY_HOPS, MESSAGE_MAX_BYTES, USER_NAME_MAX_LENGTH } from '../../../domain/message.js';
import { errorBody as errorAnswer, messageBatchBody } from '../api-schemas.js';
import { errorBody, HTTP_REFUSALS, statusFor, toErrorBody } from '../error-table.js';
import { parseInboundMessage } from '../inbound-message-check.js';
import { route } from '../route.js';
import {
  batchAnswer,
  describeIssues,
  inboundBatchBody,
  inboundMessageBody,
  messageAnswer,
} from '../wire-schemas.js';

const AUTH_REQUIRED_MESSAGE =
  'This node is private: a message without `from` (from a user, not a node) is refused; log in and use a socket.';

/** Messages between nodes: the base protocol's `PUT /msg` and meshchat's batch from an outbox. */
export const MESSAGE_ROUTES = [
  route({
    method: 'put',
    path: '/msg',
    operationId: 'receiveMessage',
    summary: 'Deliver a message to the users of node `to`',
    description:
      "Addressed to this node, or to nobody (the assignment's echo client sends only `msg`): pushed to this " +
      "node's users, once per `id`. Addressed to `*`: a broadcast. Addressed to another node this node knows: " +
      `relayed to it through the outbox (queued while it is down), at most ${MAX_RELAY_HOPS} times (\`hops\`). ` +
      'Addressed to a user `name@node` of this node (a direct message from a meshchat node, with `fromUser`): ' +
      "pushed to that user's connections only, kept in their inbox while they are offline, never relayed. " +
      '`id`, `ts`, `user`, `hops`, `fromUser`, `sig`, direct messages and the relaying are meshchat extensions.',
    tag: 'base',
    peer: true,
    body: {
      schema: inboundMessageBody,
      description:
        `\`msg\` is at most ${MESSAGE_MAX_BYTES} bytes of UTF-8; \`from\` and \`to\` are node ids (\`to\` may be \`*\`, ` +
        "or a user address `name@node` with `fromUser` the sender's address on node `from`); " +
        `\`id\` de-duplicates; \`ts\` is an ISO-8601 time; \`user\` a display name of at most ${USER_NAME_MAX_LENGTH} ` +
        "characters; `hops` counts relays; `sig` is the origin node's signature, required when `from` is bound to " +
        'a key (SPEC section 7). Unknown fields are accepted and dropped.',
    },
    responses: {
      '200': { description: 'Taken.', json: messageAnswer },
      '4XX': {
        description: 'A relayed message the destination refused for good: its status and code.',
        json: errorAnswer,
      },
    },
    errors: [
      'invalid_message',
      'invalid_user',
      'invalid_timestamp',
      'invalid_file_reference',
      'invalid_node_id',
      'hop_limit',
      'unknown_node',
      'message_too_large',
      'node_stopping',
      'outbox_full',
      'invalid_address',
      'unknown_user',
      'inbox_full',
      'auth_required',
      'bad_signature',
    ],
    answer: async ({ deps: { receive, privateNode }, body, sender }) => {
      // Without `from` the sender is a user, not a node: a private node serves logged-in users only.
      if (privateNode && body.from === undefined) throw new AuthRequired(AUTH_REQUIRED_MESSAGE);
      // On a link authenticated as a node, that node's own messages are proven by the link (SPEC section 8).
      return { status: 200, json: { ok: true, ...(await receive.execute(body, sender)) } };
    },
  }),
  route({
    method: 'post',
    path: '/msgs',
    operationId: 'receiveMessages',
    summary: "A batch of messages from a meshchat node's outbox",
    description:
      'Each message is taken as `PUT /msg` would take it, in order. A message that breaks the rules (or the ' +
      '`Message` schema) gets its own error result and does not stop the others. Sent only to nodes whose ' +
      'records carry an `incarnation`.',
    tag: 'extension',
    peer: true,
    body: {
      schema: inboundBatchBody,
      documented: messageBatchBody,
      description: 'The messages, each as `PUT /msg` takes it.',
    },
    responses: { '200': { description: 'One result per message, in order.', json: batchAnswer } },
    answer: async ({ deps: { receiveMany, privateNode }, body: { messages, signer, sig }, sender }) => {
      const checked = messages.map(parseInboundMessage);
      // Without `from` a message's sender is a user, not a node: on a private node, refused as on `PUT /msg`.
      const userSent = (m: (typeof checked)[number]) =>
        privateNode === true && m.success && m.data.from === undefined;
      const proof = signer !== undefined && sig !== undefined ? { signer, sig } : undefined;
      const outcomes = await receiveMany.execute(
        checked.flatMap((m) => (m.success && !userSent(m) ? [m.data] : [])),
        proof,
        sender,
      );
      let next = 0;
      const results = checked.map((m, i) => {
        if (!m.success) {
          const why = `Message ${i + 1}: ${describeIssues(m.error)}`;
          return {
            ok: false,
            httpStatus: HTTP_REFUSALS.invalid_body,
            error: errorBody('invalid_body', why).error,
          };
        }
        if (userSent(m)) {
          const refusal = new AuthRequired(AUTH_REQUIRED_MESSAGE);
          return { ok: false, httpStatus: statusFor(refusal), ...toErrorBody(refusal) };
        }
        const outcome = outcomes[next++] as (typeof outcomes)[number];
        return outcome.ok
          ? outcome
          : { ok: false, httpStatus: statusFor(outcome.error), ...toErrorBody(outcome.error) };
      });
      return { status: 200, json: { ok: true, results } };
    },
  }),
];
