import { createSimulator, type Simulator } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OWNER, settings } from '../../../server/test/helpers.ts';
import { type CliServer, startCliServer } from '../../test/cli-server.ts';

const NUM = {
  phone_number_id: '1900001',
  waba_id: '2900001',
  display_phone_number: '+1 555 019 0001',
  access_token: 'token-templates-cli',
};

let sim: Simulator;
let server: CliServer;

beforeAll(async () => {
  sim = await createSimulator({ seed: 19 });
  await sim.listen(0, '127.0.0.1');
  sim.addNumber(NUM);
  sim.addTemplate({
    waba_id: NUM.waba_id,
    name: 'order_update',
    language: 'en_US',
    category: 'UTILITY',
    components: [{ type: 'BODY', text: 'Order {{1}} ships today.' }],
  });
  sim.addTemplate({
    waba_id: NUM.waba_id,
    name: 'login_code',
    language: 'en_US',
    category: 'AUTHENTICATION',
    components: [{ type: 'BODY', text: '{{1}} is your code.' }],
  });
  server = await startCliServer({ META_GRAPH_URL: sim.url });
});
afterAll(async () => {
  await server?.close();
  await sim?.close();
});

describe(`openwaba templates against a running server on ${settings.backend}`, () => {
  it('syncs from Meta and lists the catalogue; bad flags exit 2 with a clear message', async () => {
    const { cli } = server;
    const none = await cli(['templates', 'sync']);
    expect(none.code, none.err).toBe(0);
    expect(none.out).toContain(`Synced 0 template(s) from 0 account(s) of "${OWNER.org}"`);
    expect(none.out).toContain('No active number to sync from');
    expect((await cli(['templates', 'list'])).out).toBe('No templates. Run `openwaba templates sync` first.');

    const add = await cli([
      'numbers',
      'add',
      '--display-name',
      'Main',
      '--phone-number-id',
      NUM.phone_number_id,
      '--waba-id',
      NUM.waba_id,
      '--access-token',
      NUM.access_token,
      '--app-secret',
      'secret-1',
      '--verify-token',
      'verify-1',
    ]);
    expect(add.code, add.err).toBe(0);

    const sync = await cli(['templates', 'sync', '--json']);
    expect(sync.code, sync.err).toBe(0);
    expect(JSON.parse(sync.out)).toMatchObject({ wabas: 1, templates: 2, created: 2, quarantined: 1 });
    const again = await cli(['templates', 'sync', '--waba', NUM.waba_id]);
    expect(again.code, again.err).toBe(0);
    expect(again.out).toMatch(
      new RegExp(
        `^Synced 2 template\\(s\\) from 1 account\\(s\\) of "${OWNER.org}": 0 new, \\d+ updated, 0 gone at Meta`,
      ),
    );

    const list = await cli(['templates', 'list']);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/order_update\s+en_US\s+APPROVED\s+UTILITY\s+yes/);
    expect(list.out).toMatch(/login_code .*quarantined: Category AUTHENTICATION is not allowed in campaigns/);

    const usable = JSON.parse((await cli(['templates', 'list', '--usable', '--json'])).out);
    expect(usable.map((t: { name: string }) => t.name)).toEqual(['order_update']);
    const quarantined = JSON.parse((await cli(['templates', 'list', '--quarantined', '--json'])).out);
    expect(quarantined.map((t: { name: string }) => t.name)).toEqual(['login_code']);
    // The same catalogue the API shows.
    expect((await server.api.templates.list()).data.map((t) => t.name).sort()).toEqual([
      'login_code',
      'order_update',
    ]);

    const bad = await cli(['templates', 'sync', '--waba', 'abc']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--waba: must be a WhatsApp Business Account id/);
    const org = await cli(['templates', 'list', '--org', 'Nobody']);
    expect(org.code).toBe(2);
    expect(org.err).toContain('None of your organisations has the id or name "Nobody"');
  });

  it('a viewer may list but not sync', async () => {
    await server.t.member('viewer', 'viewer-templates@example.com');
    const as = {
      OPENWABA_ADMIN_EMAIL: 'viewer-templates@example.com',
      OPENWABA_ADMIN_PASSWORD: 'member password 1',
    };
    const listed = await server.cli(['templates', 'list', '--json'], as);
    expect(listed.code, listed.err).toBe(0);
    expect(JSON.parse(listed.out)).toHaveLength(2);
    const sync = await server.cli(['templates', 'sync'], as);
    expect(sync.code).toBe(1);
    expect(sync.err).toMatch(/^error: Your role \(viewer\) cannot do this/);
  });
});
