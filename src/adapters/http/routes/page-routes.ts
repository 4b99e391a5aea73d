import type { Context } from 'hono';
import { CONTENT_SECURITY_POLICY } from '../../web/web-assets.js';
import { httpRefusal } from '../error-table.js';
import { type ResponseSpec, route } from '../route.js';

const CSP = {
  'Content-Security-Policy': {
    description: 'No inline script or style; everything from this node.',
    value: CONTENT_SECURITY_POLICY,
  },
};

const page = (description: string, media: string): ResponseSpec => ({ description, media, headers: CSP });

function asset(body: string | undefined, type: string, c: Context): Response {
  if (body === undefined) throw httpRefusal('not_built', 'The web client is not built; run "npm run build".');
  return c.body(body, 200, { 'Content-Type': type });
}

/** The web chat client and the API described (meshchat extensions). */
export const PAGE_ROUTES = [
  route({
    method: 'get',
    path: '/',
    operationId: 'getWebClient',
    summary: 'The web chat client',
    description:
      'A chat page for a person in a browser; it talks to this node over the plain WebSocket `/ws`.',
    tag: 'extension',
    responses: { '200': page('The page.', 'text/html; charset=utf-8') },
    errors: ['not_built'],
    handle: ({ deps: { web }, c }) => asset(web.html, 'text/html; charset=utf-8', c),
  }),
  route({
    method: 'get',
    path: '/style.css',
    operationId: 'getWebClientStyle',
    summary: "The web client's stylesheet",
    description: 'Served with the web client.',
    tag: 'extension',
    responses: { '200': page('The stylesheet.', 'text/css; charset=utf-8') },
    errors: ['not_built'],
    handle: ({ deps: { web }, c }) => asset(web.css, 'text/css; charset=utf-8', c),
  }),
  route({
    method: 'get',
    path: '/app.js',
    operationId: 'getWebClientScript',
    summary: "The web client's script",
    description: 'Compiled by `npm run build`.',
    tag: 'extension',
    responses: { '200': page('The script.', 'text/javascript; charset=utf-8') },
    errors: ['not_built'],
    handle: ({ deps: { web }, c }) => asset(web.script, 'text/javascript; charset=utf-8', c),
  }),
  route({
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This document',
    description:
      'The OpenAPI 3.1 description of this API, generated from the route table and its zod schemas.',
    tag: 'extension',
    responses: { '200': { description: 'An OpenAPI 3.1 document.', media: 'application/json' } },
    handle: ({ described, c }) => c.json(described.document()),
  }),
  route({
    method: 'get',
    path: '/docs',
    operationId: 'getDocsPage',
    summary: 'This API as a web page',
    description: 'This document rendered as HTML, with the socket.io and WebSocket front ends. No script.',
    tag: 'extension',
    responses: { '200': page('The page.', 'text/html; charset=utf-8') },
    handle: ({ described, c }) => c.html(described.page()),
  }),
  route({
    method: 'get',
    path: '/docs.css',
    operationId: 'getDocsStyle',
    summary: "The docs page's stylesheet",
    description: 'Served apart because the Content-Security-Policy allows no inline style.',
    tag: 'extension',
    responses: { '200': page('The stylesheet.', 'text/css; charset=utf-8') },
    handle: ({ described, c }) => c.body(described.css, 200, { 'Content-Type': 'text/css; charset=utf-8' }),
  }),
];
