import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(/(?:^|\s)(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map(
    (m) => (m[1] ?? m[2]) as string,
  );
}

describe('the hexagon', () => {
  for (const layer of ['src/domain', 'src/application']) {
    it(`${layer} imports no framework, no library, no I/O module and nothing from src/adapters`, () => {
      const offenders: string[] = [];
      for (const file of sourceFiles(layer)) {
        for (const spec of importsOf(file)) {
          const resolved = spec.startsWith('.') ? relative(root, join(root, file, '..', spec)) : spec;
          const inside = resolved.startsWith('src/domain/') || (layer === 'src/application' && resolved.startsWith('src/application/'));
          if (!inside) offenders.push(`${file} imports ${spec}`);
        }
      }
      expect(offenders).toEqual([]);
    });
  }

  it('the domain is synchronous', () => {
    const asyncCode = sourceFiles('src/domain').filter((file) => /\basync\b|\bawait\b|Promise/.test(readFileSync(join(root, file), 'utf8')));
    expect(asyncCode).toEqual([]);
  });

  it('only the composition root and the entry point touch tsyringe', () => {
    const users = sourceFiles('src').filter((file) => importsOf(file).includes('tsyringe'));
    expect(users.sort()).toEqual(['src/container.ts']);
  });

  it('the checker itself sees imports (it would catch a violation)', () => {
    expect(importsOf('src/adapters/http/create-http-app.ts')).toContain('hono');
    expect(importsOf('src/application/forward-message.ts')).toContain('../domain/message.js');
  });
});
