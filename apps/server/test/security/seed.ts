import { createSimulator, type Simulator, signWebhookBody } from '@openwaba/simulator';
import { OWNER, type TestApp, TestClient } from '../helpers.ts';

/**
 * Two organisations seeded alike through the public API (and signed webhooks from the simulator),
 * so every drill has one of everything on both sides: A is the victim, B the attacker. Each
 * organisation has its own number, WABA, app secret, customers and names, so that anything of A's
 * that shows up in an answer to B is recognisable.
 */

export interface OrgSpec {
  /** A short, distinctive word put into every name this organisation creates. */
  label: string;
  phoneNumberId: string;
  wabaId: string;
  display: string;
  accessToken: string;
  appSecret: string;
  /** Customer phones start with this (digits, E.164 without +). */
  customerPrefix: string;
}

export const ORG_A: OrgSpec = {
  label: 'Alphaorg',
  phoneNumberId: '7710000000001',
  wabaId: '7720000000001',
  display: '+1 555 071 0001',
  accessToken: 'drill-token-alpha',
  appSecret: 'drill-app-secret-alpha',
  customerPrefix: '1202555071',
};
export const ORG_B: OrgSpec = {
  label: 'Bravoorg',
  phoneNumberId: '7710000000002',
  wabaId: '7720000000002',
  display: '+1 555 072 0002',
  accessToken: 'drill-token-bravo',
  appSecret: 'drill-app-secret-bravo',
  customerPrefix: '1202555072',
};

export interface Recorded {
  method: string;
  url: string;
  body: unknown;
  headers: Record<string, string>;
}

/** A TestClient that remembers every request the server accepted (status < 300). */
export class RecordingClient extends TestClient {
  readonly recorded: Recorded[] = [];
  override async request(
    method: Parameters<TestClient['request']>[0],
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const res = await super.request(method, url, body, headers);
    if (res.statusCode < 300) this.recorded.push({ method: String(method), url, body, headers });
    return res;
  }
}

export interface SeededOrg {
  spec: OrgSpec;
  orgId: string;
  ownerEmail: string;
  ownerPassword: string;
  /** A member of the organisation besides the owner (an agent). */
  agentEmail: string;
  /** Signed in as the owner; its recorded requests are the seed's. */
  owner: RecordingClient;
  /**
   * Ids by the API path segment that names them (`contacts`, `conversations`, `members` …), one or
   * more each, in the same order on both organisations.
   */
  ids: Record<string, string[]>;
  /** Strings that belong to this organisation only: ids, phones, names, emails. */
  markers: string[];
  /** A message this organisation sent (with Meta's wamid), for status webhooks. */
  sentWamid: string | undefined;
  customers: string[];
}

export interface Drillground {
  t: TestApp;
  sim: Simulator;
  a: SeededOrg;
  b: SeededOrg;
}

/** A 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

const expectOk = (what: string, res: { statusCode: number; body: string }, status?: number) => {
  if (status ? res.statusCode !== status : res.statusCode >= 300)
    throw new Error(`seed: ${what} answered ${res.statusCode}: ${res.body.slice(0, 500)}`);
  return JSON.parse(res.body || 'null');
};

/** The simulator for both organisations' numbers and templates (one media template per WABA). */
export async function startDrillSimulator() {
  const sim = await createSimulator({
    seed: 18,
    customers: { deliver_rate: 1, read_rate: 0, reply_rate: 0, stop_rate: 0, undeliverable_rate: 0 },
  });
  await sim.listen(0);
  for (const s of [ORG_A, ORG_B]) {
    sim.addNumber({
      phone_number_id: s.phoneNumberId,
      waba_id: s.wabaId,
      display_phone_number: s.display,
      access_token: s.accessToken,
      verified_name: s.label,
      throughput_mps: 80,
    });
    sim.addTemplate({
      waba_id: s.wabaId,
      name: 'order_update',
      language: 'en_US',
      category: 'UTILITY',
      components: [
        { type: 'BODY', text: 'Hi {{1}}, your order is on its way.', example: { body_text: [['Ana']] } },
      ],
    });
    sim.addTemplate({
      waba_id: s.wabaId,
      name: 'new_arrivals',
      language: 'en_US',
      category: 'MARKETING',
      components: [
        { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['4::aW1hZ2U='] } },
        { type: 'BODY', text: 'New in: {{1}}', example: { body_text: [['teapots']] } },
      ],
    });
  }
  return sim;
}

/** POSTs a Meta webhook body signed with `secret` and processes the stored event; its id. */
export async function deliverSigned(t: TestApp, payload: unknown, secret: string) {
  const { body, signature } = signWebhookBody(payload, secret);
  const before = await lastWebhookEventId(t);
  const res = await t.app.inject({
    method: 'POST',
    url: '/webhooks/whatsapp',
    payload: body,
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
  });
  if (res.statusCode !== 200) return { status: res.statusCode, eventId: undefined, error: res.body };
  const eventId = await lastWebhookEventId(t);
  if (eventId === before) return { status: res.statusCode, eventId: undefined };
  try {
    await t.app.services.inbound.processEvent(eventId);
    return { status: res.statusCode, eventId };
  } catch (err) {
    return { status: res.statusCode, eventId, error: String((err as Error).message ?? err) };
  }
}

async function lastWebhookEventId(t: TestApp) {
  const [row] = await t.database.query<{ id: string | null }>('select max(id) as id from webhook_events');
  return Number(row?.id ?? 0);
}

/** One change in Meta's envelope for a WABA (template, quality and account notices carry a time). */
export const envelopeOf = (wabaId: string, change: { field: string; value: Record<string, unknown> }) => ({
  object: 'whatsapp_business_account',
  entry: [{ id: wabaId, time: Math.floor(Date.now() / 1000), changes: [change] }],
});

/**
 * Seeds one organisation, signed in as `owner`. Everything goes through the API, except what only
 * Meta can make (customers' messages: the simulator builds them, signed webhooks deliver them).
 */
export async function seedOrg(
  t: TestApp,
  sim: Simulator,
  spec: OrgSpec,
  who: { orgId: string; email: string; password: string },
): Promise<SeededOrg> {
  const owner = new RecordingClient(t.app);
  await owner.login(who.email, who.password);
  const L = spec.label;
  const ids: Record<string, string[]> = {};
  const add = (kind: string, id: string) => {
    if (!id) throw new Error(`seed: no id for ${kind}`);
    ids[kind] = [...(ids[kind] ?? []), String(id)];
  };
  const customers = [1, 2, 3].map((i) => `${spec.customerPrefix}${i}`);

  const number = expectOk(
    'connect number',
    await owner.post('/api/v1/numbers', {
      display_name: `${L} line`,
      phone_number_id: spec.phoneNumberId,
      waba_id: spec.wabaId,
      access_token: spec.accessToken,
      app_secret: spec.appSecret,
      verify_token: `${L}-verify`,
    }),
  );
  add('numbers', number.id);
  expectOk('template sync', await owner.post('/api/v1/templates/sync', {}));
  const templates = expectOk('templates', await owner.get('/api/v1/templates')).data as {
    id: string;
    name: string;
  }[];
  const byName = (n: string) => templates.find((x) => x.name === n)!.id;
  add('templates', byName('order_update'));
  add('templates', byName('new_arrivals'));
  const authored = expectOk(
    'author template',
    await owner.post('/api/v1/templates', {
      number_id: number.id,
      name: `${L.toLowerCase()}_notice`,
      language: 'en_US',
      category: 'UTILITY',
      body: { text: `Hello {{1}}, ${L} has news.`, examples: ['Ana'] },
    }),
  );
  add('templates', authored.id);

  const tag = expectOk('tag', await owner.post('/api/v1/tags', { name: `${L} VIP`, color: '#25d366' }));
  add('tags', tag.id);
  const field = expectOk(
    'field',
    await owner.post('/api/v1/fields', { key: `${L.toLowerCase()}_plan`, label: `${L} plan`, type: 'text' }),
  );
  add('fields', field.id);
  const segment = expectOk(
    'segment',
    await owner.post('/api/v1/segments', { name: `${L} segment`, filter: { tag_ids: [tag.id] } }),
  );
  add('segments', segment.id);

  // Customers write in (signed webhooks): conversations, contacts, messages (text, image, document).
  const inbound: string[] = [];
  for (const [i, waId] of customers.entries()) {
    const kinds: [string, Record<string, unknown>][] =
      i === 0
        ? [
            ['text', { text: `Hello from ${L} customer`, name: `${L} Customer ${i}` }],
            ['image', { caption: `${L} photo` }],
            ['document', { caption: `${L} file`, filename: `${L}-invoice.pdf` }],
          ]
        : [['text', { text: `Hi, ${L} customer ${i} here`, name: `${L} Customer ${i}` }]];
    for (const [kind, params] of kinds) {
      const sent = sim.customerSend(spec.phoneNumberId, waId, kind, params)!;
      inbound.push(sent.id);
      const r = await deliverSigned(t, envelopeOf(spec.wabaId, sent.change), spec.appSecret);
      if (r.error || !r.eventId) throw new Error(`seed: inbound ${kind}: ${r.status} ${r.error ?? ''}`);
      add('webhook-events', String(r.eventId));
    }
  }
  const conversations = expectOk('conversations', await owner.get('/api/v1/conversations')).data as {
    id: string;
    contact: { id: string; wa_id?: string; phone?: string };
  }[];
  const convOf = (waId: string) =>
    conversations.find((c) => JSON.stringify(c.contact).includes(waId)) ??
    (() => {
      throw new Error(`seed: no conversation with ${waId}`);
    })();
  for (const waId of customers) {
    const c = convOf(waId);
    add('conversations', c.id);
    add('contacts', c.contact.id);
  }
  const conv = ids.conversations![0]!;
  const messages = expectOk('messages', await owner.get(`/api/v1/conversations/${conv}/messages`)).data as {
    id: string;
    type?: string;
    content?: { type?: string };
  }[];
  for (const m of messages) add('messages', m.id);

  const created = expectOk(
    'contact',
    await owner.post('/api/v1/contacts', {
      phone: `+${spec.customerPrefix}9`,
      name: `${L} Manual Contact`,
      fields: { [`${L.toLowerCase()}_plan`]: `${L} gold` },
      tag_ids: [tag.id],
    }),
  );
  add('contacts', created.id);
  expectOk(
    'consent',
    await owner.post(`/api/v1/contacts/${created.id}/consent`, { kind: 'opt_in', proof: `${L} signed up` }),
  );
  for (const c of ids.contacts!.slice(0, 1))
    expectOk(
      'consent',
      await owner.post(`/api/v1/contacts/${c}/consent`, { kind: 'opt_in', proof: `${L} form` }),
    );

  // The inbox: a reply that goes out through the simulator (a wamid for status webhooks), a reaction,
  // a note, tags, assignment, a team and a quick reply.
  const reply = expectOk(
    'reply',
    await owner.post(`/api/v1/conversations/${conv}/reply`, {
      content: { type: 'text', text: { body: `${L} answers` } },
    }),
  );
  add('messages', reply.message_id);
  expectOk(
    'reaction',
    await owner.post(`/api/v1/conversations/${conv}/messages/${ids.messages![0]}/reaction`, { emoji: '👍' }),
  );
  expectOk(
    'upload media',
    await owner.request('POST', `/api/v1/conversations/${conv}/media?filename=${L}-photo.png`, PNG, {
      'content-type': 'image/png',
    }),
  );
  expectOk(
    'bulk tag',
    await owner.post('/api/v1/contacts/bulk', { action: 'tag', ids: [created.id], tag_ids: [tag.id] }),
  );
  expectOk('note', await owner.post(`/api/v1/conversations/${conv}/notes`, { body: `${L} internal note` }));
  expectOk(
    'conversation tags',
    await owner.request('PUT', `/api/v1/conversations/${conv}/tags`, { tag_ids: [tag.id] }),
  );

  // Members and invitations: an agent who accepted, an invitation still pending.
  const agentEmail = `agent@${L.toLowerCase()}.example`;
  const inv = expectOk(
    'invite agent',
    await owner.post('/api/v1/invitations', { email: agentEmail, role: 'agent' }),
  );
  const agent = new TestClient(t.app);
  const accepted = await agent.post('/api/v1/invitations/accept', {
    token: inv.token,
    password: `${L} agent password`,
    name: `${L} Agent`,
  });
  expectOk('accept invitation', accepted);
  const agentId = expectOk('agent me', await agent.get('/api/v1/me')).user.id as string;
  const ownerMe = expectOk('owner me', await owner.get('/api/v1/me'));
  add('members', agentId);
  const pending = expectOk(
    'invite pending',
    await owner.post('/api/v1/invitations', { email: `pending@${L.toLowerCase()}.example`, role: 'viewer' }),
  );
  add('invitations', pending.id);
  expectOk('assign', await owner.post(`/api/v1/conversations/${conv}/assign`, { assignee_id: agentId }));
  const team = expectOk(
    'team',
    await owner.post('/api/v1/teams', { name: `${L} Billing`, member_ids: [agentId] }),
  );
  add('teams', team.id);
  const qr = expectOk(
    'quick reply',
    await owner.post('/api/v1/quick-replies', {
      shortcut: `${L.toLowerCase()}-hello`,
      body: `Hi {{contact.name}}, ${L} here.`,
    }),
  );
  add('quick-replies', qr.id);
  // Automation: a keyword rule on the number (assigning to the team) and the number's business hours.
  const rule = expectOk(
    'automation rule',
    await owner.post('/api/v1/automation/rules', {
      name: `${L} price`,
      match: { kind: 'contains', patterns: [`${L.toLowerCase()} price`] },
      number_ids: [number.id],
      actions: [
        { type: 'reply_text', text: `${L} prices` },
        { type: 'assign', assignee: 'round_robin', team_id: team.id },
      ],
    }),
  );
  add('rules', rule.id);
  const hours = expectOk(
    'business hours',
    await owner.post('/api/v1/automation/hours', {
      name: `${L} hours`,
      number_id: number.id,
      weekly: { mon: [{ from: '09:00', to: '17:00' }] },
    }),
  );
  add('hours', hours.id);
  // AI: a knowledge entry, and the number answering in suggest mode.
  const entry = expectOk(
    'knowledge entry',
    await owner.post('/api/v1/ai/knowledge', { title: `${L} FAQ`, body: `${L} opens at nine every day.` }),
  );
  add('knowledge', entry.id);
  const key = expectOk(
    'API key',
    await owner.post('/api/v1/api-keys', { name: `${L} backend`, scopes: ['contacts.read'] }),
  );
  add('api-keys', key.id);
  // An outbound webhook endpoint (a public address: no DNS needed; the worker is not running, nothing
  // is sent) and one delivery of it, fanned out from a contact created after it.
  const endpoint = expectOk(
    'webhook endpoint',
    await owner.post('/api/v1/webhooks/endpoints', {
      url: 'https://93.184.216.34/openwaba',
      description: `${L} CRM`,
      event_types: ['contact.created'],
    }),
  );
  add('endpoints', endpoint.id);
  expectOk(
    'contact for a webhook',
    await owner.post('/api/v1/contacts', { phone: `+${spec.customerPrefix}8`, name: `${L} Hooked Contact` }),
  );
  await t.app.services.webhooks.fanOutNow();
  const [delivery] = expectOk(
    'webhook deliveries',
    await owner.get(`/api/v1/webhooks/endpoints/${endpoint.id}/deliveries`),
  ).data;
  if (!delivery) throw new Error('seed: the webhook endpoint got no delivery');
  add('deliveries', delivery.id);
  expectOk('AI mode', await owner.request('PATCH', `/api/v1/ai/numbers/${number.id}`, { mode: 'suggest' }));
  // A published flow (API trigger → wait for a reply) and a run of it waiting for the contact.
  const at = { x: 0, y: 0 };
  const flow = expectOk(
    'flow',
    await owner.post('/api/v1/automation/flows', {
      name: `${L} flow`,
      graph: {
        nodes: [
          { id: 't', type: 'trigger', position: at, data: { kind: 'api' } },
          { id: 'w', type: 'wait_reply', position: at, data: { timeout_minutes: 60 } },
          { id: 'e', type: 'end', position: at, data: {} },
        ],
        edges: [
          { id: 't-w', source: 't', target: 'w' },
          { id: 'w-e', source: 'w', source_handle: 'reply', target: 'e' },
          { id: 'w-e2', source: 'w', source_handle: 'timeout', target: 'e' },
        ],
      },
    }),
  );
  add('flows', flow.id);
  expectOk('publish flow', await owner.post(`/api/v1/automation/flows/${flow.id}/publish`));
  const run = expectOk(
    'flow run',
    await owner.post(`/api/v1/automation/flows/${flow.id}/runs`, {
      number_id: number.id,
      contact_id: created.id,
    }),
  );
  add('runs', run.id);

  // Imports and campaigns: a contact import (uploaded, previewed, confirmed), an audience file, a
  // campaign of each audience kind.
  const csv = `Phone,Name\n+${spec.customerPrefix}7,${L} Imported One\n+${spec.customerPrefix}8,${L} Imported Two\n`;
  const up = expectOk(
    'import upload',
    await owner.request('POST', `/api/v1/contacts/imports?filename=${L}-contacts.csv`, csv, {
      'content-type': 'text/csv',
    }),
  );
  add('imports', up.id);
  const mapping = { mapping: { phone: 'Phone', name: 'Name' } };
  expectOk('import preview', await owner.post(`/api/v1/contacts/imports/${up.id}/preview`, mapping));
  expectOk('import confirm', await owner.post(`/api/v1/contacts/imports/${up.id}/confirm`, mapping));
  await t.app.services.contactImports.run(who.orgId, up.id);

  const audience = `Phone,{{1}}\n+${spec.customerPrefix}5,${L} tea\n`;
  const file = expectOk(
    'audience file',
    await owner.request('POST', `/api/v1/campaigns/audience-files?filename=${L}-list.csv`, audience, {
      'content-type': 'text/csv',
    }),
  );
  add('audience-files', file.id);
  const order = ids.templates![0]!;
  const campaign = expectOk(
    'campaign',
    await owner.post('/api/v1/campaigns', {
      name: `${L} spring sale`,
      number_id: number.id,
      audience: { kind: 'contacts', filter: { tag_ids: [tag.id] }, segment_id: segment.id },
      templates: [{ template_id: order, mapping: { 'body.1': { contact: 'name' } } }],
    }),
  );
  add('campaigns', campaign.id);
  const scheduled = expectOk(
    'campaign (recipients)',
    await owner.post('/api/v1/campaigns', {
      name: `${L} scheduled`,
      number_id: number.id,
      audience: { kind: 'recipients', recipients: [{ phone: `+${spec.customerPrefix}6` }] },
      templates: [{ template_id: order, mapping: { 'body.1': { fixed: `${L} friend` } } }],
    }),
  );
  add('campaigns', scheduled.id);
  expectOk(
    'schedule',
    await owner.post(`/api/v1/campaigns/${scheduled.id}/schedule`, {
      at: new Date(Date.now() + 86_400_000).toISOString(),
    }),
  );

  // The reply goes out: Meta's wamid comes back.
  let sentWamid: string | undefined;
  t.app.services.sender.start();
  for (let i = 0; i < 200 && !sentWamid; i++) {
    const [row] = await t.database.query<{ wamid: string | null }>(
      'select wamid from messages where id = $1',
      [reply.message_id],
    );
    sentWamid = row?.wamid ?? undefined;
    if (!sentWamid) await new Promise((r) => setTimeout(r, 25));
  }
  await t.app.services.sender.stop();

  // Notifications (the agent joining notified the owner), sessions, audit entries, jobs.
  const notes = expectOk('notifications', await owner.get('/api/v1/notifications')).data as { id: string }[];
  for (const n of notes) add('notifications', n.id);
  const sessions = expectOk('sessions', await owner.get('/api/v1/me/sessions')).data as { id: string }[];
  for (const s of sessions) add('sessions', s.id);
  const jobs = await t.database.query<{ id: string; name: string }>(
    `select id::text, name from pgboss.job where data->>'orgId' = $1 order by created_on`,
    [who.orgId],
  );
  for (const j of jobs) {
    add('jobs', j.id);
    add('job-queues', j.name);
  }
  add('orgs', who.orgId);
  add('wabas', spec.wabaId);

  const markers = [
    ...Object.entries(ids)
      .filter(([k]) => k !== 'webhook-events' && k !== 'job-queues')
      .flatMap(([, v]) => v),
    ownerMe.user.id,
    who.email,
    agentEmail,
    spec.phoneNumberId,
    spec.wabaId,
    L,
    ...customers,
    ...(sentWamid ? [sentWamid] : []),
    ...inbound,
  ];
  ids.members!.unshift(ownerMe.user.id);
  return {
    spec,
    orgId: who.orgId,
    ownerEmail: who.email,
    ownerPassword: who.password,
    agentEmail,
    owner,
    ids,
    markers: [...new Set(markers)],
    sentWamid,
    customers,
  };
}

/** Organisation A (the test app's own) and B (a second owner who set up their own organisation), both seeded. */
export async function seedDrillground(t: TestApp, sim: Simulator): Promise<Drillground> {
  const bOwner = { email: 'owner@bravoorg.example', password: 'bravo owner password', org: 'Bravoorg Ltd' };
  const b0 = await t.app.services.orgs.setupOwner({
    email: bOwner.email,
    password: bOwner.password,
    orgName: bOwner.org,
  });
  const a = await seedOrg(t, sim, ORG_A, { orgId: t.orgId, email: OWNER.email, password: OWNER.password });
  const b = await seedOrg(t, sim, ORG_B, { orgId: b0.orgId, ...bOwner });
  return { t, sim, a, b };
}

/** A new client signed in as an organisation's owner (from its own address). */
export async function signInAs(g: Pick<Drillground, 't'>, org: SeededOrg, ip: string) {
  const c = new TestClient(g.t.app, ip);
  await c.login(org.ownerEmail, org.ownerPassword);
  const me = await c.get('/api/v1/me');
  if (me.json().org?.id !== org.orgId) await c.post('/api/v1/me/org', { org_id: org.orgId });
  return c;
}
