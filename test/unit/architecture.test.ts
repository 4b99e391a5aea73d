import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

/** Every module a file loads: `import … from`, `export … from`, bare `import '…'`, `import(…)`, `require(…)`. */
function importsOf(file: string): string[] {
  return importStatements(file).map((statement) => statement.spec);
}

function importStatements(file: string): { spec: string; typeOnly: boolean }[] {
  const text = readFileSync(join(root, file), 'utf8');
  const pattern =
    /(?:^|[\s;])(import|export)(\s+type)?\b[^'";]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|\b(?:import|require)\(\s*['"]([^'"]+)['"]\s*\)/g;
  return [...text.matchAll(pattern)].map((m) => ({
    spec: (m[3] ?? m[4] ?? m[5]) as string,
    typeOnly: m[2] !== undefined,
  }));
}

describe('the hexagon', () => {
  for (const layer of ['src/domain', 'src/application']) {
    it(`${layer} imports no framework, no library, no I/O module and nothing from src/adapters`, () => {
      const offenders: string[] = [];
      for (const file of sourceFiles(layer)) {
        for (const spec of importsOf(file)) {
          const resolved = spec.startsWith('.') ? relative(root, join(root, file, '..', spec)) : spec;
          const inside =
            resolved.startsWith('src/domain/') ||
            (layer === 'src/application' && resolved.startsWith('src/application/'));
          if (!inside) offenders.push(`${file} imports ${spec}`);
        }
      }
      expect(offenders).toEqual([]);
    });
  }

  it('src/client imports only itself: no adapters, no node:* module, no socket.io, no DOM', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles('src/client')) {
      for (const spec of importsOf(file)) {
        const resolved = spec.startsWith('.') ? relative(root, join(root, file, '..', spec)) : spec;
        if (!resolved.startsWith('src/client/')) offenders.push(`${file} imports ${spec}`);
      }
      const text = readFileSync(join(root, file), 'utf8');
      for (const global of text.match(
        /\b(?:window|document|navigator|localStorage|WebSocket|process|Buffer)\b(?=\s*[.([])/g,
      ) ?? []) {
        offenders.push(`${file} uses the host global ${global}`);
      }
    }
    expect(offenders).toEqual([]);
    // The rule has teeth: the CLI's transport, outside the core, does import socket.io-client.
    expect(importsOf('src/cli/chat/socket-io-transport.ts')).toContain('socket.io-client');
  });

  it('the use cases see their ports as types only', () => {
    const valueImports = sourceFiles('src/application').flatMap((file) =>
      importStatements(file)
        .filter((statement) => statement.spec.includes('/ports/') && !statement.typeOnly)
        .map((statement) => `${file} imports ${statement.spec} as a value`),
    );
    expect(valueImports).toEqual([]);
  });

  it('the domain is synchronous', () => {
    const asyncCode = sourceFiles('src/domain').filter((file) =>
      /\basync\b|\bawait\b|Promise/.test(readFileSync(join(root, file), 'utf8')),
    );
    expect(asyncCode).toEqual([]);
  });

  it('the use cases and the wiring take time from the Clock port only (timers included)', () => {
    const timed = [
      ...sourceFiles('src/domain'),
      ...sourceFiles('src/application'),
      ...sourceFiles('src/wiring'),
      'src/container.ts',
      'src/mesh-node.ts',
    ].filter((file) =>
      /\b(?:Date\.now|setTimeout|setInterval|setImmediate)\b/.test(readFileSync(join(root, file), 'utf8')),
    );
    expect(timed).toEqual([]);
  });

  it('only the composition root and the entry point touch tsyringe', () => {
    const users = sourceFiles('src').filter((file) => importsOf(file).includes('tsyringe'));
    expect(users.sort()).toEqual(['src/container.ts']);
  });

  it('the entry point loads a command only when it runs, and `node` its container only after the flags', () => {
    // A static import here would load every command, and the node's container, for `meshchat get --help`.
    const staticImports = (file: string) =>
      [
        ...readFileSync(join(root, file), 'utf8').matchAll(
          /^\s*(?:import|export)\b[^(]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm,
        ),
      ].map((m) => m[1] ?? m[2]);
    expect(staticImports('src/cli.ts').filter((spec) => spec?.startsWith('.'))).toEqual([]);
    expect(staticImports('src/main.ts')).not.toContain('./container.js');
    expect(staticImports('src/main.ts')).toContain('./cli/node-flags.js'); // the pattern does see them
  });

  it('the checker itself sees every form of import (it would catch a violation)', () => {
    expect(importsOf('src/adapters/http/create-http-app.ts')).toContain('hono');
    expect(importsOf('src/application/messaging/forward-message.ts')).toContain('../../domain/message.js');
    expect(importsOf('src/container.ts')).toContain('reflect-metadata');
    expect(importsOf('src/cli.ts')).toContain('./main.js');
    expect(importsOf('src/adapters/tunnel/ngrok-public-endpoint.ts')).toContain('@ngrok/ngrok');
    expect(importStatements('src/application/membership/leave.ts')).toContainEqual({
      spec: '../ports/clock.js',
      typeOnly: true,
    });
  });
});
