import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settings } from '../../../server/test/helpers.ts';
import { type CliServer, startCliServer } from '../../test/cli-server.ts';

let server: CliServer;
let dir: string;
const pos = { x: 0, y: 0 };
const flow = {
  openwaba_flow: 1,
  name: 'Menu',
  description: 'from the CLI',
  graph: {
    nodes: [
      {
        id: 't',
        type: 'trigger',
        position: pos,
        data: { kind: 'keyword', match: { kind: 'equals', patterns: ['menu'] } },
      },
      { id: 's', type: 'send_text', position: pos, data: { text: 'Here is the menu' } },
    ],
    edges: [{ id: 'e1', source: 't', source_handle: 'next', target: 's' }],
  },
};

beforeAll(async () => {
  server = await startCliServer();
  dir = await mkdtemp(join(tmpdir(), 'openwaba-flows-cli-'));
});
afterAll(async () => {
  await server?.close();
});

describe(`openwaba flows against a running server on ${settings.backend}`, () => {
  it('imports, lists and exports a flow; bad files exit 2 with a clear message and import nothing', async () => {
    const { cli } = server;
    expect((await cli(['flows', 'list'])).out).toMatch(/No flows/);
    const file = join(dir, 'menu.json');
    await writeFile(file, JSON.stringify(flow));
    const imported = await cli(['flows', 'import', file]);
    expect(imported.code, imported.err).toBe(0);
    const id = imported.out.match(/draft: ([0-9a-f-]{36})/)![1]!;
    const list = await cli(['flows', 'list']);
    expect(list.out).toContain('Menu');
    expect(list.out).toContain('draft');
    const out = join(dir, 'out.json');
    const exported = await cli(['flows', 'export', id, '--out', out]);
    expect(exported.code, exported.err).toBe(0);
    expect(JSON.parse(await readFile(out, 'utf8'))).toMatchObject(flow);
    expect(JSON.parse((await cli(['flows', 'export', id])).out).graph).toMatchObject(flow.graph);

    const notJson = join(dir, 'bad.json');
    await writeFile(notJson, '{ nope');
    const r1 = await cli(['flows', 'import', notJson]);
    expect(r1.code).toBe(2);
    expect(r1.err).toMatch(/is not JSON/);
    const notFlow = join(dir, 'other.json');
    await writeFile(notFlow, JSON.stringify({ hello: 1 }));
    const r2 = await cli(['flows', 'import', notFlow]);
    expect(r2.code).toBe(2);
    expect(r2.err).toMatch(/openwaba_flow/);
    expect(r2.err).toMatch(/not a flow export/);
    // Parses, but does not validate (a wait whose timeout leads nowhere): the server's 400 with paths.
    const dangling = join(dir, 'dangling.json');
    await writeFile(
      dangling,
      JSON.stringify({
        ...flow,
        graph: {
          nodes: [
            ...flow.graph.nodes,
            { id: 'w', type: 'wait_reply', position: pos, data: { timeout_minutes: 5 } },
          ],
          edges: [...flow.graph.edges, { id: 'e2', source: 's', source_handle: 'next', target: 'w' }],
        },
      }),
    );
    const r3 = await cli(['flows', 'import', dangling]);
    expect(r3.code).not.toBe(0);
    expect(r3.err).toMatch(/graph\.nodes\.2/);
    expect((await cli(['flows', 'import', join(dir, 'missing.json')])).err).toMatch(/no such file/);
    expect((await cli(['flows', 'export', 'nope'])).code).toBe(2);
    expect((await cli(['flows', 'list', '--json'])).out).toContain(id);
    expect(JSON.parse((await cli(['flows', 'list', '--json'])).out)).toHaveLength(1);
  });
});
