import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The chat page: static HTML and CSS from `web/`, the script bundled by the build into `dist/web/app.js`. */
export interface WebAssets {
  readonly html: string | undefined;
  readonly css: string | undefined;
  readonly script: string | undefined;
}

export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// This file sits three levels below the package root both as src/adapters/web and as dist/adapters/web.
const packageRoot = new URL('../../../', import.meta.url);

function read(relative: string): string | undefined {
  try {
    return readFileSync(fileURLToPath(new URL(relative, packageRoot)), 'utf8');
  } catch {
    return undefined;
  }
}

export function loadWebAssets(): WebAssets {
  return { html: read('web/index.html'), css: read('web/style.css'), script: read('dist/web/app.js') };
}
