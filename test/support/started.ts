import { rmSync } from 'node:fs';
import { afterEach } from 'vitest';
import type { PlainNode } from '../interop/plain-node/spawn.js';
import type { CliProcess } from './processes.js';
import type { TestUser } from './users.js';

/** What a multi-process test started; each list is emptied and its items stopped or removed after each test. */
export interface Started {
  readonly processes: CliProcess[];
  readonly plainNodes: PlainNode[];
  readonly users: TestUser[];
  readonly dataDirs: string[];
}

/**
 * Registers an `afterEach` that closes every user, SIGKILLs every process and plain node (a crash: nothing is
 * left to wait for), and removes every data dir the test pushed onto the lists returned.
 */
export function stopAfterEach(): Started {
  const started: Started = { processes: [], plainNodes: [], users: [], dataDirs: [] };
  afterEach(async () => {
    for (const user of started.users.splice(0)) user.close();
    await Promise.all(
      started.processes.splice(0).map((p) => {
        p.child.kill('SIGKILL');
        return p.exited;
      }),
    );
    await Promise.all(started.plainNodes.splice(0).map((p) => p.stop('SIGKILL')));
    for (const dir of started.dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return started;
}
