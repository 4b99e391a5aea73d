import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { renderDocsPage } from '../../src/adapters/http/docs/docs-page.js';
import { escapeHtml } from '../../src/adapters/http/docs/escape-html.js';
import type { OpenApiDocument, OpenApiOperation } from '../../src/adapters/http/openapi-document.js';
import { CONTENT_SECURITY_POLICY } from '../../src/adapters/web/web-assets.js';
import { memoryHttpApp } from '../support/http-app.js';

type App = Awaited<ReturnType<typeof memoryHttpApp>>['app'];

function operationsOf(doc: OpenApiDocument): { method: string; path: string; operation: OpenApiOperation }[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({
      method,
      path,
      operation: operation as OpenApiOperation,
    })),
  );
}

describe('GET /docs', () => {
  let app: App;
  let served: OpenApiDocument;

  beforeEach(async () => {
    ({ app } = await memoryHttpApp());
    served = (await (await app.request('/openapi.json')).json()) as OpenApiDocument;
  });

  it('is an HTML page under the CSP, with no script, no inline style, and its stylesheet served', async () => {
    const response = await app.request('/docs');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    const html = await response.text();
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=|javascript:/i);
    const sheets = [...html.matchAll(/<link rel="stylesheet" href="([^"]+)">/g)].map((m) => m[1] as string);
    expect(sheets).toHaveLength(1);
    const css = await app.request(new URL(sheets[0] as string, 'http://node/docs').pathname);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect(CONTENT_SECURITY_POLICY).toContain("style-src 'self'");
  });

  it("has the web page's icon inline, so a browser asks for no /favicon.ico (which is 404)", async () => {
    const html = await (await app.request('/docs')).text();
    const icon = /<link rel="icon" href="([^"]+)">/.exec(html)?.[1];
    const pageIcon = /<link rel="icon" href="([^"]+)">/.exec(readFileSync('web/index.html', 'utf8'))?.[1];
    expect(icon).toBeDefined();
    expect(icon).toBe(pageIcon);
    expect(icon).toMatch(/^data:image\/svg\+xml,/);
    expect(CONTENT_SECURITY_POLICY).toContain("img-src 'self' data:");
  });

  it('lists every operation of the document in its table of contents, each linked to its section', async () => {
    const html = await (await app.request('/docs')).text();
    const ids = new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]));
    const links = [...html.matchAll(/href="#([^"]+)"/g)].map((m) => m[1]);
    for (const link of links) expect(ids, `#${link}`).toContain(link);
    const toc = html.slice(html.indexOf('<nav'), html.indexOf('</nav>'));
    for (const { path, operation } of operationsOf(served)) {
      expect(toc).toContain(`href="#op-${operation.operationId}"`);
      expect(toc).toContain(`<code>${escapeHtml(path)}</code>`);
      expect(html).toContain(`id="op-${operation.operationId}"`);
    }
    for (const name of Object.keys(served.components.schemas)) expect(html).toContain(`id="schema-${name}"`);
    expect(html).toContain('/socket.io/');
    expect(html).toContain('<code>/ws</code>');
  });

  it('renders schemas as tables of fields, not as raw JSON', async () => {
    const html = await (await app.request('/docs')).text();
    expect(html).not.toMatch(/<pre/);
    const section = (name: string) => {
      const start = html.indexOf(`<section class="schema" id="schema-${name}">`);
      expect(start, name).toBeGreaterThan(0);
      return html.slice(start, html.indexOf('</section>', start));
    };
    const row = (field: string, type: string, required: string, constraints: string) =>
      `<tr><td><code>${field}</code></td><td>${type}</td><td>${required}</td><td>${constraints}</td>`;
    expect(section('Message')).toContain(row('msg', 'string', 'yes', ''));
    expect(section('Message')).toContain(row('hops', 'integer or null', 'no', '≥ 0; ≤ 1000'));
    expect(section('NodeAnnounceRequest')).toContain(row('url', 'string', 'yes', 'at most 2048 characters'));
    expect(section('HealthReport')).toContain(row('peers.alive', 'integer', 'yes', '≥ 0'));
    expect(section('HealthReport')).toContain(
      '<td><code>reasons[].code</code></td><td>one of <code>&quot;starting&quot;</code>',
    );
    expect(section('BatchAnswer')).toContain(
      row('results', 'list of <a href="#schema-BatchItemResult">BatchItemResult</a>', 'yes', ''),
    );
    expect(section('BatchItemResult')).toContain('<p>One of:</p>');
    expect(section('NodeList')).toContain('list of <a href="#schema-NodeEntry">NodeEntry</a>');
    // An operation shows its request and answer tables where it is described.
    const put = html.slice(html.indexOf('id="op-receiveMessage"'), html.indexOf('id="op-receiveMessages"'));
    expect(put).toContain(row('msg', 'string', 'yes', ''));
    expect(put).toContain('<td><code>status</code></td><td>one of <code>&quot;delivered&quot;</code>');
  });

  it('describes every event and frame the user front ends push, and says the web page uses /ws', async () => {
    const html = await (await app.request('/docs')).text();
    const section = html.slice(
      html.indexOf('<section id="front-ends">'),
      html.indexOf('<section id="schemas">'),
    );
    const sources = ['socket-io-user-push.ts', 'ws-user-push.ts'].map((f) =>
      readFileSync(new URL(`../../src/adapters/users/${f}`, import.meta.url), 'utf8'),
    );
    const pushed = new Set(
      sources.flatMap((source) =>
        [...source.matchAll(/(?:emit\('|type: ')([a-z]+)'/g)].map((m) => m[1] as string),
      ),
    );
    pushed.delete('connection');
    expect([...pushed].sort()).toEqual([
      'ack',
      'auth',
      'error',
      'hello',
      'history',
      'mesh',
      'msg',
      'nodes',
      'older',
      'presence',
      'status',
    ]);
    const [socketIo, ws] = section.split('<h3>Plain WebSocket');
    for (const event of pushed) {
      if (event !== 'ack') expect(socketIo, `socket.io ${event}`).toContain(`<td><code>${event}</code></td>`);
      expect(ws, `/ws ${event}`).toContain(`<td><code>${event}</code></td>`);
    }
    expect(section).toContain('The web page at <code>/</code> uses the plain WebSocket <code>/ws</code>');
    expect(html).not.toMatch(/page[^.]*over socket\.io/);
  });

  it('escapes every string it takes from the document', () => {
    const doc: OpenApiDocument = {
      openapi: '3.1.0',
      info: {
        title: 'T <1>',
        version: '1',
        description: 'Intro <i>x</i> & `a<b>`',
        license: { name: 'MIT', identifier: 'MIT' },
      },
      tags: [{ name: 'base protocol', description: 'd "q"' }],
      paths: {
        '/x/{id}<y>': {
          get: {
            operationId: 'op"1',
            summary: '<script>alert(1)</script>',
            description: 'a < b & "c" \'d\'',
            tags: ['base protocol'],
            'x-meshchat-extension': false,
            parameters: [
              {
                name: 'id<',
                in: 'path',
                required: true,
                description: '<id>',
                schema: { pattern: '^<a>$' },
              },
            ],
            responses: {
              '200': {
                description: 'ok <b>',
                content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } },
              },
            },
          },
        },
      },
      components: {
        schemas: {
          Thing: {
            type: 'object',
            description: '</pre><script>x</script>',
            properties: { 'f<i>': { type: 'string', enum: ['<b>'], description: '<u>', pattern: '<q>' } },
            required: ['f<i>'],
          },
        },
      },
    };
    const html = renderDocsPage(doc);
    expect(html).not.toMatch(/<script|<i>|<b>|<u>|<q>|<y>|<id>|<a>|<1>/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('a &lt; b &amp; &quot;c&quot; &#39;d&#39;');
    expect(html).toContain('<code>/x/{id}&lt;y&gt;</code>');
    expect(html).toContain('Intro &lt;i&gt;x&lt;/i&gt; &amp; <code>a&lt;b&gt;</code>');
    expect(html).toContain('href="#op-op&quot;1"');
    expect(html).toContain('&lt;/pre&gt;&lt;script&gt;x&lt;/script&gt;');
    expect(html).toContain('pattern <code>^&lt;a&gt;$</code>');
    expect(html).toContain(
      '<td><code>f&lt;i&gt;</code></td><td>one of <code>&quot;&lt;b&gt;&quot;</code></td><td>yes</td>' +
        '<td>pattern <code>&lt;q&gt;</code></td><td>&lt;u&gt;</td>',
    );
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });
});
