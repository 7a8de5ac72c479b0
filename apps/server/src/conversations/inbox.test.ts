import type { Simulator } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNumber, startSimulator } from '../../test/helpers/connect-number.ts';
import { metaEnvelope } from '../../test/helpers/meta-fixtures.ts';
import { until } from '../../test/helpers/until.ts';
import { deliverWebhook, postWebhook } from '../../test/helpers/webhooks.ts';
import { createTestApp, settings, type TestApp, type TestClient } from '../../test/helpers.ts';

const WABA = '8400001';
const NUM = {
  phone_number_id: '8400101',
  waba_id: WABA,
  display_phone_number: '+1 555 084 0101',
  access_token: 'tok-inbox-1',
  throughput_mps: 80,
};
const SECRET = 'inbox-secret';
const phone = (n: number) => `1202555${String(3000 + n).padStart(4, '0')}`;

let sim: Simulator;
let t: TestApp;
let owner: TestClient;
let agentA: TestClient;
let agentB: TestClient;
let viewer: TestClient;
let userB: string;
let orderTemplate: string;

/** A customer writes (through the simulator, so it knows the message), delivered signed and processed. */
async function customerWrites(n: number, body: string, name = `Customer ${n}`) {
  const sent = sim.customerSend(NUM.phone_number_id, phone(n), 'text', { text: body, name })!;
  await deliverWebhook(t, metaEnvelope(WABA, [sent.change]), SECRET);
  return sent.id;
}

async function conversationOf(client: TestClient, n: number) {
  const page = (await client.get(`/api/v1/conversations?search=${phone(n)}`)).json();
  expect(page.data, `conversation with ${phone(n)}`).toHaveLength(1);
  return page.data[0] as {
    id: string;
    unread_count: number;
    status: string;
    assignee: { id: string } | null;
    tags: { id: string; name: string }[];
  };
}

beforeAll(async () => {
  sim = await startSimulator(
    {
      seed: 41,
      customers: { deliver_rate: 1, read_rate: 0, reply_rate: 0, stop_rate: 0, undeliverable_rate: 0 },
    },
    [NUM],
  );
  sim.addTemplate({
    waba_id: WABA,
    name: 'order_update',
    language: 'en_US',
    category: 'UTILITY',
    components: [{ type: 'BODY', text: 'Your order {{1}} has shipped.', example: { body_text: [['A-1']] } }],
  });
  t = await createTestApp({ META_GRAPH_URL: sim.url });
  owner = await t.owner();
  await connectNumber(owner, NUM, { appSecret: SECRET, displayName: 'Inbox', verifyToken: 'inbox-verify' });
  await t.app.services.templates.sync(t.orgId);
  orderTemplate = (await owner.get('/api/v1/templates')).json().data[0].name;
  agentA = await t.member('agent', 'agent-a@example.com');
  agentB = await t.member('agent', 'agent-b@example.com');
  viewer = await t.member('viewer', 'viewer-inbox@example.com');
  userB = (await agentB.get('/api/v1/me')).json().user.id;
  t.app.services.sender.start();
});
afterAll(async () => {
  await t.close();
  await sim.close();
});

describe(`team inbox on ${settings.backend}`, () => {
  it('each agent has their own unread count: reading resets only the reader’s, and WhatsApp gets a read receipt', async () => {
    await customerWrites(1, 'Hello, is my order on its way?');
    const second = await customerWrites(1, 'It was order 1042');
    const a = await conversationOf(agentA, 1);
    expect(a.unread_count).toBe(2);
    expect((await conversationOf(agentB, 1)).unread_count).toBe(2);

    const read = await agentA.post(`/api/v1/conversations/${a.id}/read`, {});
    expect(read.statusCode, read.body).toBe(200);
    expect((await conversationOf(agentA, 1)).unread_count).toBe(0);
    expect((await conversationOf(agentB, 1)).unread_count).toBe(2);
    expect(sim.inboundMessage(second)?.read).toBe(true);
    const unreadForA = (await agentA.get('/api/v1/conversations?unread=true')).json().data;
    expect(unreadForA.map((c: { id: string }) => c.id)).not.toContain(a.id);
    const unreadForB = (await agentB.get('/api/v1/conversations?unread=true')).json().data;
    expect(unreadForB.map((c: { id: string }) => c.id)).toContain(a.id);

    await customerWrites(1, 'Any news?');
    expect((await conversationOf(agentA, 1)).unread_count).toBe(1);
    expect((await conversationOf(agentB, 1)).unread_count).toBe(3);

    // An organisation that sends no read receipts: reading still resets the agent's count, WhatsApp is not told.
    // A viewer reading it changes their own count only; WhatsApp is not told.
    const byViewer = await customerWrites(1, 'Hello?');
    expect((await viewer.post(`/api/v1/conversations/${a.id}/read`, {})).statusCode).toBe(200);
    expect((await conversationOf(viewer, 1)).unread_count).toBe(0);
    expect(sim.inboundMessage(byViewer)?.read).toBe(false);
    expect((await conversationOf(agentB, 1)).unread_count).toBe(4);

    expect((await owner.patch('/api/v1/org', { settings: { read_receipts: false } })).statusCode).toBe(200);
    const quiet = await customerWrites(1, 'Hello again');
    expect((await agentB.post(`/api/v1/conversations/${a.id}/read`, {})).statusCode).toBe(200);
    expect((await conversationOf(agentB, 1)).unread_count).toBe(0);
    expect(sim.inboundMessage(quiet)?.read).toBe(false);
    expect((await owner.patch('/api/v1/org', { settings: { read_receipts: true } })).statusCode).toBe(200);
  });

  it('replies inside the 24-hour window go out and tick to delivered; outside it only a template is allowed', async () => {
    await customerWrites(2, 'Can I change my address?');
    const c = await conversationOf(agentA, 2);
    const res = await agentA.post(`/api/v1/conversations/${c.id}/reply`, {
      content: { type: 'text', text: { body: 'Of course — what is the new one?' } },
    });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toMatchObject({ conversation_id: c.id, status: 'pending' });
    const messageId = res.json().message_id;
    // The sender sends it; the simulator's statuses come back as webhooks in real life — here the
    // accepted send alone moves it to sent.
    const sent = await until('sent', async () => {
      const page = (await agentA.get(`/api/v1/conversations/${c.id}/messages`)).json().data;
      const m = page.find((x: { id: string }) => x.id === messageId);
      return m?.status === 'sent' && m;
    });
    expect(sent.wamid).toMatch(/^wamid\./);
    expect(sim.sentMessages().filter((m) => m.to === phone(2))).toHaveLength(1);
    // Replying assigned it to the agent.
    expect((await conversationOf(agentA, 2)).assignee?.id).toBe(
      (await agentA.get('/api/v1/me')).json().user.id,
    );

    // 25 hours later the window is closed: free-form is refused by the server, with the reason.
    await t.database.query(
      `update conversations set last_inbound_at = now() - interval '25 hours', window_expires_at = now() - interval '1 hour' where id = $1`,
      [c.id],
    );
    const late = await agentA.post(`/api/v1/conversations/${c.id}/reply`, {
      content: { type: 'text', text: { body: 'Still there?' } },
    });
    expect(late.statusCode).toBe(409);
    expect(late.json().error.code).toBe('WINDOW_CLOSED');
    // A template needs the customer's opt-in; with it, it is queued.
    const template = {
      content: {
        type: 'template',
        template: {
          name: orderTemplate,
          language: { code: 'en_US' },
          components: [{ type: 'body', parameters: [{ type: 'text', text: '1042' }] }],
        },
      },
    };
    const noConsent = await agentA.post(`/api/v1/conversations/${c.id}/reply`, template);
    expect(noConsent.statusCode).toBe(409);
    const contact = (await owner.get(`/api/v1/contacts?q=${phone(2)}`)).json().data[0];
    const consent = await owner.post(`/api/v1/contacts/${contact.id}/consent`, {
      kind: 'opt_in',
      source: 'web_form',
      proof: 'ticked the box',
    });
    expect(consent.statusCode, consent.body).toBe(201);
    const ok = await agentA.post(`/api/v1/conversations/${c.id}/reply`, template);
    expect(ok.statusCode, ok.body).toBe(202);
  });

  it('replies quote a message; a message not yet sent cannot be quoted', async () => {
    const wamid = await customerWrites(3, 'Which size should I pick?');
    const c = await conversationOf(agentA, 3);
    const inbound = (await agentA.get(`/api/v1/conversations/${c.id}/messages`)).json().data[0];
    expect(inbound.wamid).toBe(wamid);
    const res = await agentA.post(`/api/v1/conversations/${c.id}/reply`, {
      content: { type: 'text', text: { body: 'Medium fits most.' } },
      reply_to: inbound.id,
    });
    expect(res.statusCode, res.body).toBe(202);
    await until('sent with context', async () =>
      sim.sentMessages().some((m) => m.to === phone(3) && JSON.stringify(m.body).includes(wamid)),
    );
    const unknown = await agentA.post(`/api/v1/conversations/${c.id}/reply`, {
      content: { type: 'text', text: { body: 'x' } },
      reply_to: '00000000-0000-4000-8000-000000000000',
    });
    expect(unknown.statusCode).toBe(404);
  });

  it('assignment by hand and round-robin; mine and unassigned filters; the assignee is notified', async () => {
    await customerWrites(4, 'Hi');
    await customerWrites(5, 'Hello');
    const c4 = await conversationOf(owner, 4);
    const c5 = await conversationOf(owner, 5);
    expect(c4.assignee).toBeNull();
    const unassigned = (await owner.get('/api/v1/conversations?assigned=unassigned')).json().data;
    expect(unassigned.map((c: { id: string }) => c.id)).toEqual(expect.arrayContaining([c4.id, c5.id]));

    const toB = await owner.post(`/api/v1/conversations/${c4.id}/assign`, { assignee_id: userB });
    expect(toB.statusCode, toB.body).toBe(200);
    expect(toB.json().assignee).toMatchObject({ id: userB, email: 'agent-b@example.com' });
    const mine = (await agentB.get('/api/v1/conversations?assigned=me')).json().data;
    expect(mine.map((c: { id: string }) => c.id)).toEqual([c4.id]);
    const notes = (await agentB.get('/api/v1/notifications')).json().data;
    expect(notes.map((n: { title: string }) => n.title)).toContain('A conversation was assigned to you');

    // A viewer cannot be given conversations; an unknown user is a 404.
    const viewerId = (await viewer.get('/api/v1/me')).json().user.id;
    expect(
      (await owner.post(`/api/v1/conversations/${c5.id}/assign`, { assignee_id: viewerId })).statusCode,
    ).toBe(400);
    expect(
      (
        await owner.post(`/api/v1/conversations/${c5.id}/assign`, {
          assignee_id: '00000000-0000-4000-8000-000000000000',
        })
      ).statusCode,
    ).toBe(404);

    // Round-robin: each time, the online agent who waited longest (never assigned first).
    const picks: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await owner.post(`/api/v1/conversations/${c5.id}/assign`, { assignee_id: 'round_robin' });
      expect(r.statusCode, r.body).toBe(200);
      picks.push(r.json().assignee.email);
    }
    expect(new Set(picks).size).toBe(3);
    expect(picks).not.toContain('viewer-inbox@example.com');
    const none = await owner.post(`/api/v1/conversations/${c5.id}/assign`, { assignee_id: null });
    expect(none.json().assignee).toBeNull();
  });

  it('status: pending, resolved, snoozed until a time (open again after it); a new message reopens', async () => {
    await customerWrites(6, 'Thanks!');
    const c = await conversationOf(agentA, 6);
    const resolved = await agentA.post(`/api/v1/conversations/${c.id}/status`, { status: 'resolved' });
    expect(resolved.json().status).toBe('resolved');
    expect(
      (await agentA.get('/api/v1/conversations?status=resolved'))
        .json()
        .data.map((x: { id: string }) => x.id),
    ).toContain(c.id);
    await customerWrites(6, 'One more thing');
    expect((await conversationOf(agentA, 6)).status).toBe('open');

    const past = await agentA.post(`/api/v1/conversations/${c.id}/status`, {
      status: 'snoozed',
      snoozed_until: new Date(Date.now() - 60_000).toISOString(),
    });
    expect(past.statusCode).toBe(400);
    const noTime = await agentA.post(`/api/v1/conversations/${c.id}/status`, { status: 'snoozed' });
    expect(noTime.statusCode).toBe(400);
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const snoozed = await agentA.post(`/api/v1/conversations/${c.id}/status`, {
      status: 'snoozed',
      snoozed_until: until,
    });
    expect(snoozed.json()).toMatchObject({ status: 'snoozed', snoozed_until: until });
    const idsWith = async (status: string) =>
      (await agentA.get(`/api/v1/conversations?status=${status}&limit=100`))
        .json()
        .data.map((x: { id: string }) => x.id);
    expect(await idsWith('snoozed')).toContain(c.id);
    expect(await idsWith('open')).not.toContain(c.id);
    await t.database.query(
      `update conversations set snoozed_until = now() - interval '1 second' where id = $1`,
      [c.id],
    );
    // The snooze is over: open again, in the list's filters too.
    expect((await conversationOf(agentA, 6)).status).toBe('open');
    expect(await idsWith('open')).toContain(c.id);
    expect(await idsWith('snoozed')).not.toContain(c.id);
  });

  it('internal notes with @mentions notify the member; tags filter the list; search finds words in messages', async () => {
    await customerWrites(7, 'My parcel arrived damaged');
    const c = await conversationOf(agentA, 7);
    const note = await agentA.post(`/api/v1/conversations/${c.id}/notes`, {
      body: 'Refund approved — @agent-b@example.com can you send the label?',
    });
    expect(note.statusCode, note.body).toBe(201);
    expect(note.json()).toMatchObject({ mentions: [userB], author: { email: 'agent-a@example.com' } });
    const list = (await agentB.get(`/api/v1/conversations/${c.id}/notes`)).json().data;
    expect(list.map((n: { body: string }) => n.body)).toEqual([note.json().body]);
    const titles = (await agentB.get('/api/v1/notifications'))
      .json()
      .data.map((n: { title: string }) => n.title);
    expect(titles).toContain('You were mentioned in a note');
    // Notes are never sent to the customer.
    expect(sim.sentMessages().filter((m) => m.to === phone(7))).toHaveLength(0);

    const tag = (await owner.post('/api/v1/tags', { name: 'Damaged' })).json();
    const tagged = await agentA.request('PUT', `/api/v1/conversations/${c.id}/tags`, { tag_ids: [tag.id] });
    expect(tagged.statusCode, tagged.body).toBe(200);
    expect(tagged.json().tags).toEqual([{ id: tag.id, name: 'Damaged' }]);
    const byTag = (await agentA.get(`/api/v1/conversations?tag_id=${tag.id}`)).json().data;
    expect(byTag.map((x: { id: string }) => x.id)).toEqual([c.id]);
    const found = (await agentA.get('/api/v1/conversations?search=damaged')).json().data;
    expect(found.map((x: { id: string }) => x.id)).toEqual([c.id]);
    expect(
      (
        await agentA.request('PUT', `/api/v1/conversations/${c.id}/tags`, {
          tag_ids: ['00000000-0000-4000-8000-000000000000'],
        })
      ).statusCode,
    ).toBe(404);
  });

  it('quick replies: managers keep them, agents fill them in for a conversation’s contact', async () => {
    await customerWrites(9, 'Where is my parcel?', 'Rosa Diaz');
    const c = await conversationOf(agentA, 9);
    const made = await owner.post('/api/v1/quick-replies', {
      shortcut: 'where',
      body: 'Hi {{contact.name}}, your parcel left our {{ contact.field.depot }} depot today.',
    });
    expect(made.statusCode, made.body).toBe(201);
    expect((await owner.post('/api/v1/quick-replies', { shortcut: 'where', body: 'again' })).statusCode).toBe(
      409,
    );
    expect((await owner.post('/api/v1/quick-replies', { shortcut: 'Not OK!', body: 'x' })).statusCode).toBe(
      400,
    );
    expect((await agentA.post('/api/v1/quick-replies', { shortcut: 'agent', body: 'x' })).statusCode).toBe(
      403,
    );
    const listed = (await agentA.get('/api/v1/quick-replies')).json().data;
    expect(listed.map((q: { shortcut: string }) => q.shortcut)).toEqual(['where']);
    const filled = await agentA.get(`/api/v1/quick-replies/${made.json().id}/render?conversation_id=${c.id}`);
    expect(filled.statusCode, filled.body).toBe(200);
    // The contact has no depot field: it is named, the rest filled in.
    expect(filled.json()).toEqual({
      text: 'Hi Rosa Diaz, your parcel left our depot today.',
      missing: ['{{contact.field.depot}}'],
    });
    const changed = await owner.request('PUT', `/api/v1/quick-replies/${made.json().id}`, {
      shortcut: 'where',
      body: 'Hi {{contact.name}} ({{contact.phone}})',
    });
    expect(changed.statusCode, changed.body).toBe(200);
    const again = await agentA.get(`/api/v1/quick-replies/${made.json().id}/render?conversation_id=${c.id}`);
    expect(again.json()).toEqual({ text: `Hi Rosa Diaz (+${phone(9)})`, missing: [] });
    expect((await owner.delete(`/api/v1/quick-replies/${made.json().id}`)).statusCode).toBe(200);
    expect((await agentA.get('/api/v1/quick-replies')).json().data).toEqual([]);
  });

  it('viewers read but cannot reply or assign; other organisations see nothing; bad input is a 400', async () => {
    await customerWrites(8, 'Hello?');
    const c = await conversationOf(viewer, 8);
    expect(
      (
        await viewer.post(`/api/v1/conversations/${c.id}/reply`, {
          content: { type: 'text', text: { body: 'x' } },
        })
      ).statusCode,
    ).toBe(403);
    expect(
      (await viewer.post(`/api/v1/conversations/${c.id}/assign`, { assignee_id: null })).statusCode,
    ).toBe(403);
    expect((await viewer.post(`/api/v1/conversations/${c.id}/notes`, { body: 'x' })).statusCode).toBe(403);
    const bad = await agentA.post(`/api/v1/conversations/${c.id}/reply`, { content: { type: 'text' } });
    expect(bad.statusCode).toBe(400);
    expect((await agentA.post(`/api/v1/conversations/${c.id}/notes`, { body: '   ' })).statusCode).toBe(400);
    expect((await agentA.get('/api/v1/conversations?assigned=someone')).statusCode).toBe(400);

    const other = await t.owner();
    const org = await other.post('/api/v1/orgs', { name: 'Inbox Other' });
    expect((await other.post('/api/v1/me/org', { org_id: org.json().id })).statusCode).toBe(200);
    for (const res of [
      await other.get(`/api/v1/conversations/${c.id}`),
      await other.get(`/api/v1/conversations/${c.id}/messages`),
      await other.post(`/api/v1/conversations/${c.id}/read`, {}),
      await other.post(`/api/v1/conversations/${c.id}/reply`, {
        content: { type: 'text', text: { body: 'x' } },
      }),
      await other.post(`/api/v1/conversations/${c.id}/status`, { status: 'resolved' }),
      await other.get(`/api/v1/conversations/${c.id}/notes`),
    ]) {
      expect(res.statusCode, res.body).toBe(404);
    }
    expect((await other.get('/api/v1/conversations')).json().data).toEqual([]);
  });
  it('media replies: type and size checked before upload, uploaded once and its id reused, shown from the stored copy', async () => {
    await customerWrites(40, 'Can you send the receipt?');
    const c = await conversationOf(agentA, 40);
    const upload = (client: TestClient, data: Buffer, type: string, filename = 'file') =>
      client.request('POST', `/api/v1/conversations/${c.id}/media?filename=${filename}`, data, {
        'content-type': type,
      });
    // 1×1 PNG.
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
      'base64',
    );
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
    const html = await upload(agentA, Buffer.from('<script>alert(1)</script>'), 'text/html');
    expect(html.statusCode).toBe(415);
    const liar = await upload(agentA, pdf, 'image/png', 'receipt.png');
    expect(liar.statusCode, liar.body).toBe(415);
    expect(liar.json().error.message).toBe(
      'The file is not the image/png it says it is (it looks like application/pdf)',
    );
    const big = await upload(agentA, Buffer.alloc(5 * 1024 * 1024 + 1), 'image/jpeg');
    expect(big.statusCode).toBe(413);
    expect(big.json().error.message).toMatch(/^WhatsApp sends image\/jpeg files up to 5120 KB/);
    const sticker = await upload(agentA, Buffer.alloc(501 * 1024), 'image/webp');
    expect(sticker.statusCode).toBe(413);
    const empty = await upload(agentA, Buffer.alloc(0), 'application/pdf');
    expect(empty.statusCode).toBe(400);
    expect((await upload(viewer, png, 'image/png')).statusCode).toBe(403);
    expect(sim.stats().media).toBe(0);

    const first = await upload(agentA, png, 'image/png', 'receipt.png');
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({
      type: 'image',
      mime_type: 'image/png',
      size: png.length,
      reused: false,
    });
    const again = await upload(agentB, png, 'image/png', 'receipt.png');
    expect(again.json()).toMatchObject({ id: first.json().id, reused: true });
    expect(sim.stats().media).toBe(1);
    const doc = await upload(agentA, pdf, 'application/pdf', 'terms.pdf');
    expect(doc.json()).toMatchObject({ type: 'document', filename: 'terms.pdf', reused: false });

    const sent = await agentA.post(`/api/v1/conversations/${c.id}/reply`, {
      content: { type: 'image', image: { id: first.json().id, caption: 'Your receipt' } },
    });
    expect(sent.statusCode, sent.body).toBe(202);
    const atMeta = await until('sent', async () =>
      sim.sentMessages().find((m) => m.to === phone(40) && m.type === 'image'),
    );
    expect(atMeta.body).toMatchObject({ image: { id: first.json().id, caption: 'Your receipt' } });
    const file = await agentB.get(`/api/v1/messages/${sent.json().message_id}/media`);
    expect(file.statusCode, file.body).toBe(200);
    expect(file.headers['content-type']).toBe('image/png');
    expect(file.rawPayload.equals(png)).toBe(true);
  });

  it('agents react to a message; a failed reply shows Meta’s reason and can be sent again', async () => {
    const inboundWamid = await customerWrites(41, 'Thanks a lot!');
    const c = await conversationOf(agentA, 41);
    const [inbound] = (await agentA.get(`/api/v1/conversations/${c.id}/messages`)).json().data;
    const reacted = await agentA.post(`/api/v1/conversations/${c.id}/messages/${inbound.id}/reaction`, {
      emoji: '👍',
    });
    expect(reacted.statusCode, reacted.body).toBe(202);
    const reaction = await until('reaction sent', async () =>
      sim.sentMessages().find((m) => m.to === phone(41) && m.type === 'reaction'),
    );
    expect(reaction.body).toMatchObject({ reaction: { message_id: inboundWamid, emoji: '👍' } });
    expect(
      (await viewer.post(`/api/v1/conversations/${c.id}/messages/${inbound.id}/reaction`, { emoji: '👍' }))
        .statusCode,
    ).toBe(403);
    expect(
      (
        await agentA.post(`/api/v1/conversations/${c.id}/messages/${inbound.id}/reaction`, {
          emoji: 'x'.repeat(40),
        })
      ).statusCode,
    ).toBe(400);
    // Only a failed outbound message can be sent again.
    const notFailed = await agentA.post(`/api/v1/conversations/${c.id}/messages/${inbound.id}/retry`, {});
    expect(notFailed.statusCode).toBe(409);

    // The number writing to itself: Meta refuses the send (131021), the message fails with the reason.
    const self = NUM.display_phone_number.replace(/\D/g, '');
    const change = sim.customerSend(NUM.phone_number_id, self, 'text', { text: 'hi', name: 'Self' })!.change;
    await postWebhook(t, metaEnvelope(WABA, [change]), SECRET);
    await t.app.services.inbound.processPending();
    const selfConv = (await agentA.get(`/api/v1/conversations?search=${self}`)).json().data[0];
    const reply = await agentA.post(`/api/v1/conversations/${selfConv.id}/reply`, {
      content: { type: 'text', text: { body: 'Hello me' } },
    });
    expect(reply.statusCode, reply.body).toBe(202);
    const failedMessage = async (id: string) =>
      until('failed', async () => {
        const m = (await agentA.get(`/api/v1/conversations/${selfConv.id}/messages`))
          .json()
          .data.find((x: { id: string }) => x.id === id);
        return m?.status === 'failed' && m;
      });
    const failed = await failedMessage(reply.json().message_id);
    expect(failed.error).toMatchObject({ code: 131021 });
    const retried = await agentA.post(`/api/v1/conversations/${selfConv.id}/messages/${failed.id}/retry`, {});
    expect(retried.statusCode, retried.body).toBe(202);
    expect(retried.json().message_id).not.toBe(failed.id);
    const again = await failedMessage(retried.json().message_id);
    expect(again.content).toEqual(failed.content);
  });
  it('teams: managers keep them; round-robin within a team goes only to its online members', async () => {
    await customerWrites(42, 'Question about my bill');
    const c = await conversationOf(owner, 42);
    const userA = (await agentA.get('/api/v1/me')).json().user.id;
    const viewerId = (await viewer.get('/api/v1/me')).json().user.id;
    const created = await owner.post('/api/v1/teams', { name: 'Billing', member_ids: [userB] });
    expect(created.statusCode, created.body).toBe(201);
    const team = created.json();
    expect(team.members).toEqual([{ id: userB, name: expect.any(String), email: 'agent-b@example.com' }]);
    // Bad input is a clear 4xx and changes nothing.
    expect((await owner.post('/api/v1/teams', { name: 'billing', member_ids: [] })).statusCode).toBe(409);
    const withViewer = await owner.post('/api/v1/teams', { name: 'Sales', member_ids: [viewerId] });
    expect(withViewer.statusCode).toBe(400);
    expect(withViewer.json().error.message).toMatch(/member_ids/);
    expect((await owner.post('/api/v1/teams', { name: ' ', member_ids: [] })).statusCode).toBe(400);
    expect((await agentA.post('/api/v1/teams', { name: 'Mine', member_ids: [] })).statusCode).toBe(403);
    expect((await agentA.get('/api/v1/teams')).json().data.map((x: { name: string }) => x.name)).toEqual([
      'Billing',
    ]);
    // Round-robin within Billing: always B (the only member), however long A has waited.
    await t.database.query(`update memberships set last_assigned_at = null where user_id = $1`, [userA]);
    for (let i = 0; i < 2; i++) {
      const r = await owner.post(`/api/v1/conversations/${c.id}/assign`, {
        assignee_id: 'round_robin',
        team_id: team.id,
      });
      expect(r.statusCode, r.body).toBe(200);
      expect(r.json().assignee.id).toBe(userB);
    }
    const misuse = await owner.post(`/api/v1/conversations/${c.id}/assign`, {
      assignee_id: userA,
      team_id: team.id,
    });
    expect(misuse.statusCode).toBe(400);
    // A team with nobody online: a clear refusal, the conversation keeps its assignee.
    const empty = (
      await owner.request('PUT', `/api/v1/teams/${team.id}`, { name: 'Billing desk', member_ids: [] })
    ).json();
    expect(empty).toMatchObject({ name: 'Billing desk', members: [] });
    const nobody = await owner.post(`/api/v1/conversations/${c.id}/assign`, {
      assignee_id: 'round_robin',
      team_id: team.id,
    });
    expect(nobody.statusCode).toBe(409);
    expect(nobody.json().error.message).toMatch(/No agent of that team is online/);
    expect((await conversationOf(owner, 42)).assignee?.id).toBe(userB);
    expect((await owner.delete(`/api/v1/teams/${team.id}`)).statusCode).toBe(200);
    const gone = await owner.post(`/api/v1/conversations/${c.id}/assign`, {
      assignee_id: 'round_robin',
      team_id: team.id,
    });
    expect(gone.statusCode).toBe(404);
  });
});
