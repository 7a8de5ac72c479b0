import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  META_FIXTURES,
  META_FIXTURES_DIR,
  type MetaFixtureName,
  metaChange,
  metaEnvelope,
  metaFixture,
} from '../../test/helpers/meta-fixtures.ts';
import { parseBody } from './body.ts';
import { type MessagesChange, type NormalizedChange, normalize } from './normalize.ts';

// Pure: a body in, typed changes out. What processing does with them is tested through the webhook.
const WABA = '102290129340398';
const PHONE_ID = '106540352242922';
const TS = 1767225600;
const NOW = 1_800_000_000_000;

/** A fixture file exactly as stored (the bytes Meta posted), read as processing reads it. */
const fromFile = (name: MetaFixtureName) =>
  normalize(parseBody(readFileSync(`${META_FIXTURES_DIR}${name}.json`, 'utf8')), NOW);
const only = (name: MetaFixtureName) => {
  const batch = fromFile(name);
  expect(batch.dropped).toEqual([]);
  expect(batch.changes).toHaveLength(1);
  return batch.changes[0]!;
};
const messagesOf = (c: NormalizedChange) => {
  expect(c.kind).toBe('messages');
  return c as MessagesChange;
};
const kindOf = (c: NormalizedChange) => (c.kind === 'account' ? c.update.field : c.kind);

describe('normalize: the fixture files', () => {
  it('reads every fixture as one change of its kind', () => {
    const kinds = Object.fromEntries(META_FIXTURES.map((name) => [name, kindOf(only(name))]));
    expect(kinds).toEqual({
      'message-text': 'messages',
      'message-text-stop': 'messages',
      'message-image': 'messages',
      'message-document': 'messages',
      'message-button': 'messages',
      'status-sent': 'messages',
      'status-delivered': 'messages',
      'status-read': 'messages',
      'status-failed': 'messages',
      'template-status-approved': 'message_template_status_update',
      'template-status-rejected': 'message_template_status_update',
      'template-category-update': 'template_category_update',
      'template-category-announcement': 'template_category_update',
      'template-quality-update': 'message_template_quality_update',
      'phone-number-quality-update': 'phone_number_quality_update',
      'account-update-restriction': 'account_update',
      'account-update-violation': 'account_update',
      'user-preferences-stop': 'user_preferences',
      'phone-number-quality-update-portfolio': 'phone_number_quality_update',
    });
  });

  it('a text: who wrote, what, when, their profile name; the message kept whole as Meta sent it', () => {
    const c = messagesOf(only('message-text'));
    const raw = metaFixture('message-text', { timestamp: TS }).entry[0]!.changes[0]!.value
      .messages as unknown[];
    expect(c).toEqual({
      kind: 'messages',
      index: 0,
      wabaId: WABA,
      phoneNumberId: PHONE_ID,
      messages: [
        {
          wamid: 'wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzRUIwQzc5QjM1OEFGNzg4QjY0MwA=',
          from: '16505551234',
          type: 'text',
          sentAtMs: TS * 1000,
          contextWamid: null,
          said: 'Hi! Is this still available?',
          name: 'Ana Silva',
          phone: '16505551234',
          userId: null,
          username: null,
          parentUserId: null,
          identityChange: null,
          raw: raw[0],
          referral: null,
        },
      ],
      statuses: [],
      dropped: [],
    });
  });

  it('a quick-reply button: the message it answers and the words on the button', () => {
    const [m] = messagesOf(only('message-button')).messages;
    expect(m).toMatchObject({
      type: 'button',
      contextWamid: 'wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA',
      said: 'Stop promotions',
    });
  });

  it('media: its type, no words, the media object left in the raw message', () => {
    for (const [name, type] of [
      ['message-image', 'image'],
      ['message-document', 'document'],
    ] as const) {
      const [m] = messagesOf(only(name)).messages;
      expect(m).toMatchObject({ type, said: null });
      expect((m!.raw[type] as { id: string }).id).toMatch(/^\d+$/);
    }
  });

  it('statuses: each with its time; a failed one carries Meta’s first error', () => {
    for (const status of ['sent', 'delivered', 'read'] as const) {
      const c = messagesOf(only(`status-${status}`));
      expect(c.messages).toEqual([]);
      expect(c.statuses).toMatchObject([{ status, occurredAtMs: TS * 1000, error: null }]);
    }
    const [failed] = messagesOf(only('status-failed')).statuses;
    expect(failed).toMatchObject({
      wamid: 'wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA',
      status: 'failed',
      error: { code: 131026, title: 'Message undeliverable' },
    });
    expect(failed!.raw.recipient_id).toBe('16505551234');
  });

  it('template notices: ids Meta writes as numbers read as text, reason and categories typed', () => {
    expect(only('template-status-rejected')).toMatchObject({
      kind: 'account',
      wabaId: WABA,
      update: {
        field: 'message_template_status_update',
        template: { id: '1689556908129835', name: 'abandoned_cart', language: 'en' },
        event: 'REJECTED',
        reason: 'INVALID_FORMAT',
      },
    });
    expect(only('template-category-update')).toMatchObject({
      update: {
        template: { id: '12345678', name: 'order_update', language: 'en_US' },
        previousCategory: 'UTILITY',
        newCategory: 'MARKETING',
        correctCategory: null,
      },
    });
    expect(only('template-category-announcement')).toMatchObject({
      update: { previousCategory: null, newCategory: 'MARKETING', correctCategory: 'MARKETING' },
    });
    expect(only('template-quality-update')).toMatchObject({
      update: { template: { id: '806312974732579' }, previousQuality: 'GREEN', newQuality: 'YELLOW' },
    });
  });

  it('number and account notices: the display number’s digits, the event and the limit; the value kept whole', () => {
    expect(only('phone-number-quality-update')).toMatchObject({
      update: {
        field: 'phone_number_quality_update',
        displayPhone: '15550783881',
        event: 'UPGRADE',
        currentLimit: 'TIER_10K',
      },
      value: { old_limit: 'TIER_1K' },
    });
    expect(only('account-update-violation')).toMatchObject({
      update: { field: 'account_update', event: 'ACCOUNT_VIOLATION', currentLimit: null },
      value: { violation_info: { violation_type: 'SCAM' } },
    });
  });

  it('a kind we do not act on is kept with its field and value (processing skips it)', () => {
    expect(
      normalize({ entry: [{ id: WABA, changes: [{ field: 'security', value: { a: 1 } }] }] }, NOW).changes[0],
    ).toMatchObject({
      kind: 'unknown',
      field: 'security',
      value: { a: 1 },
    });
  });

  it('user_preferences: the marketing stop of a customer, for the number that metadata names', () => {
    expect(only('user-preferences-stop')).toMatchObject({
      kind: 'account',
      update: {
        field: 'user_preferences',
        phoneNumberId: PHONE_ID,
        preferences: [
          {
            waId: '16505551234',
            value: 'stop',
            detail: 'User requested to stop marketing messages',
            occurredAtMs: 1767225600 * 1000,
            name: 'Ana Silva',
          },
        ],
      },
    });
  });

  it('phone_number_quality_update: the portfolio limit (max_daily_conversations_per_business) beside the deprecated one', () => {
    expect(only('phone-number-quality-update-portfolio')).toMatchObject({
      kind: 'account',
      update: {
        field: 'phone_number_quality_update',
        event: 'UPGRADE',
        currentLimit: 'TIER_2K',
        businessLimit: 'TIER_10K',
      },
    });
  });

  it('business_capability_update: the portfolio limit as a count (-1: unlimited)', () => {
    const { changes } = normalize(
      {
        entry: [
          {
            id: WABA,
            changes: [
              {
                field: 'business_capability_update',
                value: { max_daily_conversations_per_business: 2000, max_phone_numbers_per_waba: 25 },
              },
            ],
          },
        ],
      },
      NOW,
    );
    expect(changes[0]).toMatchObject({ kind: 'account', update: { businessLimit: 2000 } });
  });

  it('several entries and changes: in order, each with its index among the body’s changes', () => {
    const body = {
      object: 'whatsapp_business_account',
      entry: [
        ...metaEnvelope(WABA, [metaChange('message-text'), metaChange('status-read')]).entry,
        ...metaEnvelope('2', [metaChange('template-quality-update')]).entry,
      ],
    };
    const { changes } = normalize(body, NOW);
    expect(changes.map((c) => [c.index, c.wabaId, kindOf(c)])).toEqual([
      [0, WABA, 'messages'],
      [1, WABA, 'messages'],
      [2, '2', 'message_template_quality_update'],
    ]);
  });
});

describe('normalize: shapes Meta does not send', () => {
  const messages = (list: unknown[], extra: Record<string, unknown> = {}) => ({
    entry: [
      {
        id: WABA,
        changes: [
          {
            field: 'messages',
            value: { metadata: { phone_number_id: PHONE_ID }, messages: list, ...extra },
          },
        ],
      },
    ],
  });
  const one = (body: unknown) => messagesOf(normalize(body, NOW).changes[0]!);

  it('a username customer (Meta: user_id and username, no wa_id or from) is read by their BSUID', () => {
    const U = 'US.13491208655302741918';
    const c = one(
      messages(
        [{ from_user_id: U, id: 'wamid.U', timestamp: '1750090702', type: 'text', text: { body: 'Hi' } }],
        {
          contacts: [
            {
              profile: { name: 'Sheena', username: 'sheena.nelson' },
              user_id: U,
              parent_user_id: 'US.ENT.1',
            },
          ],
        },
      ),
    );
    expect(c.dropped).toEqual([]);
    expect(c.messages[0]).toMatchObject({
      from: U,
      phone: null,
      userId: U,
      username: 'sheena.nelson',
      parentUserId: 'US.ENT.1',
      name: 'Sheena',
      said: 'Hi',
    });
  });

  it('identity changes and a shared phone are read for re-linking; statuses by recipient_user_id are kept', () => {
    const c = one(
      messages(
        [
          {
            from_user_id: 'US.1',
            id: 'wamid.S1',
            type: 'system',
            system: { body: 'changed', user_id: 'US.2', type: 'user_changed_user_id' },
          },
          {
            from: '447700900001',
            id: 'wamid.S2',
            type: 'system',
            system: { body: 'changed', wa_id: '447700900002', type: 'user_changed_number' },
          },
          {
            from_user_id: 'US.3',
            id: 'wamid.C',
            type: 'contacts',
            origin: 'contact_request',
            contacts: [{ phones: [{ phone: '+44 7700 900003', wa_id: '447700900003' }] }],
          },
        ],
        { statuses: [{ id: 'wamid.OUT', status: 'delivered', recipient_user_id: 'US.3' }] },
      ),
    );
    expect(c.messages.map((m) => [m.from, m.phone, m.userId, m.identityChange])).toEqual([
      ['US.1', null, 'US.1', { phone: null, userId: 'US.2', parentUserId: null }],
      ['447700900001', '447700900001', null, { phone: '447700900002', userId: null, parentUserId: null }],
      ['447700900003', '447700900003', 'US.3', null],
    ]);
    expect(c.statuses[0]).toMatchObject({ wamid: 'wamid.OUT', recipientId: null, recipientUserId: 'US.3' });
  });

  it('a body that is not an object, or has no list of entries: nothing, without an error', () => {
    for (const body of [null, [], 'x', 42, {}, { entry: null }, { entry: { not: 'a list' } }]) {
      expect(normalize(body, NOW)).toEqual({ changes: [], dropped: [] });
    }
  });

  it('entries and changes that are not objects are dropped with why; the index counts real changes only', () => {
    const batch = normalize(
      {
        entry: [
          null,
          { id: WABA, changes: [null, 'x', metaChange('status-sent')] },
          { id: WABA, changes: 'not a list' },
          7,
          { id: 3, changes: [metaChange('account-update-violation')] },
        ],
      },
      NOW,
    );
    expect(batch.dropped).toEqual([
      'entry 0: not an object',
      'entry 1 change 0: not an object',
      'entry 1 change 1: not an object',
      'entry 3: not an object',
    ]);
    expect(batch.changes.map((c) => [c.index, c.wabaId, kindOf(c)])).toEqual([
      [0, WABA, 'messages'],
      [1, '3', 'account_update'],
    ]);
  });

  it('a message without from or id, or that is not an object, is dropped with why; the others are kept', () => {
    const c = one(
      messages([
        { id: 'wamid.A', type: 'text', text: { body: 'no sender' } },
        { from: '1', type: 'text' },
        { from: '', id: 'wamid.B' },
        { from: { x: 1 }, id: 'wamid.C' },
        null,
        'x',
        { from: '447700900001', id: 'wamid.OK', type: 'text', text: { body: 'fine' } },
      ]),
    );
    expect(c.messages.map((m) => m.wamid)).toEqual(['wamid.OK']);
    expect(c.dropped).toEqual([
      'message without from/id',
      'message without from/id',
      'message without from/id',
      'message without from/id',
      'message that is not an object',
      'message that is not an object',
    ]);
  });

  it('a status without id or status is dropped with why', () => {
    const c = one(
      messages([], {
        statuses: [{ id: 'wamid.A' }, { status: 'read' }, 5, { id: 'wamid.B', status: 'read' }],
      }),
    );
    expect(c.statuses.map((s) => s.wamid)).toEqual(['wamid.B']);
    expect(c.dropped).toEqual([
      'status without id/status',
      'status without id/status',
      'status that is not an object',
    ]);
  });

  it('an optional field of the wrong type reads as absent; numbers where Meta writes ids are read as text', () => {
    const c = one(
      messages(
        [
          {
            from: 447700900001,
            id: 'wamid.A',
            type: 7,
            context: 'not an object',
            text: { body: ['not', 'text'] },
          },
          { from: '447700900002', id: 'wamid.B', type: 'text', text: 'not an object', context: { id: 9 } },
        ],
        {
          metadata: { phone_number_id: 106540352242922 },
          contacts: [
            { wa_id: 447700900001, profile: { name: 42 }, user_id: {} },
            { wa_id: '447700900002', profile: 'not an object' },
            null,
          ],
        },
      ),
    );
    expect(c.phoneNumberId).toBe(PHONE_ID);
    expect(c.dropped).toEqual([]);
    expect(c.messages.map(({ raw: _, ...m }) => m)).toEqual([
      {
        wamid: 'wamid.A',
        from: '447700900001',
        phone: '447700900001',
        type: 'unknown',
        sentAtMs: NOW,
        contextWamid: null,
        said: null,
        name: null,
        userId: null,
        referral: null,
        username: null,
        parentUserId: null,
        identityChange: null,
      },
      {
        wamid: 'wamid.B',
        from: '447700900002',
        phone: '447700900002',
        type: 'text',
        sentAtMs: NOW,
        contextWamid: null,
        said: null,
        name: null,
        userId: null,
        referral: null,
        username: null,
        parentUserId: null,
        identityChange: null,
      },
    ]);
  });

  it('contacts that are not a list: messages kept, without profile names', () => {
    const c = one(messages([{ from: '1', id: 'wamid.A', type: 'text' }], { contacts: { not: 'a list' } }));
    expect(c.messages).toMatchObject([{ wamid: 'wamid.A', name: null }]);
  });

  it('the last profile of a customer wins, and carries the user id', () => {
    const c = one(
      messages([{ from: '1', id: 'wamid.A' }], {
        contacts: [
          { wa_id: '1', profile: { name: 'Old' } },
          { wa_id: '1', profile: { name: 'New' }, user_id: 'US.1' },
        ],
      }),
    );
    expect(c.messages).toMatchObject([{ name: 'New', userId: 'US.1' }]);
  });

  it('a time no date can hold is taken as now; a change value that is not an object, or none, reads as empty', () => {
    const c = one(
      messages([
        { from: '1', id: 'wamid.A', timestamp: '9e99' },
        { from: '1', id: 'wamid.B', timestamp: 'soon' },
        { from: '1', id: 'wamid.C', timestamp: { x: 1 } },
      ]),
    );
    expect(c.messages.map((m) => m.sentAtMs)).toEqual([NOW, NOW, NOW]);
    const empty = normalize(
      { entry: [{ id: WABA, changes: [{ field: 'messages', value: [1, 2] }, { field: 'messages' }] }] },
      NOW,
    );
    expect(empty.changes).toEqual(
      [0, 1].map((index) => ({
        kind: 'messages',
        index,
        wabaId: WABA,
        phoneNumberId: '',
        messages: [],
        statuses: [],
        dropped: [],
      })),
    );
  });

  it('a notice with fields of the wrong type: those read as absent, the notice is kept', () => {
    const { changes } = normalize(
      {
        entry: [
          {
            id: WABA,
            changes: [
              {
                field: 'message_template_status_update',
                value: { event: ['x'], message_template_id: {}, reason: '' },
              },
              { field: 'phone_number_quality_update', value: 'not an object' },
              { field: 7, value: { a: 1 } },
            ],
          },
        ],
      },
      NOW,
    );
    expect(changes.map((c) => (c.kind === 'account' ? c.update : c))).toEqual([
      {
        field: 'message_template_status_update',
        template: { id: null, name: null, language: null },
        event: null,
        reason: null,
      },
      {
        field: 'phone_number_quality_update',
        displayPhone: '',
        event: null,
        currentLimit: null,
        businessLimit: null,
      },
      { kind: 'unknown', index: 2, wabaId: WABA, field: '7', value: { a: 1 } },
    ]);
  });

  it('NUL and lone surrogates (sent escaped) are cleaned before reading; a clean body is read untouched', () => {
    const body = JSON.stringify(
      messages([{ from: '1', id: 'wamid.A', type: 'text', text: { body: 'a\u0000b \ud800 c' } }], {
        contacts: [{ wa_id: '1', profile: { name: '\udfffAna' } }],
      }),
    ).replaceAll('\u0000', '\\u0000');
    expect(body).toContain('\\u0000');
    const [m] = one(parseBody(body)).messages;
    expect(m).toMatchObject({ said: 'ab \ufffd c', name: '\ufffdAna' });
    expect((m!.raw.text as { body: string }).body).toBe('ab \ufffd c');
  });

  it('never throws: fixtures with values replaced, removed or wrapped at random', () => {
    const bodies = fc.constantFrom(...META_FIXTURES).map((name) => metaFixture(name, { timestamp: TS }));
    fc.assert(
      fc.property(
        bodies,
        fc.array(fc.tuple(fc.nat(), fc.jsonValue()), { minLength: 1, maxLength: 4 }),
        (body, edits) => {
          for (const [at, value] of edits) mutate(body, at, value);
          const batch = normalize(body, NOW);
          for (const c of batch.changes) {
            if (c.kind !== 'messages') continue;
            for (const m of c.messages) expect(typeof m.from === 'string' && m.from !== '').toBe(true);
          }
        },
      ),
      { numRuns: 300, seed: 19 },
    );
  });
});

/** Replaces the value at the `at`-th path of `root` (in a walk of it) by `value`, or deletes it. */
function mutate(root: unknown, at: number, value: unknown) {
  const spots: [Record<string | number, unknown>, string | number][] = [];
  const walk = (v: unknown) => {
    if (!v || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      spots.push([v as Record<string, unknown>, Array.isArray(v) ? Number(k) : k]);
      walk(x);
    }
  };
  walk(root);
  if (!spots.length) return;
  const [parent, key] = spots[at % spots.length]!;
  if (at % 5 === 0 && !Array.isArray(parent)) delete parent[key];
  else parent[key] = value;
}

describe('normalize: coexistence numbers and referrals (shapes of Meta’s documented examples)', () => {
  const body = (field: string, value: Record<string, unknown>) => ({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: WABA,
        changes: [
          {
            field,
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: PHONE_ID },
              ...value,
            },
          },
        ],
      },
    ],
  });
  const coex = (field: string, value: Record<string, unknown>) => {
    const [c] = normalize(body(field, value), NOW).changes;
    if (c?.kind !== 'coexistence') throw new Error(`not coexistence: ${c?.kind}`);
    return c;
  };

  it('an echo: the business’s message to the customer (`to`), outbound', () => {
    const c = coex('smb_message_echoes', {
      message_echoes: [
        {
          from: '15550783881',
          to: '16505551234',
          id: 'wamid.ECHO',
          timestamp: String(TS),
          type: 'text',
          text: { body: "Here's the info you requested!" },
        },
        { from: '15550783881', id: 'wamid.NO_TO', type: 'text' },
      ],
    });
    expect(c).toMatchObject({ field: 'smb_message_echoes', phoneNumberId: PHONE_ID });
    expect(c.messages).toEqual([
      expect.objectContaining({
        wamid: 'wamid.ECHO',
        customer: '16505551234',
        direction: 'out',
        type: 'text',
        sentAtMs: TS * 1000,
        status: null,
      }),
    ]);
    expect(c.dropped).toEqual(['echo to a customer without a phone number or user id']);
  });

  it('history: each thread’s messages, the business’s (from its number, with `to`) outbound', () => {
    const c = coex('history', {
      history: [
        {
          metadata: { phase: 0, chunk_order: 1, progress: 55 },
          threads: [
            {
              id: '16505551234',
              messages: [
                {
                  from: '16505551234',
                  id: 'wamid.H1',
                  timestamp: String(TS - 100),
                  type: 'text',
                  text: { body: 'Hi' },
                  history_context: { status: 'read' },
                },
                {
                  from: '15550783881',
                  to: '16505551234',
                  id: 'wamid.H2',
                  timestamp: String(TS),
                  type: 'text',
                  text: { body: 'Hello' },
                  history_context: { status: 'delivered' },
                },
              ],
            },
            { messages: [] },
          ],
        },
        { errors: [{ code: 2593109 }] },
      ],
    });
    expect(c.messages.map((m) => [m.wamid, m.customer, m.direction, m.status, m.sentAtMs])).toEqual([
      ['wamid.H1', '16505551234', 'in', 'read', (TS - 100) * 1000],
      ['wamid.H2', '16505551234', 'out', 'delivered', TS * 1000],
    ]);
    expect(c.dropped).toEqual(['history thread without id']);
  });

  it('app state sync: contacts added (named) or removed; other items dropped with why', () => {
    const c = coex('smb_app_state_sync', {
      state_sync: [
        {
          type: 'contact',
          contact: { full_name: 'Pablo Morales', first_name: 'Pablo', phone_number: '16505551234' },
          action: 'add',
          metadata: { timestamp: String(TS) },
        },
        { type: 'contact', contact: { phone_number: '+1 650 555 9999' }, action: 'remove' },
        { type: 'label', action: 'add' },
      ],
    });
    expect(c.contacts).toEqual([
      { phone: '16505551234', action: 'add', name: 'Pablo Morales' },
      { phone: '16505559999', action: 'remove', name: null },
    ]);
    expect(c.dropped).toEqual(['app state sync item that is not a contact with a phone']);
  });

  it('a Click-to-WhatsApp referral is read off the message (with ctwa_clid)', () => {
    const referral = { source_type: 'ad', source_id: '1', headline: 'Sale', ctwa_clid: 'ARAkLkA8rm' };
    const [c] = normalize(
      body('messages', {
        messages: [
          { from: '1', id: 'wamid.R', type: 'text', text: { body: 'hi' }, referral },
          { from: '1', id: 'wamid.S', type: 'text', referral: 'not an object' },
        ],
      }),
      NOW,
    ).changes;
    expect((c as MessagesChange).messages.map((m) => m.referral)).toEqual([referral, null]);
  });

  it('a customer named only by a business-scoped user id is that BSUID, never read as a phone', () => {
    const bsuid = 'US.13491208655302741918';
    const echo = coex('smb_message_echoes', {
      message_echoes: [
        { from: '15550783881', to: bsuid, id: 'wamid.E', type: 'text' },
        { from: '15550783881', to_user_id: bsuid, id: 'wamid.F', type: 'text' },
        { from: '15550783881', to: '16505551234', to_user_id: bsuid, id: 'wamid.G', type: 'text' },
        { from: '15550783881', to: 'not a phone', id: 'wamid.H', type: 'text' },
      ],
    });
    expect(echo.messages.map((m) => [m.wamid, m.customer, m.phone, m.userId])).toEqual([
      ['wamid.E', bsuid, null, bsuid],
      ['wamid.F', bsuid, null, bsuid],
      ['wamid.G', '16505551234', '16505551234', bsuid],
    ]);
    expect(echo.dropped).toEqual(['echo to a customer without a phone number or user id']);
    const history = coex('history', {
      history: [{ threads: [{ id: bsuid, messages: [{ id: 'wamid.H', type: 'text' }] }] }],
    });
    expect(history.messages.map((m) => [m.customer, m.phone, m.userId])).toEqual([[bsuid, null, bsuid]]);
  });

  it('standby, messaging_handovers and calls are kept as unknown kinds', () => {
    for (const field of ['standby', 'messaging_handovers', 'calls']) {
      expect(normalize(body(field, {}), NOW).changes[0]).toMatchObject({ kind: 'unknown', field });
    }
  });
});
