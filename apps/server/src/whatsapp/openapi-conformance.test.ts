import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MessageContent } from '@openwaba/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasMetaOpenApi, metaValidator } from '../../test/meta-openapi.ts';
import { SAMPLE_MESSAGES } from '../../test/sample-messages.ts';
import { createCloudApiProvider } from './cloud-api.provider.ts';
import type { WhatsAppProvider } from './provider.ts';

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
