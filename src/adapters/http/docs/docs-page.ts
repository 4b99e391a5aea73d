import { openApiDocument } from '../openapi.js';
import type {
  JsonSchema,
  OpenApiDocument,
  OpenApiOperation,
  OpenApiParameter,
  OpenApiResponse,
} from '../openapi-document.js';
import type { HttpMethod } from '../route.js';
import { escapeHtml, inline, paragraphs } from './escape-html.js';
import { FRONT_ENDS } from './front-ends.js';
import { constraintsOf, refName, schemaAnchor, schemaLink, schemaTable, typeOf } from './schema-table.js';

/**
 * `GET /docs`: the OpenAPI document as one static page, schemas as tables. The node's Content-Security-Policy
 * allows no inline script or style, so the page has no script at all and takes its style from `GET /docs.css`.
 * Every string taken from the document is escaped.
 */

const METHODS: readonly HttpMethod[] = ['get', 'put', 'post', 'delete'];

const anchor = (operation: OpenApiOperation) => `op-${escapeHtml(operation.operationId)}`;

/** A body: the schema's name linked to its table and, unless it is only an error, the table itself. */
function body(doc: OpenApiDocument, schema: JsonSchema, withTable: boolean): string {
  const name = refName(schema);
  const component = name ? doc.components.schemas[name] : undefined;
  if (!name || !component) return schemaTable(schema);
  const label = `<p class="schema-name">Schema ${schemaLink(name)}</p>`;
  return withTable ? `${label}\n${schemaTable(component)}` : label;
}

function content(doc: OpenApiDocument, media: OpenApiResponse['content'], withTable: boolean): string {
  return Object.entries(media ?? {})
    .map(([type, { schema }]) =>
      type === 'application/json' && (refName(schema) || schema.type === 'object' || schema.properties)
        ? `<p class="media">${escapeHtml(type)}</p>\n${body(doc, schema, withTable)}`
        : `<p class="media">${escapeHtml(type)}</p>`,
    )
    .join('\n');
}

function parameterRow(p: OpenApiParameter): string {
  return (
    `<tr><td><code>${escapeHtml(p.name)}</code></td><td>${escapeHtml(p.in)}</td><td>${typeOf(p.schema)}</td>` +
    `<td>${p.required ? 'yes' : 'no'}</td><td>${constraintsOf(p.schema)}</td><td>${inline(p.description)}</td></tr>`
  );
}

function parametersTable(operation: OpenApiOperation): string {
  if (!operation.parameters?.length) return '';
  return (
    '<h4>Parameters</h4>\n<table class="fields"><thead><tr><th>name</th><th>in</th><th>type</th><th>required</th>' +
    `<th>constraints</th><th>description</th></tr></thead>\n<tbody>${operation.parameters.map(parameterRow).join('\n')}</tbody></table>`
  );
}

function requestBody(doc: OpenApiDocument, operation: OpenApiOperation): string {
  const request = operation.requestBody;
  if (!request) return '';
  return `<h4>Request body</h4>\n<p>${inline(request.description)}</p>\n${content(doc, request.content, true)}`;
}

function responses(doc: OpenApiDocument, operation: OpenApiOperation): string {
  const items = Object.entries(operation.responses).map(([status, r]) => {
    const headers = Object.entries(r.headers ?? {})
      .map(
        ([name, h]) =>
          `<p class="header">Header <code>${escapeHtml(name)}</code>: ${inline(h.description)}</p>`,
      )
      .join('\n');
    return (
      `<div class="response"><h5><span class="status s${escapeHtml(status.charAt(0))}">${escapeHtml(status)}</span> ` +
      `${inline(r.description)}</h5>\n${headers}${content(doc, r.content, status.startsWith('2'))}</div>`
    );
  });
  return `<h4>Responses</h4>\n${items.join('\n')}`;
}

function operationsOf(
  doc: OpenApiDocument,
): { path: string; method: HttpMethod; operation: OpenApiOperation }[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.flatMap((method) => {
      const operation = item[method];
      return operation ? [{ path, method, operation }] : [];
    }),
  );
}

function operationSection(
  doc: OpenApiDocument,
  path: string,
  method: HttpMethod,
  operation: OpenApiOperation,
): string {
  const tags = operation.tags.map((t) => `<span class="tag">${escapeHtml(t)}</span>`).join(' ');
  return `<section class="operation" id="${anchor(operation)}">
<h3><span class="method ${method}">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h3>
<p class="summary"><strong>${inline(operation.summary)}</strong> ${tags}</p>
${paragraphs(operation.description)}
${parametersTable(operation)}
${requestBody(doc, operation)}
${responses(doc, operation)}
</section>`;
}

function tableOfContents(doc: OpenApiDocument): string {
  const entries = operationsOf(doc);
  const groups = doc.tags.map((tag) => {
    const links = entries
      .filter(({ operation }) => operation.tags.includes(tag.name))
      .map(
        ({ path, method, operation }) =>
          `<li><a href="#${anchor(operation)}"><span class="method ${method}">${method.toUpperCase()}</span> ` +
          `<code>${escapeHtml(path)}</code></a> ${inline(operation.summary)}</li>`,
      )
      .join('\n');
    return `<li>${escapeHtml(tag.name)}: ${inline(tag.description)}\n<ul>${links}</ul></li>`;
  });
  return `<nav aria-labelledby="toc"><h2 id="toc">Contents</h2>
<ul>
${groups.join('\n')}
<li><a href="#front-ends">User front ends: socket.io and WebSocket</a></li>
<li><a href="#schemas">Schemas</a></li>
</ul></nav>`;
}

function schemasSection(doc: OpenApiDocument): string {
  const items = Object.entries(doc.components.schemas).map(
    ([name, schema]) =>
      `<section class="schema" id="${schemaAnchor(name)}"><h3>${escapeHtml(name)}</h3>\n${schemaTable(schema)}</section>`,
  );
  return `<section id="schemas">\n<h2>Schemas</h2>\n${items.join('\n')}\n</section>`;
}

/** The web page's icon (web/index.html), so the docs page does not ask for a missing /favicon.ico. */
const PAGE_ICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='7' fill='%232563eb'/%3E%3Ccircle cx='10' cy='11' r='3.5' fill='white'/%3E%3Ccircle cx='22' cy='11' r='3.5' fill='white'/%3E%3Ccircle cx='16' cy='22' r='3.5' fill='white'/%3E%3Cpath d='M10 11L22 11L16 22Z' fill='none' stroke='white' stroke-width='1.6'/%3E%3C/svg%3E";

export function renderDocsPage(doc: OpenApiDocument): string {
  const { info } = doc;
  const operations = operationsOf(doc)
    .map(({ path, method, operation }) => operationSection(doc, path, method, operation))
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(info.title)}</title>
<link rel="icon" href="${PAGE_ICON}">
<link rel="stylesheet" href="docs.css">
</head>
<body>
<header>
<h1>${escapeHtml(info.title)} <span class="version">${escapeHtml(info.version)}</span></h1>
<p>OpenAPI ${escapeHtml(doc.openapi)} document: <a href="openapi.json">openapi.json</a>. Chat: <a href="./">the web client</a>.</p>
</header>
<main>
${paragraphs(info.description)}
${tableOfContents(doc)}
<section id="operations">
<h2>Operations</h2>
${operations}
</section>
${FRONT_ENDS}
${schemasSection(doc)}
</main>
</body>
</html>
`;
}

/** Rendered on first use from the frozen document: the same for every node in the process. */
let rendered: string | undefined;

/** The page of this node's own document. */
export function docsPage(): string {
  rendered ??= renderDocsPage(openApiDocument());
  return rendered;
}
