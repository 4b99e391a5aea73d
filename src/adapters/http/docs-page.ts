import {
  type HttpMethod,
  type JsonSchema,
  type OpenApiDocument,
  type OpenApiOperation,
  type OpenApiResponse,
  openApiDocument,
} from './openapi.js';

/**
 * `GET /docs`: the OpenAPI document as one static page, rendered here. The node's Content-Security-Policy allows
 * no inline script or style, so the page has no script at all and takes its style from `GET /docs.css`. Every
 * string taken from the document goes through `escapeHtml`.
 */

const METHODS: readonly HttpMethod[] = ['get', 'put', 'post', 'delete'];
const SCHEMA_REF = '#/components/schemas/';

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** The document's descriptions are CommonMark; this page renders only `code` and **strong**, after escaping. */
function inline(text: string): string {
  return escapeHtml(text)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
}

function paragraphs(text: string): string {
  return text
    .split(/\n{2,}/)
    .map((p) => `<p>${inline(p.trim())}</p>`)
    .join('\n');
}

const anchor = (operation: OpenApiOperation) => `op-${escapeHtml(operation.operationId)}`;
const schemaAnchor = (name: string) => `schema-${escapeHtml(name)}`;

/** Pretty JSON, escaped, with each `$ref` to a component made a link to it. */
function prettyJson(value: unknown): string {
  return escapeHtml(JSON.stringify(value, null, 2)).replace(
    /&quot;#\/components\/schemas\/([A-Za-z0-9_.-]+)&quot;/g,
    (_, name: string) => `&quot;<a href="#${schemaAnchor(name)}">${SCHEMA_REF}${name}</a>&quot;`,
  );
}

function schemaBlock(doc: OpenApiDocument, schema: JsonSchema): string {
  const target =
    typeof schema.$ref === 'string' && schema.$ref.startsWith(SCHEMA_REF)
      ? schema.$ref.slice(SCHEMA_REF.length)
      : '';
  const component = target ? doc.components.schemas[target] : undefined;
  if (!component) return `<pre>${prettyJson(schema)}</pre>`;
  return `<p class="schema-name">Schema <a href="#${schemaAnchor(target)}">${escapeHtml(target)}</a></p>\n<pre>${prettyJson(component)}</pre>`;
}

function content(doc: OpenApiDocument, media: OpenApiResponse['content']): string {
  return Object.entries(media ?? {})
    .map(([type, { schema }]) => `<p class="media">${escapeHtml(type)}</p>\n${schemaBlock(doc, schema)}`)
    .join('\n');
}

function parametersTable(operation: OpenApiOperation): string {
  if (!operation.parameters?.length) return '';
  const rows = operation.parameters
    .map(
      (p) =>
        `<tr><td><code>${escapeHtml(p.name)}</code></td><td>${escapeHtml(p.in)}${p.required ? ', required' : ''}</td>` +
        `<td>${inline(p.description)}<pre>${prettyJson(p.schema)}</pre></td></tr>`,
    )
    .join('\n');
  return `<h4>Parameters</h4>\n<table><thead><tr><th>name</th><th>in</th><th>meaning</th></tr></thead>\n<tbody>${rows}</tbody></table>`;
}

function requestBody(doc: OpenApiDocument, operation: OpenApiOperation): string {
  const body = operation.requestBody;
  if (!body) return '';
  return `<h4>Request body</h4>\n<p>${inline(body.description)}</p>\n${content(doc, body.content)}`;
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
      `${inline(r.description)}</h5>\n${headers}${content(doc, r.content)}</div>`
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

/** Written by hand: these are WebSocket upgrades, which OpenAPI does not describe. */
const FRONT_ENDS = `<section id="front-ends">
<h2>User front ends: socket.io and WebSocket</h2>
<p>Users do not call the HTTP API: they connect to one node and send and receive messages as events. A <code>from</code>
sent by a user is ignored; the node sets it to its own id. <code>to</code> is a node id, or <code>*</code> for every node.</p>
<h3>socket.io, at the node's URL (path <code>/socket.io/</code>)</h3>
<table><thead><tr><th>direction</th><th>event</th><th>payload</th></tr></thead><tbody>
<tr><td>client → node</td><td><code>msg</code></td><td><code>{to, msg, user?}</code>, with an optional acknowledgement callback</td></tr>
<tr><td>client → node, handshake</td><td><code>auth</code></td><td><code>{since?: N}</code>: the highest <code>seq</code> seen (or the query <code>?since=N</code>)</td></tr>
<tr><td>node → client, ack</td><td></td><td><code>{ok: true, id, status: "delivered" | "queued"}</code> or <code>{ok: false, id?, error: {code, message}}</code></td></tr>
<tr><td>node → client</td><td><code>msg</code></td><td><code>{id, from, to, msg, ts, user?, seq, status?}</code></td></tr>
<tr><td>node → client</td><td><code>history</code></td><td>the messages kept, newest last, once on every connect</td></tr>
<tr><td>node → client</td><td><code>status</code></td><td><code>{id, to, node, status, seq?, error?}</code>: how a sent message settled for one node</td></tr>
<tr><td>node → client</td><td><code>nodes</code></td><td><code>[{id, url, incarnation?, state}, …]</code>, on connect and on every change</td></tr>
<tr><td>node → client</td><td><code>hello</code></td><td><code>{node: {id, url, incarnation, state}}</code>, on connect</td></tr>
<tr><td>node → client</td><td><code>error</code></td><td><code>{error: {code, message}}</code>: a failed send without an acknowledgement callback</td></tr>
</tbody></table>
<h3>Plain WebSocket at <code>/ws</code></h3>
<p>JSON text frames. Connect to <code>/ws?since=N</code> to get only the history after <code>N</code>.</p>
<ul>
<li>Client → node: <code>{"type": "msg", "to", "msg", "user"?, "ref"?}</code>; the ack echoes <code>ref</code>.</li>
<li>Node → client: <code>hello</code>, <code>nodes</code>, <code>msg</code>, <code>history</code> and <code>status</code> frames
as the socket.io events (<code>{"type": "nodes", "nodes": […]}</code>, <code>{"type": "history", "messages": […]}</code>),
<code>{"type": "ack", "ref"?, "ok": true, "id", "status"}</code> or <code>{"type": "ack", "ref"?, "ok": false, "error"}</code>,
and <code>{"type": "error", "error": {code, message}}</code>.</li>
<li>An unparsable frame gets an <code>error</code> frame (<code>invalid_frame</code>) and the connection stays open.</li>
</ul>
</section>`;

function schemasSection(doc: OpenApiDocument): string {
  const items = Object.entries(doc.components.schemas).map(
    ([name, schema]) =>
      `<section class="schema" id="${schemaAnchor(name)}"><h3>${escapeHtml(name)}</h3>\n<pre>${prettyJson(schema)}</pre></section>`,
  );
  return `<section id="schemas">\n<h2>Schemas</h2>\n${items.join('\n')}\n</section>`;
}

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

/** The page of this node's own document, rendered on first use. */
export function docsPage(): string {
  rendered ??= renderDocsPage(openApiDocument());
  return rendered;
}

/** `GET /docs.css`: system fonts, readable on a phone, light and dark. */
export const DOCS_CSS = `:root { color-scheme: light dark; --bg: #ffffff; --text: #17202b; --muted: #5b6777; --border: #dde3ea;
  --code: #f3f5f8; --accent: #2563eb; --get: #15803d; --put: #b45309; --post: #2563eb; --delete: #b91c1c; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0f141b; --text: #e6ebf1; --muted: #9aa7b6; --border: #2b3441; --code: #18202a; --accent: #7aa7ff; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); line-height: 1.5;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header, main { max-width: 60rem; margin: 0 auto; padding: 0 1rem; }
header { padding-top: 1rem; border-bottom: 1px solid var(--border); }
h1 { font-size: 1.6rem; margin: 0.5rem 0; }
h2 { font-size: 1.35rem; margin-top: 2.5rem; border-bottom: 1px solid var(--border); }
h3 { font-size: 1.1rem; margin: 0 0 0.5rem; overflow-wrap: anywhere; }
h4 { font-size: 1rem; margin: 1rem 0 0.25rem; }
h5 { font-size: 0.95rem; font-weight: normal; margin: 0.75rem 0 0.25rem; }
a { color: var(--accent); }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.875em; }
code { background: var(--code); padding: 0 0.2em; border-radius: 3px; overflow-wrap: anywhere; }
pre { background: var(--code); padding: 0.75rem; border-radius: 6px; overflow-x: auto; max-height: 28rem; }
pre code { background: none; padding: 0; }
nav ul { padding-left: 1.25rem; }
nav li { margin: 0.2rem 0; }
nav a { text-decoration: none; }
nav a code { text-decoration: underline; }
.operation, .schema { border: 1px solid var(--border); border-radius: 8px; padding: 1rem; margin: 1rem 0; }
.method { display: inline-block; min-width: 4.2em; text-align: center; font-size: 0.8rem; font-weight: 700;
  color: #fff; border-radius: 4px; padding: 0.1em 0.4em; }
.method.get { background: var(--get); } .method.put { background: var(--put); }
.method.post { background: var(--post); } .method.delete { background: var(--delete); }
.tag { font-size: 0.8rem; color: var(--muted); border: 1px solid var(--border); border-radius: 999px; padding: 0 0.5em;
  white-space: nowrap; }
.status { font-weight: 700; font-family: ui-monospace, monospace; }
.status.s2 { color: var(--get); } .status.s4 { color: var(--put); } .status.s5 { color: var(--delete); }
.version, .media, .schema-name { color: var(--muted); font-size: 0.9rem; margin: 0.25rem 0; }
table { border-collapse: collapse; width: 100%; display: block; overflow-x: auto; }
th, td { text-align: left; vertical-align: top; border-bottom: 1px solid var(--border); padding: 0.35rem 0.5rem; }
@media (max-width: 40rem) { body { font-size: 15px; } .operation, .schema { padding: 0.6rem; } pre { font-size: 0.8em; } }
`;
