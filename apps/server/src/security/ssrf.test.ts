import type { Simulator } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNumber, startSimulator } from '../../test/helpers/connect-number.ts';
import { metaEnvelope } from '../../test/helpers/meta-fixtures.ts';
import { storeWebhook } from '../../test/helpers/webhooks.ts';
import { createTestApp, settings, type TestApp, type TestClient } from '../../test/helpers.ts';
import {
  ALLOW_PRIVATE_CORPUS,
  ALLOW_PRIVATE_SETTING,
  corpusLookup,
  DEFAULT_CORPUS,
  type SsrfCase,
} from '../../test/ssrf-corpus.ts';

// The SSRF corpus through every route that accepts a URL: template authoring (sample media, URL
// buttons), template preview, sends with a media link (free-form and template header), campaign
// mappings and campaign files. A refused URL is a 400 naming the field (per row in a file) and
// leaves nothing behind; an allowed one goes through. Names resolve only through the corpus's
// resolver, and nothing here fetches a link.

const WABA = '8800001';
const NUM = {
  phone_number_id: '8800101',
  waba_id: WABA,
  display_phone_number: '+1 555 088 0101',
  access_token: 'tok-ssrf-1',
};
const SECRET = 'ssrf-secret';
const CUSTOMER = '12025550199';

let sim: Simulator;

interface World {
  t: TestApp;
  owner: TestClient;
  numberId: string;
  conversationId: string;
  templateId: string;
}

/** An app on the simulator with the number, its templates, and a customer whose window is open. */
async function worldOf(env: Record<string, string> = {}): Promise<World> {
  const t = await createTestApp({ META_GRAPH_URL: sim.url, ...env }, { lookup: corpusLookup });
  const owner = await t.owner();
  const numberId = await connectNumber(owner, NUM, {
    appSecret: SECRET,
    displayName: 'SSRF',
    verifyToken: 'ssrf-verify',
  });
  await t.app.services.templates.sync(t.orgId);
  const templates = (await owner.get('/api/v1/templates')).json().data as { id: string; name: string }[];
  const sent = sim.customerSend(NUM.phone_number_id, CUSTOMER, 'text', { text: 'Send me the picture' })!;
  await storeWebhook(t, metaEnvelope(WABA, [sent.change]), SECRET);
  const conversations = (await owner.get('/api/v1/conversations')).json().data as { id: string }[];
  return {
    t,
    owner,
    numberId,
    conversationId: conversations[0]!.id,
    templateId: templates.find((x) => x.name === 'picture_offer')!.id,
  };
}

/** What a refused request must not have left: messages, queued sends, templates, campaigns. */
async function footprint(w: World) {
  const [r] = await w.t.database.query<Record<string, number>>(
    `select (select count(*)::int from messages where direction = 'out') as messages,
            (select count(*)::int from send_queue) as queued,
            (select count(*)::int from templates) as templates,
            (select count(*)::int from campaigns) as campaigns`,
  );
  return { ...r, meta_templates: sim.templates().length };
}

let w: World;
let n = 0;

beforeAll(async () => {
  sim = await startSimulator({ seed: 88, template_review_ms: 60_000 }, [NUM]);
  sim.addTemplate({
    waba_id: WABA,
    name: 'picture_offer',
    language: 'en_US',
    category: 'UTILITY',
    components: [
      { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['4::aW1hZ2UvanBlZw==:ARa1'] } },
      { type: 'BODY', text: 'Hi {{1}}, here is your picture.', example: { body_text: [['Ana']] } },
    ],
  });
  w = await worldOf();
});
afterAll(async () => {
  await w?.t.close();
  await sim?.close();
});

/** Each route that takes a URL, as one request: the status and error message it answered. */
const routes: Record<string, (w: World, url: string) => Promise<{ status: number; message: string }>> = {
  'template authoring (sample media)': (w, url) =>
    call(
      w.owner.post('/api/v1/templates', authored(w, { header: { format: 'IMAGE', example_handle: url } })),
    ),
  'template preview (header media)': (w, url) =>
    call(
      w.owner.post(`/api/v1/templates/${w.templateId}/render`, {
        params: { header: { media: { link: url } }, body: { '1': 'Ana' } },
      }),
    ),
  'send: image by link': (w, url) =>
    call(
      w.owner.post(`/api/v1/conversations/${w.conversationId}/reply`, {
        content: { type: 'image', image: { link: url } },
      }),
    ),
  'send: template header by link': (w, url) =>
    call(
      w.owner.post(`/api/v1/conversations/${w.conversationId}/reply`, {
        content: {
          type: 'template',
          template: {
            name: 'picture_offer',
            language: { code: 'en_US' },
            components: [
              { type: 'header', parameters: [{ type: 'image', image: { link: url } }] },
              { type: 'body', parameters: [{ type: 'text', text: 'Ana' }] },
            ],
          },
        },
      }),
    ),
  'campaign: a fixed media link in the mapping': (w, url) =>
    call(
      w.owner.post('/api/v1/campaigns', {
        name: `SSRF ${++n}`,
        number_id: w.numberId,
        audience: { kind: 'recipients', recipients: [{ phone: `+${CUSTOMER}` }] },
        templates: [
          {
            template_id: w.templateId,
            mapping: { 'header.image': { fixed: url }, 'body.1': { fixed: 'Ana' } },
          },
        ],
      }),
    ),
};

function authored(w: World, extra: Record<string, unknown>) {
  return {
    number_id: w.numberId,
    name: `ssrf_case_${++n}`,
    language: 'en_US',
    category: 'UTILITY',
    body: { text: 'Hello {{1}}, your picture is ready.', examples: ['Ana'] },
    ...extra,
  };
}

async function call(res: Promise<{ statusCode: number; json(): { error?: { message: string } } }>) {
  const r = await res;
  return { status: r.statusCode, message: r.statusCode >= 400 ? (r.json().error?.message ?? '') : '' };
}

/** Runs one corpus case through one route and checks the answer and what it left behind. */
async function expectVerdict(w: World, route: string, c: SsrfCase) {
  const before = await footprint(w);
  const r = await routes[route]!(w, c.url);
  if (c.expect === 'refused') {
    expect(r.status, `${route} took ${c.url}`).toBe(400);
    expect(r.message).toMatch(/link|example_handle|URL|Invalid/i);
    expect(await footprint(w)).toEqual(before);
  } else {
    expect(r.status, `${route} refused ${c.url}: ${r.message}`).toBeLessThan(300);
  }
}

describe(`SSRF corpus through every route that accepts a URL (${settings.backend})`, () => {
  for (const route of Object.keys(routes)) {
    it.each(DEFAULT_CORPUS)(`${route} — $expect: $name`, (c) => expectVerdict(w, route, c));
  }

  it('a refused link is named in the error, field by field', async () => {
    const send = await routes['send: template header by link']!(w, 'http://0x7f.1/x.jpg');
    expect(send).toEqual({
      status: 400,
      message:
        'content.template.components.0.parameters.0.image.link: link points at 127.0.0.1, a loopback address',
    });
    const authoring = await routes['template authoring (sample media)']!(
      w,
      'https://metadata.ssrf-drill.example.com/x.jpg',
    );
    expect(authoring.message).toBe(
      'header.example_handle: link metadata.ssrf-drill.example.com resolves to 169.254.169.254, a link-local address (where cloud metadata services live)',
    );
    const campaign = await routes['campaign: a fixed media link in the mapping']!(w, 'http://[::1]/x.jpg');
    expect(campaign.message).toBe(
      'templates.0.mapping.header.image.fixed: link points at ::1, a loopback address',
    );
  });

  it('a URL button pointing inside the network is refused at authoring', async () => {
    const before = await footprint(w);
    const res = await w.owner.post(
      '/api/v1/templates',
      authored(w, {
        buttons: [{ type: 'URL', text: 'Track', url: 'https://10.0.0.5/track/{{1}}', example: ['P-1'] }],
      }),
    );
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toBe(
      'buttons.0.url: link points at 10.0.0.5, a private (RFC 1918) address',
    );
    expect(await footprint(w)).toEqual(before);
  });

  it('a campaign file: each row with an inward {{Media}} link is invalid with its reason; the others go ahead', async () => {
    const cases = DEFAULT_CORPUS;
    const phoneOf = (i: number) => `+1202555${String(2000 + i).padStart(4, '0')}`;
    const csv = ['Phone,{{Media}},{{1}}', ...cases.map((c, i) => `${phoneOf(i)},"${c.url}",Ana`)].join('\n');
    const up = await w.owner.request('POST', '/api/v1/campaigns/audience-files?filename=ssrf.csv', csv, {
      'content-type': 'text/csv',
    });
    expect(up.statusCode, up.body).toBe(201);
    const created = await w.owner.post('/api/v1/campaigns', {
      name: 'SSRF file',
      number_id: w.numberId,
      audience: { kind: 'file', file_id: up.json().id, phone_column: 'Phone' },
      templates: [
        {
          template_id: w.templateId,
          mapping: { 'header.image': { column: '{{Media}}' }, 'body.1': { column: '{{1}}' } },
        },
      ],
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id;
    const refusedCount = cases.filter((c) => c.expect === 'refused').length;
    expect(created.json().counts).toMatchObject({ total: cases.length, invalid: refusedCount });
    const rows = (await w.owner.get(`/api/v1/campaigns/${id}/recipients?limit=500`)).json().data as {
      row_number: number;
      state: string;
      reason: string | null;
    }[];
    for (const [i, c] of cases.entries()) {
      const row = rows.find((r) => r.row_number === i + 2)!;
      if (c.expect === 'refused') {
        expect(row, `row ${i + 2}: ${c.url}`).toMatchObject({ state: 'invalid' });
        expect(row.reason).toMatch(/^header\.image \(column \{\{Media\}\}\): link /);
      } else expect(row, `row ${i + 2}: ${c.url}`).toMatchObject({ state: 'pending', reason: null });
    }
    // Invalid rows keep no parameters: there is nothing of them to queue.
    const [kept] = await w.t.database.query<{ n: number }>(
      `select count(*)::int as n from campaign_recipients where campaign_id = $1 and state = 'invalid' and params is not null`,
      [id],
    );
    expect(kept!.n).toBe(0);
  });
});

describe(`FETCH_ALLOW_PRIVATE=${ALLOW_PRIVATE_SETTING} (${settings.backend})`, () => {
  let allowing: World;
  beforeAll(async () => {
    allowing = await worldOf({ FETCH_ALLOW_PRIVATE: ALLOW_PRIVATE_SETTING });
  });
  afterAll(async () => {
    await allowing?.t.close();
  });

  for (const route of ['template authoring (sample media)', 'send: image by link']) {
    it.each(ALLOW_PRIVATE_CORPUS)(`${route} — $expect: $name`, (c) => expectVerdict(allowing, route, c));
  }
});
