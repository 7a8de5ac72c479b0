import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@openwaba/sdk';
import type { Simulator } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../../server/test/helpers/connect-number.ts';
import { until } from '../../../server/test/helpers/until.ts';
import { OWNER, settings, type TestApp } from '../../../server/test/helpers.ts';
import { type CliServer, startCliServer } from '../../test/cli-server.ts';
import { parsePhonesFile, parseVariableMap } from './campaign-input.ts';
import { progressView } from './campaign-view.ts';

const WABA = '8300001';
const NUM = {
  phone_number_id: '8300101',
  waba_id: WABA,
  display_phone_number: '+1 555 083 0101',
  access_token: 'tok-campaign-cli',
  // Slow enough to pause mid-way.
  throughput_mps: 40,
};

let sim: Simulator;
let server: CliServer;
let t: TestApp;
let api: Client;
let dir: string;

/** US numbers +1 202 555 2xxx, distinct per n. */
const phone = (n: number) => `+1202555${String(2000 + n).padStart(4, '0')}`;
const sentTo = () => sim.sentMessages().filter((m) => m.phone_number_id === NUM.phone_number_id);

const cli = (args: string[]) => server.cli(args);

/** Contacts with a tag and an opt-in on file, created through the sdk. */
async function contactsWithTag(tag: string, from: number, count: number) {
  const { id: tagId } = await api.tags.create({ name: tag });
  for (let i = from; i < from + count; i += 10) {
    await Promise.all(
      Array.from({ length: Math.min(10, from + count - i) }, (_, k) =>
        api.contacts.create({
          phone: phone(i + k),
          name: `Customer ${i + k}`,
          tag_ids: [tagId],
          opt_in: { source: 'web_form', proof: 'signed up at the counter' },
        }),
      ),
    );
  }
}

beforeAll(async () => {
  sim = await startSimulator({ seed: 31 }, [NUM]);
  for (const [name, category, text] of [
    ['spring_sale', 'MARKETING', 'Hi {{1}}, the spring sale starts now.'],
    ['spring_sale_b', 'MARKETING', 'Hello {{1}}! Spring sale: 20% off today.'],
    ['order_ready', 'UTILITY', 'Your order {{1}} is ready.'],
  ] as const) {
    sim.addTemplate({
      waba_id: WABA,
      name,
      language: 'en_US',
      category,
      components: [{ type: 'BODY', text, example: { body_text: [['Ana']] } }],
    });
  }
  // The real server, in-process on the test database, listening for the CLI's requests.
  server = await startCliServer({
    META_GRAPH_URL: sim.url,
    META_HTTP_TIMEOUT_MS: '1000',
    SEND_RECONCILE_WINDOW_SECONDS: '10',
    SEND_LEASE_SECONDS: '5',
  });
  ({ t, api, dir } = server);
  await api.numbers.create({
    display_name: 'Campaigns',
    phone_number_id: NUM.phone_number_id,
    waba_id: WABA,
    access_token: NUM.access_token,
    app_secret: 'campaign-cli-secret',
    verify_token: 'campaign-cli-verify',
  });
  await api.templates.sync();
  t.app.services.sender.start();
}, 120_000);
afterAll(async () => {
  await t?.app.services.sender.stop();
  await server?.close();
  await sim?.close();
});

describe('campaign flag parsing', () => {
  it('reads --map sources and a phones file', () => {
    expect(
      parseVariableMap([
        'body.1=contact.name,body.2=field.city,body.3=fixed:Hello, world',
        'header.1=column:2',
      ]),
    ).toEqual({
      'body.1': { contact: 'name' },
      'body.2': { contact: 'field.city' },
      'body.3': { fixed: 'Hello, world' },
      'header.1': { column: '2' },
    });
    expect(() => parseVariableMap(['body.1=name.first'])).toThrow(/not contact.name/);
    expect(parsePhonesFile('phone,code\n+1 202 555 0100,"A, 1"\n\n+12025550101,B\n')).toEqual([
      { phone: '+1 202 555 0100', variables: { '1': 'A, 1' } },
      { phone: '+12025550101', variables: { '1': 'B' } },
    ]);
    expect(parsePhonesFile('+12025550100\r\n+12025550101\r\n')).toEqual([
      { phone: '+12025550100' },
      { phone: '+12025550101' },
    ]);
  });

  it('draws a bar on a terminal and one line per change elsewhere', () => {
    const c = {
      id: '00000000-0000-4000-8000-000000000001',
      name: 'x',
      state: 'running',
      counts: { total: 11, pending: 4, queued: 2, sent: 3, failed: 0, skipped: 1, invalid: 1 },
      rate: 2,
      eta_seconds: 3,
    } as unknown as Parameters<ReturnType<typeof progressView>['update']>[0];
    let drawn = '';
    const bar = progressView(
      { out: () => {}, err: () => {} },
      {
        isTTY: true,
        write: (s: string) => {
          drawn += s;
          return true;
        },
      },
    );
    bar.update(c);
    expect(drawn).toContain('[############..................]  40%  4/10  2.0 msg/s  ETA 3s  running');
    const lines: string[] = [];
    const plain = progressView(
      { out: (l) => lines.push(l), err: () => {} },
      { isTTY: false, write: () => true },
    );
    plain.update(c);
    plain.update({ ...c, rate: 3 });
    plain.update({ ...c, state: 'completed', counts: { ...c.counts, sent: 9, pending: 0, queued: 0 } });
    expect(lines).toEqual([
      'running 40% 4/10 (sent 3, failed 0, skipped 1) 2.0 msg/s',
      'completed 100% 10/10 (sent 9, failed 0, skipped 1)',
    ]);
  });
});

describe(`openwaba campaign on ${settings.backend}`, { timeout: 180_000 }, () => {
  it('creates, starts and watches a campaign to completion; each customer gets one message', async () => {
    await contactsWithTag('spring', 0, 6);
    // A contact without a name: body.1 has no value for them, so they are invalid at creation.
    const { id: nameless } = await api.tags.create({ name: 'nameless' });
    await api.contacts.create({
      phone: phone(50),
      tag_ids: [nameless],
      opt_in: { source: 'web_form', proof: 'signed up at the counter' },
    });

    const created = await cli([
      'campaign',
      'create',
      '--name',
      'Spring sale',
      '--number',
      'Campaigns',
      '--template',
      'spring_sale',
      '--template',
      'spring_sale_b:en_US',
      '--map',
      'body.1=contact.name',
      '--tag',
      'spring',
      '--tag',
      'nameless',
    ]);
    expect(created.code, created.err).toBe(0);
    expect(created.out).toContain('Created campaign "Spring sale"');
    expect(created.out).toContain('7 recipients: 6 pending, 1 invalid');
    expect(created.out).toContain(`${phone(50)}: no value for body.1 (contact name)`);
    const id = /\(([0-9a-f-]{36})\)/.exec(created.out)![1]!;

    const listed = await cli(['campaign', 'list']);
    expect(listed.out).toMatch(new RegExp(`${id}\\s+Spring sale\\s+draft\\s+0/6`));

    const before = sentTo().length;
    const started = await cli(['campaign', 'start', id]);
    expect(started.code, started.err).toBe(0);
    expect(started.out).toMatch(/is (running|completed)/);
    expect(started.out).toContain('pre-flight: 6 ready');

    const watched = await cli(['campaign', 'status', id, '--watch']);
    expect(watched.code, watched.err).toBe(0);
    const lines = watched.out.split('\n');
    expect(
      lines.filter((l) => l.startsWith('completed 100% 6/6 (sent 6, failed 0, skipped 0)')),
    ).toHaveLength(1);
    expect(watched.out).toContain(`Campaign "Spring sale" (${id}) is completed`);
    expect(watched.out).toContain(
      '7 recipients: 6 sent, 0 failed, 0 skipped, 0 queued, 0 pending, 1 invalid',
    );

    const sent = sentTo().slice(before);
    expect(sent).toHaveLength(6);
    expect(new Set(sent.map((m) => m.to)).size).toBe(6);
    expect(sent.map((m) => (m.body.template as { name: string }).name).sort()).toEqual([
      'spring_sale',
      'spring_sale',
      'spring_sale',
      'spring_sale_b',
      'spring_sale_b',
      'spring_sale_b',
    ]);
    expect(JSON.stringify(sent.find((m) => m.to === phone(0).slice(1))?.body)).toContain('Customer 0');

    const json = await cli(['campaign', 'status', id, '--json']);
    expect(JSON.parse(json.out)).toMatchObject({ id, state: 'completed', counts: { sent: 6, invalid: 1 } });

    // The server refuses a second start: its message, a non-zero code, nothing sent again.
    const again = await cli(['campaign', 'start', id]);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/^error: .*completed/i);
    expect(sentTo().length - before).toBe(6);
  });

  it('creates a draft from a CSV audience file: the phone column named, a column filling the variable', async () => {
    await contactsWithTag('file-audience', 400, 2);
    const file = join(dir, 'audience.csv');
    writeFileSync(file, `Order,Mobile\nB-1,${phone(400)}\nB-2,${phone(401)}\nB-3,not a phone\n`);
    const created = await cli([
      'campaign',
      'create',
      '--name',
      'From a file',
      '--template',
      'order_ready',
      '--map',
      'body.1=column:Order',
      '--file',
      file,
      '--phone-column',
      'Mobile',
    ]);
    expect(created.code, created.err).toBe(0);
    expect(created.out).toContain('3 recipients: 2 pending, 1 invalid');
    expect(created.out).toContain('not a phone: phone: ');
    const id = /\(([0-9a-f-]{36})\)/.exec(created.out)![1]!;
    const c = await api.campaigns.get(id);
    expect(c.audience).toMatchObject({ kind: 'file', filename: 'audience.csv', count: 3 });
    const rows = (await api.campaigns.recipients(id, {})).data;
    expect(rows.map((r) => [r.row_number, r.phone])).toEqual([
      [2, phone(400)],
      [3, phone(401)],
      [4, null],
    ]);
  });

  it('pauses and resumes a bigger campaign from a phones file; nothing is sent twice', async () => {
    const count = 150;
    await contactsWithTag('big', 100, count);
    const file = join(dir, 'phones.csv');
    writeFileSync(
      file,
      `phone,order\n${Array.from({ length: count }, (_, i) => `${phone(100 + i)},A-${i}`).join('\n')}\n`,
    );
    const created = await cli([
      'campaign',
      'create',
      '--name',
      'Orders',
      '--template',
      'order_ready',
      '--map',
      'body.1=column:1',
      '--phones',
      file,
      '--json',
    ]);
    expect(created.code, created.err).toBe(0);
    const c = JSON.parse(created.out);
    expect(c).toMatchObject({ state: 'draft', counts: { total: count, pending: count, invalid: 0 } });

    const before = sentTo().length;
    expect((await cli(['campaign', 'start', c.id])).code).toBe(0);
    await until('some sent', () => sentTo().length - before >= 20);
    const paused = await cli(['campaign', 'pause', c.id]);
    expect(paused.code, paused.err).toBe(0);
    expect(paused.out).toContain('is paused: paused by a person');

    // --watch on a paused campaign reports and returns: there is nothing to wait for.
    const watchPaused = await cli(['campaign', 'status', c.id, '--watch']);
    expect(watchPaused.code).toBe(0);
    expect(watchPaused.out).toMatch(/^paused \d+% \d+\/150/m);
    await new Promise((r) => setTimeout(r, 1000));
    const atPause = sentTo().length;
    await new Promise((r) => setTimeout(r, 800));
    expect(sentTo().length).toBe(atPause);
    expect(atPause - before).toBeLessThan(count);

    const resumed = await cli(['campaign', 'resume', c.id]);
    expect(resumed.code, resumed.err).toBe(0);
    expect(resumed.out).toContain('is running');
    const watched = await cli(['campaign', 'status', c.id, '--watch', '--interval', '200']);
    expect(watched.code, watched.err).toBe(0);
    const lines = watched.out.split('\n').filter((l) => /^\w+ \d+% /.test(l));
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.at(-1)).toMatch(/^completed 100% 150\/150 \(sent 150, failed 0, skipped 0\)/);
    // One line per change: no two lines alike.
    expect(new Set(lines).size).toBe(lines.length);

    const sent = sentTo().slice(before);
    expect(sent).toHaveLength(count);
    expect(new Set(sent.map((m) => m.to)).size).toBe(count);
    expect(JSON.stringify(sent.find((m) => m.to === phone(107).slice(1))?.body)).toContain('A-7');
  });

  it('schedules with --at and stops with --yes', async () => {
    const created = await cli([
      'campaign',
      'create',
      '--name',
      'Later',
      '--template',
      'order_ready',
      '--map',
      'body.1=fixed:B-1',
      '--tag',
      'spring',
      '--json',
    ]);
    expect(created.code, created.err).toBe(0);
    const { id } = JSON.parse(created.out);
    const at = new Date(Date.now() + 3_600_000).toISOString();
    const scheduled = await cli(['campaign', 'start', id, '--at', at]);
    expect(scheduled.code, scheduled.err).toBe(0);
    expect(scheduled.out).toContain('is scheduled for');
    const stopped = await cli(['campaign', 'stop', id, '--yes', '--json']);
    expect(stopped.code, stopped.err).toBe(0);
    expect(JSON.parse(stopped.out)).toMatchObject({ id, state: 'stopped' });
  });

  it('bad flags exit 2 with a clear message; the server refusing exits 1 with its message', async () => {
    const base = ['campaign', 'create', '--name', 'Bad', '--tag', 'spring'];
    const cases: [string[], RegExp][] = [
      [['campaign', 'create', '--tag', 'spring', '--template', 'order_ready'], /--name: is required/],
      [base, /--template: is required/],
      [['campaign', 'create', '--name', 'Bad', '--template', 'order_ready'], /Say who receives it/],
      [
        [...base, '--template', 'spring_sale', '--template', 'order_ready', '--split', 'ab', '--share', '60'],
        /--share: is needed once per --template/,
      ],
      [
        [
          ...base,
          '--template',
          'spring_sale',
          '--template',
          'spring_sale_b',
          '--split',
          'ab',
          '--share',
          '50',
          '--share',
          '40',
        ],
        /--share: the shares must add up to 100/,
      ],
      [[...base, '--template', 'order_ready', '--split', 'random'], /--split: must be sequential or ab/],
      [[...base, '--template', 'order_ready', '--split', 'ab', '--share', '100'], /--share: must be 1 to 99/],
      [[...base, '--template', 'order_ready', '--map', 'body.1=nickname'], /--map body.1: "nickname" is not/],
      [
        [...base, '--template', 'order_ready', '--phones', join(dir, 'nope.csv')],
        /--file, --phones and --all-contacts each stand alone/,
      ],
      [
        [...base, '--template', 'order_ready', '--phone-column', 'Mobile'],
        /--phoneColumn: only goes with --file|--phone-column: only goes with --file/,
      ],
      [
        [
          'campaign',
          'create',
          '--name',
          'Bad',
          '--template',
          'order_ready',
          '--file',
          join(dir, 'nope.xlsx'),
        ],
        /--file: cannot read/,
      ],
      [
        [
          'campaign',
          'create',
          '--name',
          'Bad',
          '--template',
          'order_ready',
          '--phones',
          join(dir, 'nope.csv'),
        ],
        /--phones: cannot read/,
      ],
      [
        [...base, '--template', 'no_such_template'],
        /--template: no template "no_such_template".*Usable in campaigns: .*order_ready:en_US/,
      ],
      [[...base, '--template', 'order_ready:pt_BR'], /--template: no template "order_ready:pt_BR"/],
      [[...base, '--template', 'order_ready', '--tag', 'nobody'], /--tag: no tag "nobody"/],
      [
        [...base, '--template', 'order_ready', '--number', 'Other line'],
        /No number has the id or name "Other line"/,
      ],
      [['campaign', 'start', 'no such campaign'], /No campaign has the id or name "no such campaign"/],
      [
        ['campaign', 'start', '00000000-0000-4000-8000-000000000001', '--at', 'tomorrow'],
        /--at: must be an ISO date/,
      ],
      [['campaign', 'status'], /missing required argument 'id'/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      expect(r.code, `${args.join(' ')}\n${r.err}`).toBe(2);
      expect(r.err).toMatch(message);
    }

    // A draft cannot be paused: the server says so.
    const draft = JSON.parse(
      (await cli([...base, '--template', 'order_ready', '--map', 'body.1=fixed:X', '--json'])).out,
    );
    const pause = await cli(['campaign', 'pause', draft.id]);
    expect(pause.code).toBe(1);
    expect(pause.err).toMatch(/^error: .*draft/);
    // A wrong password is a clear refusal too.
    const denied = await cli(['campaign', 'list', '--password', 'not the password']);
    expect(denied.code).toBe(1);
    expect(denied.err).toContain(`Cannot sign in to ${server.url} as ${OWNER.email}`);
    const down = await cli(['campaign', 'list', '--url', 'http://127.0.0.1:9']);
    expect(down.code).toBe(1);
    expect(down.err).toContain('Cannot reach the server at http://127.0.0.1:9');
  });
});
