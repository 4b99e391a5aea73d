import type { HttpMethod } from './route.js';

/** The OpenAPI 3.1 document as this node writes it (the parts it uses). */

export type JsonSchema = { readonly [key: string]: unknown };

export interface OpenApiParameter {
  readonly name: string;
  readonly in: 'path' | 'query';
  readonly required: boolean;
  readonly description: string;
  readonly schema: JsonSchema;
}

export interface OpenApiMediaType {
  readonly schema: JsonSchema;
}

export interface OpenApiResponse {
  readonly description: string;
  readonly headers?: {
    readonly [name: string]: { readonly description: string; readonly schema: JsonSchema };
  };
  readonly content?: { readonly [mediaType: string]: OpenApiMediaType };
}

export interface OpenApiOperation {
  readonly operationId: string;
  readonly summary: string;
  readonly description: string;
  readonly tags: readonly string[];
  /** `false` for the assignment's protocol, `true` for what meshchat adds. */
  readonly 'x-meshchat-extension': boolean;
  /** A node-to-node call: a node with a network key answers it only to callers that prove the key. */
  readonly 'x-meshchat-node-to-node'?: true;
  readonly parameters?: readonly OpenApiParameter[];
  readonly requestBody?: {
    readonly required: true;
    readonly description: string;
    readonly content: { readonly [mediaType: string]: OpenApiMediaType };
  };
  readonly responses: { readonly [status: string]: OpenApiResponse };
}

export interface OpenApiDocument {
  readonly openapi: string;
  readonly info: {
    readonly title: string;
    readonly version: string;
    readonly description: string;
    readonly license: { readonly name: string; readonly identifier: string };
  };
  readonly tags: readonly { readonly name: string; readonly description: string }[];
  readonly paths: { readonly [path: string]: { readonly [method in HttpMethod]?: OpenApiOperation } };
  readonly components: { readonly schemas: { readonly [name: string]: JsonSchema } };
}
