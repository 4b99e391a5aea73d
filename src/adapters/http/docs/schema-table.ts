import type { JsonSchema } from '../openapi-document.js';
import { escapeHtml, inline } from './escape-html.js';

/**
 * JSON Schemas of the document as tables a person reads: one row per field (nested objects flattened to
 * `parent.child`, items of a list to `list[].child`), with its type, whether it is required, its constraints and
 * its description. A `$ref` becomes a link to the schema's own table. Every string is escaped.
 */

const SCHEMA_REF = '#/components/schemas/';

export const schemaAnchor = (name: string) => `schema-${escapeHtml(name)}`;

/** The component a `$ref` names, or undefined for any other schema. */
export function refName(schema: JsonSchema): string | undefined {
  const ref = schema.$ref;
  return typeof ref === 'string' && ref.startsWith(SCHEMA_REF) ? ref.slice(SCHEMA_REF.length) : undefined;
}

export const schemaLink = (name: string) => `<a href="#${schemaAnchor(name)}">${escapeHtml(name)}</a>`;

const asSchema = (value: unknown): JsonSchema =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonSchema) : {};

const variantsOf = (schema: JsonSchema): JsonSchema[] | undefined => {
  const list = schema.anyOf ?? schema.oneOf;
  return Array.isArray(list) ? list.map(asSchema) : undefined;
};

const literal = (value: unknown) => `<code>${escapeHtml(JSON.stringify(value))}</code>`;

/** The type cell: a link for a named schema, a literal, the choices of an enum, or the JSON type. */
export function typeOf(schema: JsonSchema): string {
  const name = refName(schema);
  if (name) return schemaLink(name);
  if ('const' in schema) return literal(schema.const);
  if (Array.isArray(schema.enum)) return `one of ${schema.enum.map(literal).join(', ')}`;
  const variants = variantsOf(schema);
  if (variants) return variants.map(typeOf).join(' or ');
  if (schema.type === 'array') return `list of ${typeOf(asSchema(schema.items))}`;
  if (Array.isArray(schema.type)) return schema.type.map((t) => escapeHtml(String(t))).join(' or ');
  if (typeof schema.type === 'string') return escapeHtml(schema.type);
  return 'any';
}

const CONSTRAINTS: readonly [key: string, label: string][] = [
  ['minLength', 'at least %s characters'],
  ['maxLength', 'at most %s characters'],
  ['minimum', '≥ %s'],
  ['maximum', '≤ %s'],
  ['exclusiveMinimum', '> %s'],
  ['exclusiveMaximum', '< %s'],
  ['minItems', 'at least %s items'],
  ['maxItems', 'at most %s items'],
  ['format', 'format %s'],
];

/** The constraints cell: lengths, bounds, sizes, pattern and format. */
export function constraintsOf(schema: JsonSchema): string {
  const parts: string[] = [];
  for (const [key, label] of CONSTRAINTS) {
    const value = schema[key];
    // The largest safe integer is no limit a person needs to read.
    if (value === Number.MAX_SAFE_INTEGER) continue;
    if (typeof value === 'number' || typeof value === 'string')
      parts.push(escapeHtml(label.replace('%s', String(value))));
  }
  if (typeof schema.pattern === 'string') parts.push(`pattern <code>${escapeHtml(schema.pattern)}</code>`);
  // A field that may also be null (`x or null`) keeps the constraints of its other variant.
  for (const variant of variantsOf(schema) ?? []) {
    const own = constraintsOf(variant);
    if (own) parts.push(own);
  }
  return parts.join('; ');
}

interface Row {
  readonly path: string;
  readonly schema: JsonSchema;
  readonly required: boolean;
}

/** The fields of an object, depth first; a nested object or list of objects adds its own fields under its name. */
function rowsOf(schema: JsonSchema, prefix: string): Row[] {
  const properties = asSchema(schema.properties);
  const required = Array.isArray(schema.required) ? schema.required : [];
  return Object.entries(properties).flatMap(([name, raw]) => {
    const child = asSchema(raw);
    const path = `${prefix}${name}`;
    const row: Row = { path, schema: child, required: required.includes(name) };
    if (refName(child)) return [row];
    if (child.type === 'object') return [row, ...rowsOf(child, `${path}.`)];
    const items = asSchema(child.items);
    if (child.type === 'array' && items.type === 'object' && !refName(items))
      return [row, ...rowsOf(items, `${path}[].`)];
    return [row];
  });
}

function fieldsTable(schema: JsonSchema): string {
  const rows = rowsOf(schema, '');
  if (rows.length === 0) return '<p class="fields">An object with no fields.</p>';
  const body = rows
    .map(
      ({ path, schema: field, required }) =>
        `<tr><td><code>${escapeHtml(path)}</code></td><td>${typeOf(field)}</td><td>${required ? 'yes' : 'no'}</td>` +
        `<td>${constraintsOf(field)}</td><td>${typeof field.description === 'string' ? inline(field.description) : ''}</td></tr>`,
    )
    .join('\n');
  const closed = schema.additionalProperties === false ? '<p class="fields">No other fields.</p>' : '';
  return (
    '<table class="fields"><thead><tr><th>field</th><th>type</th><th>required</th><th>constraints</th>' +
    `<th>description</th></tr></thead>\n<tbody>${body}</tbody></table>${closed}`
  );
}

/** A schema as a person reads it: its description, then a table of its fields, or its type for a non-object. */
export function schemaTable(schema: JsonSchema): string {
  const intro = typeof schema.description === 'string' ? `<p>${inline(schema.description)}</p>\n` : '';
  const variants = variantsOf(schema);
  if (variants) {
    const items = variants.map(
      (v) => `<li>${refName(v) ? schemaLink(refName(v) as string) : schemaTable(v)}</li>`,
    );
    return `${intro}<p>One of:</p>\n<ul class="variants">${items.join('\n')}</ul>`;
  }
  if (schema.type === 'object' || schema.properties !== undefined) return `${intro}${fieldsTable(schema)}`;
  const items = asSchema(schema.items);
  if (schema.type === 'array' && !refName(items) && items.type === 'object')
    return `${intro}<p>A list (${constraintsOf(schema) || 'any length'}) of:</p>\n${fieldsTable(items)}`;
  const constraints = constraintsOf(schema);
  return `${intro}<p>${typeOf(schema)}${constraints ? ` (${constraints})` : ''}</p>`;
}
