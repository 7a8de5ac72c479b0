import { PassThrough } from 'node:stream';
import { createSimulator, type Simulator } from '@openwaba/simulator';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { OWNER, settings } from '../../../server/test/helpers.ts';
import { type CliServer, startCliServer } from '../../test/cli-server.ts';
import { runNumbersAdd, SECRET_ENV } from './numbers.ts';

const MAIN = {
  phone_number_id: '1000001',
  waba_id: '2000001',
  display_phone_number: '+1 555 010 0001',
  verified_name: 'Corner Bakery',
  access_token: 'token-valid-0001',
  quality_rating: 'GREEN' as const,
  messaging_limit_tier: 'TIER_2K' as const,
};
const SECOND = {
  ...MAIN,
  phone_number_id: '1000002',
  display_phone_number: '+1 555 010 0002',
  verified_name: 'Second Bakery',
  access_token: 'token-valid-0002',
};
const TYPED = { ...MAIN, phone_number_id: '1000003', access_token: 'token-valid-0003' };
const SECRETS = { app_secret: 'app-secret-0001', verify_token: 'verify-token-0001' };

let sim: Simulator;
let server: CliServer;
/** The id `numbers add` gave the first number, for `numbers test <id>`. */
let mainId: string;

beforeAll(async () => {
  sim = await createSimulator({ seed: 11 });
  await sim.listen(0, '127.0.0.1');
  for (const n of [MAIN, SECOND, TYPED]) sim.addNumber(n);
  server = await startCliServer({ META_GRAPH_URL: sim.url });
});
afterAll(async () => {
  await server?.close();
  await sim?.close();
});
afterEach(() => vi.unstubAllEnvs());

const cli = (args: string[]) => server.cli(args);

const addMain = [
  'numbers',
  'add',
  '--display-name',
  'Main line',
  '--phone-number-id',
  MAIN.phone_number_id,
  '--waba-id',
  MAIN.waba_id,
  '--verify-token',
  SECRETS.verify_token,
];

function expectNoSecret(text: string) {
  for (const s of [MAIN.access_token, SECOND.access_token, SECRETS.app_secret, SECRETS.verify_token])
    expect(text).not.toContain(s);
}

describe(`openwaba numbers against a running server on ${settings.backend}`, { timeout: 90_000 }, () => {
  it('explains bad flags with exit code 2 before signing in', async () => {
    const bad = await cli([
      'numbers',
      'add',
      '--display-name',
      'Main line',
      '--phone-number-id',
      'abc',
      '--waba-id',
      MAIN.waba_id,
      '--access-token',
      'x',
      '--app-secret',
      SECRETS.app_secret,
      '--verify-token',
      SECRETS.verify_token,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--phone-number-id: must be the numeric id');
    expect(bad.err).toContain('--access-token: The access token looks too short');

    const missing = await cli(['numbers', 'add', '--display-name', 'Main line']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain(
      'Missing --phone-number-id, --waba-id, --access-token, --app-secret, --verify-token',
    );
    expect(missing.err).toContain(SECRET_ENV.accessToken);

    const badId = await cli(['numbers', 'test', 'not-an-id']);
    expect(badId.code).toBe(2);
    expect(badId.err).toContain("<number>: must be the number's id (a UUID) or its phone number id");
    const emptyOrg = await cli(['numbers', 'list', '--org', ' ']);
    expect(emptyOrg.code).toBe(2);
    expect(emptyOrg.err).toContain('--org: must be an organisation id or name');
    expect((await cli(['numbers', 'remove'])).code).toBe(2);
    expect((await cli(['numbers', 'list', '--bogus'])).code).toBe(2);

    const down = await cli(['numbers', 'list', '--url', 'http://127.0.0.1:9']);
    expect(down.code).toBe(1);
    expect(down.err).toContain('Cannot reach the server at http://127.0.0.1:9');
    const denied = await cli(['numbers', 'list', '--password', 'not the password']);
    expect(denied.code).toBe(1);
    expect(denied.err).toContain(`Cannot sign in to ${server.url} as ${OWNER.email}`);
  });

  it('adds a number once Meta accepts it and lists it without its secrets', async () => {
    // Secrets from the environment, as --help recommends.
    vi.stubEnv(SECRET_ENV.accessToken, MAIN.access_token);
    vi.stubEnv(SECRET_ENV.appSecret, SECRETS.app_secret);
    const added = await cli(addMain);
    expect(added.code, added.err).toBe(0);
    expect(added.out).toContain(`Connected "Main line" (+1 555 010 0001) to "${OWNER.org}".`);
    expect(added.out).toContain(
      'Meta says: verified name Corner Bakery, quality GREEN, throughput STANDARD, messaging limit TIER_2K.',
    );
    expect(added.out).toContain(`set the webhook callback URL to ${server.url}/webhooks/whatsapp`);
    expectNoSecret(added.out + added.err);

    vi.unstubAllEnvs();

    const table = await cli(['numbers', 'list']);
    expect(table.code, table.err).toBe(0);
    const [header, row] = table.out.split('\n');
    expect(header).toMatch(/^NAME\s+PHONE\s+PHONE NUMBER ID\s+WABA ID\s+STATUS\s+SANDBOX\s+QUALITY\s+LIMIT$/);
    expect(row).toMatch(/^Main line\s+\+1 555 010 0001\s+1000001\s+2000001\s+active\s+no\s+GREEN\s+TIER_2K$/);
    expectNoSecret(table.out);

    const json = await cli(['numbers', 'list', '--json']);
    expect(json.code).toBe(0);
    const list = JSON.parse(json.out);
    expect(list).toEqual([
      expect.objectContaining({
        display_name: 'Main line',
        phone_number_id: MAIN.phone_number_id,
        waba_id: MAIN.waba_id,
        status: 'active',
        is_sandbox: false,
        has_access_token: true,
      }),
    ]);
    expectNoSecret(json.out);
    mainId = list[0].id;

    // Made through the API, signed in: the change is the owner's own, in the audit log.
    const { data: audit } = await server.api.audit.list({ action: 'number.create' });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_type: 'user', actor_id: server.t.ownerId, entity_id: mainId });
    expectNoSecret(JSON.stringify(audit));
  });

  it('prints what Meta said when it refuses the token, and saves nothing', async () => {
    const refused = await cli([
      'numbers',
      'add',
      '--display-name',
      'Second line',
      '--phone-number-id',
      SECOND.phone_number_id,
      '--waba-id',
      SECOND.waba_id,
      '--access-token',
      'not-the-right-token',
      '--app-secret',
      SECRETS.app_secret,
      '--verify-token',
      SECRETS.verify_token,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(
      'error: Meta refused the connection: Invalid OAuth access token - Cannot parse access token',
    );
    expect(refused.err).toContain('[code 190]');
    expect(refused.err).toContain('Check the access token');
    expect(refused.err).toContain('Nothing was saved.');
    expect(refused.err).not.toContain('not-the-right-token');
    const list = JSON.parse((await cli(['numbers', 'list', '--json'])).out);
    expect(list.map((n: { phone_number_id: string }) => n.phone_number_id)).toEqual([MAIN.phone_number_id]);
  });

  it('tests a stored number with Meta; a rejected token pauses it', async () => {
    const ok = await cli(['numbers', 'test', MAIN.phone_number_id]);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toBe(
      'Meta answered for "Main line" (1000001): verified name Corner Bakery, quality GREEN, throughput STANDARD, messaging limit TIER_2K.',
    );
    const json = await cli(['numbers', 'test', mainId, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({
      id: mainId,
      ok: true,
      health: { verified_name: 'Corner Bakery' },
    });

    sim.updateNumber(MAIN.phone_number_id, { token_status: 'expired' });
    const expired = await cli(['numbers', 'test', MAIN.phone_number_id, '--json']);
    expect(expired.code).toBe(1);
    expect(JSON.parse(expired.out)).toMatchObject({ ok: false, error: { code: 190, kind: 'token' } });
    expect(expired.err).toContain('error: Meta refused "Main line" (1000001)');
    expect(expired.err).toContain('Sending from this number is paused');
    const table = await cli(['numbers', 'list']);
    expect(table.out).toMatch(/Main line .* inactive /);
    expect(table.out).toContain('Main line is inactive: Meta rejected the access token (190/463)');
    sim.updateNumber(MAIN.phone_number_id, { token_status: 'valid' });

    const unknown = await cli(['numbers', 'test', '9999999']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('No number has the id or phone number id 9999999');
  });

  it('with several organisations, --org picks one by id or name; test searches all of them', async () => {
    const beta = await server.api.orgs.create({ name: 'Beta' });
    const betaId = beta.id;

    // Without --org: the organisation the session starts in (the first by name).
    const first = await cli(['numbers', 'list', '--json']);
    expect(first.code, first.err).toBe(0);
    expect(JSON.parse(first.out).map((n: { display_name: string }) => n.display_name)).toEqual(['Main line']);
    const nope = await cli(['numbers', 'list', '--org', 'Gamma']);
    expect(nope.code).toBe(2);
    expect(nope.err).toContain('None of your organisations has the id or name "Gamma"');
    expect(nope.err).toContain(`${betaId}  Beta`);
    const empty = await cli(['numbers', 'list', '--org', 'Beta']);
    expect(empty.code, empty.err).toBe(0);
    expect(empty.out).toBe('No numbers connected to "Beta" yet. Connect one with `openwaba numbers add`.');

    const added = await cli([
      'numbers',
      'add',
      '--org',
      'Beta',
      '--json',
      '--display-name',
      'Beta line',
      '--phone-number-id',
      SECOND.phone_number_id,
      '--waba-id',
      SECOND.waba_id,
      '--access-token',
      SECOND.access_token,
      '--app-secret',
      SECRETS.app_secret,
      '--verify-token',
      SECRETS.verify_token,
    ]);
    expect(added.code, added.err).toBe(0);
    expect(JSON.parse(added.out)).toMatchObject({
      display_name: 'Beta line',
      health: { verified_name: 'Second Bakery' },
    });
    expectNoSecret(added.out);

    const byId = JSON.parse((await cli(['numbers', 'list', '--org', betaId, '--json'])).out);
    expect(byId.map((n: { display_name: string }) => n.display_name)).toEqual(['Beta line']);
    // A number's phone number id is unique on the install: test finds it in any of your organisations.
    expect((await cli(['numbers', 'test', SECOND.phone_number_id])).out).toContain('"Beta line"');
    const elsewhere = await cli(['numbers', 'test', SECOND.phone_number_id, '--org', OWNER.org]);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.err).toContain('No number has the id or phone number id 1000002 in that organisation');
  });

  it('a member whose role may not connect numbers is refused by the server', async () => {
    await server.t.member('agent', 'agent-numbers@example.com');
    const refused = await server.cli(
      [
        'numbers',
        'add',
        '--display-name',
        'Agent line',
        '--phone-number-id',
        TYPED.phone_number_id,
        '--waba-id',
        TYPED.waba_id,
        '--access-token',
        TYPED.access_token,
        '--app-secret',
        SECRETS.app_secret,
        '--verify-token',
        SECRETS.verify_token,
      ],
      { OPENWABA_ADMIN_EMAIL: 'agent-numbers@example.com', OPENWABA_ADMIN_PASSWORD: 'member password 1' },
    );
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^error: Your role \(agent\) cannot do this/);
    const listed = await server.cli(['numbers', 'list', '--json'], {
      OPENWABA_ADMIN_EMAIL: 'agent-numbers@example.com',
      OPENWABA_ADMIN_PASSWORD: 'member password 1',
    });
    expect(JSON.parse(listed.out).map((n: { phone_number_id: string }) => n.phone_number_id)).not.toContain(
      TYPED.phone_number_id,
    );
  });

  it('asks on a terminal for what is missing, without echoing the secrets', async () => {
    const input = new PassThrough();
    const prompts = new PassThrough();
    let asked = '';
    const answers: [RegExp, string][] = [
      [/WhatsApp Business Account ID: $/, TYPED.waba_id],
      [/Access token \(not shown\): $/, TYPED.access_token],
      [/App secret \(not shown\): $/, SECRETS.app_secret],
      [/Webhook verify token \(not shown\): $/, SECRETS.verify_token],
    ];
    prompts.on('data', (d) => {
      asked += d;
      const answer = answers.find(([question]) => question.test(asked));
      if (answer) input.write(`${answer[1]}\n`);
    });
    const out: string[] = [];
    await runNumbersAdd(
      { publicUrl: server.url, OPENWABA_ADMIN_EMAIL: OWNER.email, OPENWABA_ADMIN_PASSWORD: OWNER.password },
      { out: (l) => out.push(l), err: () => {} },
      { displayName: 'Typed line', phoneNumberId: TYPED.phone_number_id, org: OWNER.org, json: true },
      { input, output: prompts, interactive: true },
    );
    expect(asked).toContain('Access token (not shown): ');
    expect(asked).not.toContain('Display name');
    expect(asked).not.toContain(TYPED.access_token);
    expect(JSON.parse(out[0]!)).toMatchObject({ display_name: 'Typed line', status: 'active' });
  });
});
