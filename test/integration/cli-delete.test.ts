// `meshchat delete` through the real CLI (a child process) against a real node on 127.0.0.1: alice publishes
// with `meshchat publish`, deletes by id and by OWNER/NAME, and `meshchat files` no longer lists what she
// deleted; bob's attempt on alice's file, an id the node does not have, another owner's OWNER/NAME and a
// missing password each end with one line naming the cause and exit 1, and change nothing.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MeshNode } from '../../src/mesh-node.js';
import { registerAndLogin } from '../support/accounts-http.js';
import { startTestNode, stopAll } from '../support/nodes.js';
import { runCliToEnd } from '../support/processes.js';

const PASSWORD = 'correct horse battery';
const AS_ALICE = { MESHCHAT_PASSWORD: PASSWORD };
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

const nodes: MeshNode[] = [];
let node: MeshNode;
let dir: string;

beforeAll(async () => {
  node = await startTestNode('cli-delete');
  nodes.push(node);
  await registerAndLogin(node.url, 'alice', PASSWORD);
  await registerAndLogin(node.url, 'bob', PASSWORD);
  dir = mkdtempSync(join(tmpdir(), 'meshchat-cli-delete-'));
});

afterAll(async () => {
  await stopAll(nodes);
  rmSync(dir, { recursive: true, force: true });
});

/** Publishes a fresh file as alice through the CLI; its id. */
async function publish(name: string): Promise<string> {
  const content = randomBytes(2048);
  const path = join(dir, name);
  writeFileSync(path, content);
  const run = await runCliToEnd(['publish', path, '--node', node.url, '--login', 'alice'], AS_ALICE);
  expect(run, run.stderr).toMatchObject({ code: 0 });
  return sha(content);
}

/** The ids `meshchat files --local --json` lists. */
async function listed(): Promise<string[]> {
  const run = await runCliToEnd(['files', '--node', node.url, '--local', '--json']);
  expect(run, run.stderr).toMatchObject({ code: 0 });
  return run.stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => (JSON.parse(line) as { id: string }).id);
}

/** One line on stderr, `meshchat delete: …`, containing `text`; nothing on stdout; exit 1. */
function refused(run: { code: number | string; stdout: string; stderr: string }, text: string) {
  expect(run, run.stderr).toMatchObject({ code: 1, stdout: '' });
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
  expect(run.stderr).toMatch(/^meshchat delete: /);
  expect(run.stderr).toContain(text);
}

describe('meshchat delete', () => {
  it('deletes a published file by id and by OWNER/NAME: files lists it no more', async () => {
    const first = await publish('minutes.txt');
    const second = await publish('slides.pdf');
    expect(await listed()).toEqual(expect.arrayContaining([first, second]));

    const byId = await runCliToEnd(
      ['delete', first.toUpperCase(), '--node', node.url, '--login', 'alice'],
      AS_ALICE,
    );
    expect(byId).toEqual({ code: 0, stdout: `deleted minutes.txt (${first})\n`, stderr: '' });
    const address = `alice@${node.registry.self.id}`;
    const byName = await runCliToEnd(
      ['delete', `${address}/slides.pdf`, '--node', node.url, '--login', 'alice'],
      AS_ALICE,
    );
    expect(byName).toEqual({ code: 0, stdout: `deleted slides.pdf (${second})\n`, stderr: '' });

    const now = await listed();
    expect(now).not.toContain(first);
    expect(now).not.toContain(second);
    // Deleted once: again is "not found", with the same one line.
    refused(
      await runCliToEnd(['delete', first, '--node', node.url, '--login', 'alice'], AS_ALICE),
      `not found: ${node.url} has no file ${first}`,
    );
  });

  it("refuses bob's delete of alice's file, by id and by OWNER/NAME, and keeps it", async () => {
    const id = await publish('keep-me.txt');
    const asBob = { MESHCHAT_PASSWORD: PASSWORD };
    refused(
      await runCliToEnd(['delete', id, '--node', node.url, '--login', 'bob'], asBob),
      'not yours: This file was published by alice@cli-delete; only its owner can delete it.',
    );
    // By OWNER/NAME the flags say it is not bob's: refused before a password is asked for (none is given).
    refused(
      await runCliToEnd(['delete', `alice@cli-delete/keep-me.txt`, '--node', node.url, '--login', 'bob'], {
        MESHCHAT_PASSWORD: '',
      }),
      'alice@cli-delete/keep-me.txt is not yours: --login is bob, and only its owner, alice, can delete it',
    );
    expect(await listed()).toContain(id);
  });

  it('says which node to ask when --node is not the node the file was published on', async () => {
    const id = await publish('agenda.txt');
    const other = await startTestNode('cli-delete-other');
    nodes.push(other);
    const address = `alice@${node.registry.self.id}`;
    const run = await runCliToEnd(
      ['delete', `${address}/agenda.txt`, '--node', other.url, '--login', 'alice'],
      AS_ALICE,
    );
    // Not "login failed: the user name or password is wrong": alice has no account on the other node.
    refused(
      run,
      `${address}/agenda.txt was published on node ${node.registry.self.id}, and ${new URL(other.url).origin} is node ${other.registry.self.id}: give ${node.registry.self.id}'s URL as --node`,
    );
    expect(await listed()).toContain(id);
  });

  it('says when alice has no file of that name, or no password was given; -h prints the usage', async () => {
    const id = await publish('still-here.txt');
    refused(
      await runCliToEnd(
        ['delete', 'alice@cli-delete/nothing.txt', '--node', node.url, '--login', 'alice'],
        AS_ALICE,
      ),
      'alice@cli-delete has no file named "nothing.txt"',
    );
    refused(
      await runCliToEnd(['delete', id, '--node', node.url, '--login', 'alice'], { MESHCHAT_PASSWORD: '' }),
      'login failed: no password: set MESHCHAT_PASSWORD',
    );
    refused(
      await runCliToEnd(['delete', id, '--node', node.url, '--login', 'alice'], {
        MESHCHAT_PASSWORD: 'wrong password',
      }),
      'login failed: ',
    );
    expect(await listed()).toContain(id);

    const help = await runCliToEnd(['delete', '-h']);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: meshchat delete ID\|OWNER\/NAME --node URL --login NAME\n/);
    const usage = await runCliToEnd(['delete', 'not-an-id', '--node', node.url, '--login', 'alice']);
    expect(usage).toMatchObject({ code: 2, stdout: '' });
    expect(usage.stderr).toMatch(/^meshchat delete: name the file by its id .*'not-an-id'\n$/);
  });
});
