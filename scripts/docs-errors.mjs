// Writes docs/errors.md from the error table; `npm run docs:errors` builds dist/ first.
import { mkdirSync, writeFileSync } from 'node:fs';
import { errorCodesMarkdown } from '../dist/adapters/http/error-codes-markdown.js';

mkdirSync(new URL('../docs/', import.meta.url), { recursive: true });
writeFileSync(new URL('../docs/errors.md', import.meta.url), errorCodesMarkdown());
