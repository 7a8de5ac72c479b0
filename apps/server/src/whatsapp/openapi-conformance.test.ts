import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MessageContent } from '@openwaba/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasMetaOpenApi, metaRequest, metaValidator } from '../../test/meta-openapi.ts';
import { SAMPLE_MESSAGES } from '../../test/sample-messages.ts';
import { createCloudApiProvider } from './cloud-api.provider.ts';
import type { TemplateDefinition, WhatsAppProvider } from './provider.ts';

// Captures exactly what the client puts on the wire, answering like Meta.
let server: Server;
let provider: WhatsAppProvider;
const bodies: unknown[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      const body = JSON.parse(raw);
      bodies.push(body);
      res.setHeader('content-type', 'application/json');
      res.end(
        body.status === 'read'
          ? '{"success":true}'
          : body.components
            ? JSON.stringify({ id: '1689556908129832', status: 'PENDING', category: body.category })
            : JSON.stringify({
                messaging_product: 'whatsapp',
                contacts: [{ input: body.to, wa_id: body.to }],
                messages: [{ id: 'wamid.X' }],
              }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  provider = createCloudApiProvider({ baseUrl: `http://127.0.0.1:${port}`, version: 'v23.0' });
});
afterAll(async () => {
  await provider.close();
  await new Promise((r) => server.close(r));
});

const creds = { phoneNumberId: '1001', accessToken: 't' };

describe.skipIf(!hasMetaOpenApi)("every request body the client sends matches Meta's OpenAPI schema", () => {
  it.each(Object.entries(SAMPLE_MESSAGES))('%s', async (_name, content) => {
    bodies.length = 0;
    await provider.sendMessage(creds, '+16505551234', content as MessageContent, {
      replyTo: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJCOTY3NDc0NDFDRUI3NTA0Q0UA',
      bizOpaqueCallbackData: 'campaign:42',
    });
    expect(bodies).toHaveLength(1);
    expect(metaValidator()('Message', bodies[0])).toEqual([]);
  });

  it('a body Meta would reject fails the same validator (the check can fail)', () => {
    const v = metaValidator();
    expect(
      v('Message', {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        type: 'text',
        text: { body: 'x' },
      }),
    ).not.toEqual([]);
    expect(
      v('Message', {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: '1',
        type: 'text',
        text: 'x',
      }),
    ).not.toEqual([]);
    expect(
      v('Message', {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: '1',
        type: 'text',
        text: { body: 'x' },
        colour: 1,
      }),
    ).not.toEqual([]);
    expect(
      v('Message', {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: '1',
        type: 'template',
        template: { name: 'x', language: { code: 'en' } },
      }),
    ).not.toEqual([]);
  });

  it('covers every message type the client can send', () => {
    const types = new Set(Object.values(SAMPLE_MESSAGES).map((m) => m.type));
    expect([...types].sort()).toEqual(
      [
        'audio',
        'contacts',
        'document',
        'image',
        'interactive',
        'location',
        'reaction',
        'sticker',
        'template',
        'text',
        'video',
      ].sort(),
    );
  });
});

const PYWA_TEMPLATES = new URL('../../../../../shared/fixtures/meta/pywa/templates/', import.meta.url);

describe.skipIf(!hasMetaOpenApi)('other request bodies match Meta’s OpenAPI file', () => {
  it('mark as read sends exactly the fields of Meta’s example', async () => {
    const example = metaRequest('/{Version}/{Phone-Number-ID}/messages', 'post').examples[
      'Send typing indicator and read receipt'
    ] as Record<string, unknown>;
    bodies.length = 0;
    await provider.markRead(creds, 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUYzMjEzNDM2RTZGQ0MzMDJBRgA=', {
      typingIndicator: true,
    });
    expect(Object.keys(bodies[0] as object).sort()).toEqual(Object.keys(example).sort());
    expect(bodies[0]).toEqual(example);
  });

  const templates: [string, TemplateDefinition][] = existsSync(PYWA_TEMPLATES)
    ? readdirSync(PYWA_TEMPLATES)
        .filter((f) => f.endsWith('.json'))
        .flatMap((f) =>
          Object.entries(
            JSON.parse(readFileSync(new URL(f, PYWA_TEMPLATES), 'utf8')) as Record<
              string,
              TemplateDefinition
            >,
          ).map(([name, def]) => [`${f}#${name}`, def] as [string, TemplateDefinition]),
        )
    : [];

  it('has template definitions to check', () => {
    expect(templates.length).toBeGreaterThan(5);
  });

  it.each(templates)('create template %s', async (_name, def) => {
    const { validate } = metaRequest('/{Version}/{WABA-ID}/message_templates', 'post');
    bodies.length = 0;
    const created = await provider.createTemplate({ wabaId: '2001', accessToken: 't' }, def);
    expect(created.status).toBe('PENDING');
    expect(validate(bodies[0])).toEqual([]);
  });

  it('the template validator can fail', () => {
    const { validate } = metaRequest('/{Version}/{WABA-ID}/message_templates', 'post');
    expect(validate({ name: 1, components: 'x' })).not.toEqual([]);
  });
});
