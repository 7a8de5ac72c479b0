import type { Simulator } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../test/helpers/connect-number.ts';
import { createTestApp, settings, type TestApp } from '../../test/helpers.ts';
import { connectTenant, deliver, envelope, messagesChange, post, type Tenant } from './test-kit.ts';

// PostgreSQL refuses U+0000 in text and jsonb. Meta sends a customer's NUL escaped (`\u0000`): before
// it was dropped at ingestion, one such message failed its whole event on every retry.
const SECRET = 'nul-app-secret';
let sim: Simulator;
let t: TestApp;
let n: Tenant;

beforeAll(async () => {
  sim = await startSimulator({ seed: 71 });
  t = await createTestApp({ META_GRAPH_URL: sim.url });
  n = await connectTenant(t, sim, { phone: '7500001', waba: '7600001', secret: SECRET });
}, 60_000);
afterAll(async () => {
  await t.close();
  await sim.close();
});

const stored = (prefix: string) =>
  t.database.query<{ wamid: string; body: string; name: string | null; state: string }>(
    `select m.wamid, m.content->'text'->>'body' as body, k.name, 'ok' as state
     from messages m join contacts k on k.id = (select contact_id from conversations where id = m.conversation_id)
     where m.wamid like $1 order by m.wamid`,
    [`${prefix}%`],
  );

describe(`a NUL character in a customer’s text or name, on ${settings.backend}`, () => {
  it('is dropped: the message carrying it and the others of its batch all apply', async () => {
    const { eventId, result } = await deliver(
      t,
      envelope(n.wabaId, [
        messagesChange(n, [
          { id: 'wamid.NUL-1', from: '447700900101', text: 'first' },
          { id: 'wamid.NUL-2', from: '447700900102', text: 'bad\u0000text', name: 'Nu\u0000ll' },
          { id: 'wamid.NUL-3', from: '447700900103', text: 'third' },
        ]),
      ]),
      SECRET,
    );
    expect(result).toMatchObject({ messages: 3 });
    const [ev] = await t.database.query<{ state: string }>('select state from webhook_events where id = $1', [
      eventId,
    ]);
    expect(ev!.state).toBe('processed');
    expect(await stored('wamid.NUL-')).toEqual([
      { wamid: 'wamid.NUL-1', body: 'first', name: 'Ana', state: 'ok' },
      { wamid: 'wamid.NUL-2', body: 'badtext', name: 'Null', state: 'ok' },
      { wamid: 'wamid.NUL-3', body: 'third', name: 'Ana', state: 'ok' },
    ]);
  });

  it('processing several stored events together: the one with a NUL does not hold back the others', async () => {
    const ids: number[] = [];
    for (const [i, text] of ['one', 'two\u0000', 'three'].entries()) {
      const { res, eventId } = await post(
        t,
        envelope(n.wabaId, [messagesChange(n, [{ id: `wamid.BATCH-${i}`, from: `44770090020${i}`, text }])]),
        SECRET,
      );
      expect(res.statusCode).toBe(200);
      ids.push(eventId);
    }
    const r = await t.app.services.inbound.processPending({ lingerMs: 0 });
    expect(r.failed).toEqual([]);
    const rows = await t.database.query<{ state: string }>(
      'select state from webhook_events where id = any($1::bigint[])',
      [ids],
    );
    expect(rows.map((x) => x.state)).toEqual(['processed', 'processed', 'processed']);
    expect((await stored('wamid.BATCH-')).map((m) => m.body)).toEqual(['one', 'two', 'three']);
  });

  it('a lone surrogate, a time no date can hold, a list that is not one and null items: the rest of the batch applies', async () => {
    const good = messagesChange(n, [{ id: 'wamid.ODD-1', from: '447700900301', text: 'fine' }]);
    const oddContacts = messagesChange(n, [{ id: 'wamid.ODD-2', from: '447700900302', text: 'two' }]);
    (oddContacts.value as Record<string, unknown>).contacts = { not: 'a list' };
    const lone = messagesChange(n, [
      { id: 'wamid.ODD-3', from: '447700900303', text: 'half \ud800 pair', name: '\udfffAna' },
      {
        id: 'wamid.ODD-4',
        from: '447700900304',
        m: { type: 'text', text: { body: 'when?' }, timestamp: '9e99' },
      },
    ]);
    const payload = envelope(n.wabaId, [good, oddContacts, lone]) as { entry: unknown[] };
    payload.entry.push(null, { id: n.wabaId, changes: [null, 'x'] });
    const { eventId, result } = await deliver(t, payload, SECRET);
    expect(result).toMatchObject({ messages: 4 });
    const [ev] = await t.database.query<{ state: string }>('select state from webhook_events where id = $1', [
      eventId,
    ]);
    expect(ev!.state).toBe('processed');
    expect((await stored('wamid.ODD-')).slice(0, 3)).toEqual([
      { wamid: 'wamid.ODD-1', body: 'fine', name: 'Ana', state: 'ok' },
      { wamid: 'wamid.ODD-2', body: 'two', name: null, state: 'ok' },
      { wamid: 'wamid.ODD-3', body: 'half \ufffd pair', name: '\ufffdAna', state: 'ok' },
    ]);
  });
});
