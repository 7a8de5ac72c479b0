import { expect, it } from 'vitest';
import { SAMPLE_MESSAGES } from '../../test/sample-messages.ts';
import { GraphError } from './graph-error.ts';
import type { NumberCredentials, WabaCredentials, WhatsAppProvider } from './provider.ts';

export interface ContractWorld {
  provider: WhatsAppProvider;
  number: NumberCredentials;
  waba: WabaCredentials;
  /** A recipient whose 24 h window is open. */
  recipient: string;
  /** An APPROVED template in the WABA with one body variable. */
  template: { name: string; language: string };
  /** Credentials whose token has expired. */
  expired: NumberCredentials;
  /** Makes `count` more templates exist in the WABA (to exercise paging). */
  addTemplates(count: number): Promise<void>;
  /** A number whose token belongs to a Meta app with this secret and id; a secret of another app. */
  app: { number: NumberCredentials & { appSecret: string }; appId: string; otherSecret: string };
}

/**
 * The behaviour every WhatsAppProvider must have. Run against the real client talking to the
 * simulator (cloud-api.provider.test.ts); any fake must pass it too.
 */
export function providerContract(world: () => ContractWorld) {
  it('sends every message type and returns a wamid with the normalised wa_id', async () => {
    const w = world();
    for (const [name, content] of Object.entries(SAMPLE_MESSAGES)) {
      if (content.type === 'template') continue;
      const r = await w.provider.sendMessage(w.number, `+${w.recipient}`, content);
      expect(r.wamid, name).toMatch(/^wamid\./);
      expect(r.waId, name).toBe(w.recipient);
      expect(r.input, name).toBe(`+${w.recipient}`);
    }
  });

  it('sends a template with parameters, a reply context and callback data', async () => {
    const w = world();
    const r = await w.provider.sendMessage(
      w.number,
      w.recipient,
      {
        type: 'template',
        template: {
          name: w.template.name,
          language: { code: w.template.language },
          components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }] }],
        },
      },
      { bizOpaqueCallbackData: 'campaign:1', replyTo: 'wamid.PREVIOUS' },
    );
    expect(r.wamid).toMatch(/^wamid\./);
    expect(r.messageStatus).toBe('accepted');
  });

  it('keeps Meta’s code, details and trace id on a template error', async () => {
    const w = world();
    const err = await w.provider
      .sendMessage(w.number, w.recipient, {
        type: 'template',
        template: { name: 'does_not_exist', language: { code: 'en_US' } },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphError);
    const g = err as GraphError;
    expect(g.code).toBe(132001);
    expect(g.kind).toBe('template');
    expect(g.retryable).toBe(false);
    expect(g.fbtraceId).toBeTruthy();
    expect(g.details).toMatch(/does_not_exist/);
  });

  it('a wrong parameter count is a template error (132000)', async () => {
    const w = world();
    const err = (await w.provider
      .sendMessage(w.number, w.recipient, {
        type: 'template',
        template: { name: w.template.name, language: { code: w.template.language }, components: [] },
      })
      .catch((e: unknown) => e)) as GraphError;
    expect(err.code).toBe(132000);
    expect(err.kind).toBe('template');
  });

  it('an expired token is a token error (190/463, HTTP 401)', async () => {
    const w = world();
    const err = (await w.provider.getPhoneNumber(w.expired).catch((e: unknown) => e)) as GraphError;
    expect(err).toBeInstanceOf(GraphError);
    expect(err.code).toBe(190);
    expect(err.subcode).toBe(463);
    expect(err.status).toBe(401);
    expect(err.kind).toBe('token');
  });

  it('marks a message as read, with a typing indicator', async () => {
    const w = world();
    await expect(
      w.provider.markRead(w.number, 'wamid.INBOUND', { typingIndicator: true }),
    ).resolves.toBeUndefined();
  });

  it('uploads, describes, downloads and deletes media', async () => {
    const w = world();
    const data = new Uint8Array(Buffer.from('%PDF-1.4 contract test\n%%EOF\n'));
    const { id } = await w.provider.uploadMedia(w.number, {
      data,
      mimeType: 'application/pdf',
      filename: 'a.pdf',
    });
    const info = await w.provider.getMedia(w.number, id);
    expect(info.id).toBe(id);
    expect(info.mime_type).toBe('application/pdf');
    expect(info.file_size).toBe(data.length);
    const file = await w.provider.downloadMedia(w.number, info.url);
    expect(file.mimeType).toBe('application/pdf');
    expect(Buffer.compare(file.data, Buffer.from(data))).toBe(0);
    await expect(w.provider.downloadMedia(w.number, info.url, { maxBytes: 4 })).rejects.toThrow(
      /larger than 4 bytes/,
    );
    await w.provider.deleteMedia(w.number, id);
    await expect(w.provider.getMedia(w.number, id)).rejects.toBeInstanceOf(GraphError);
  });

  it('refuses to send the token to a host that is not Meta’s', async () => {
    const w = world();
    await expect(w.provider.downloadMedia(w.number, 'https://attacker.example/x.jpg')).rejects.toThrow(
      /unexpected host/,
    );
  });

  it('reads the phone number: quality, throughput, limit tier and name status', async () => {
    const w = world();
    const n = await w.provider.getPhoneNumber(w.number);
    expect(n.id).toBe(w.number.phoneNumberId);
    expect(n.quality_rating).toMatch(/GREEN|YELLOW|RED|UNKNOWN/);
    expect(n.throughput?.level).toMatch(/STANDARD|HIGH/);
    expect(n.messaging_limit_tier).toMatch(/^TIER_/);
    expect(n.name_status).toBeTruthy();
    const list = await w.provider.listPhoneNumbers(w.waba);
    expect(list.map((x) => x.id)).toContain(w.number.phoneNumberId);
  });

  it('lists every template, following paging to the end', async () => {
    const w = world();
    await w.addTemplates(7);
    const all = await w.provider.listTemplates(w.waba, { pageSize: 3 });
    const ids = all.map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(all.length).toBeGreaterThanOrEqual(8);
    expect(all.some((t) => t.name === w.template.name)).toBe(true);
  });

  it('creates a template (PENDING) and deletes it by id and by name', async () => {
    const w = world();
    const created = await w.provider.createTemplate(w.waba, {
      name: 'contract_order_update',
      language: 'en_US',
      category: 'UTILITY',
      components: [
        { type: 'BODY', text: 'Hi {{1}}, your order is on its way.', example: { body_text: [['Ana']] } },
      ],
    });
    expect(created.status).toBe('PENDING');
    expect(created.id).toMatch(/^\d+$/);
    await w.provider.deleteTemplate(w.waba, { name: 'contract_order_update', id: created.id });
    const after = await w.provider.listTemplates(w.waba);
    expect(after.some((t) => t.id === created.id)).toBe(false);
    await expect(w.provider.deleteTemplate(w.waba, { name: 'contract_order_update' })).rejects.toBeInstanceOf(
      GraphError,
    );
  });

  it('a malformed request keeps Meta’s validation code', async () => {
    const w = world();
    const err = (await w.provider
      .sendMessage(w.number, w.recipient, { type: 'text', text: { body: '' } })
      .catch((e: unknown) => e)) as GraphError;
    expect(err).toBeInstanceOf(GraphError);
    expect([100, 131008, 131009]).toContain(err.code);
    expect(err.kind).toBe('permanent');
  });

  it('proves the token’s app with appsecret_proof; debug_token names the app', async () => {
    const w = world();
    await expect(w.provider.getPhoneNumber(w.app.number)).resolves.toMatchObject({
      id: w.app.number.phoneNumberId,
    });
    const wrong = (await w.provider
      .getPhoneNumber({ ...w.app.number, appSecret: w.app.otherSecret })
      .catch((e: unknown) => e)) as GraphError;
    expect(wrong).toBeInstanceOf(GraphError);
    expect([wrong.status, wrong.code, wrong.kind]).toEqual([400, 100, 'permanent']);
    expect(wrong.title).toBe('Invalid appsecret_proof provided in the API argument');
    await expect(w.provider.debugToken(w.app.number)).resolves.toMatchObject({
      app_id: w.app.appId,
      is_valid: true,
    });
    await expect(
      w.provider.debugToken({ ...w.app.number, appSecret: w.app.otherSecret }),
    ).rejects.toMatchObject({ code: 100 });
  });
}
