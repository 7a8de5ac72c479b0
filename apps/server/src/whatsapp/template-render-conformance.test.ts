import { renderTemplate, type TemplateDef, type TemplateParams } from '@openwaba/contracts';
import { describe, expect, it } from 'vitest';
import { hasMetaOpenApi, metaValidator } from '../../test/meta-openapi.ts';

// Every component and parameter kind the shared renderer produces, wrapped in a send body and checked
// against the `Message` schema of Meta's OpenAPI file.
const CASES: [string, TemplateDef, TemplateParams][] = [
  [
    'text header, positional body with text, currency and date-time, URL and quick-reply buttons',
    {
      name: 'fall_sale',
      language: 'en_US',
      components: [
        { type: 'HEADER', format: 'TEXT', text: 'Hi {{1}}' },
        { type: 'BODY', text: 'Code {{1}} saves {{2}} until {{3}}' },
        {
          type: 'BUTTONS',
          buttons: [
            { type: 'URL', text: 'Shop', url: 'https://shop.example/{{1}}' },
            { type: 'QUICK_REPLY', text: 'Stop' },
          ],
        },
      ],
    },
    {
      header: { text: 'Ana' },
      body: {
        '1': 'FALL25',
        '2': { currency: { code: 'EUR', amount_1000: 12500, fallback_value: '€12.50' } },
        '3': { date_time: { fallback_value: '31 October' } },
      },
      buttons: { '0': 'fall', '1': 'STOP' },
    },
  ],
  [
    'image header by link',
    {
      name: 'img',
      language: 'en',
      components: [
        { type: 'HEADER', format: 'IMAGE' },
        { type: 'BODY', text: 'Look' },
      ],
    },
    { header: { media: { link: 'https://cdn.example/a.jpg' } } },
  ],
  [
    'video header by uploaded id',
    {
      name: 'vid',
      language: 'en',
      components: [
        { type: 'HEADER', format: 'VIDEO' },
        { type: 'BODY', text: 'Watch' },
      ],
    },
    { header: { media: { id: '1003383421387256' } } },
  ],
  [
    'document header with file name, named body parameters',
    {
      name: 'invoice',
      language: 'en',
      parameter_format: 'NAMED',
      components: [
        { type: 'HEADER', format: 'DOCUMENT' },
        { type: 'BODY', text: 'Invoice {{number}} for {{name}}' },
      ],
    },
    {
      header: { media: { link: 'https://cdn.example/i.pdf', filename: 'invoice.pdf' } },
      body: { number: 'INV-7', name: 'Jo' },
    },
  ],
  [
    'location header',
    {
      name: 'store',
      language: 'en',
      components: [
        { type: 'HEADER', format: 'LOCATION' },
        { type: 'BODY', text: 'Our store' },
      ],
    },
    {
      header: { location: { latitude: 37.44, longitude: -122.16, name: 'Philz', address: '101 Forest Ave' } },
    },
  ],
  // Copy-code buttons (`sub_type: copy_code`, a `coupon_code` parameter) are in Meta's coupon-template
  // guide but not in the v23 OpenAPI file's ButtonComponent enum, so they cannot be checked here; the
  // renderer's own test (packages/contracts) covers their shape.
];

describe.skipIf(!hasMetaOpenApi)('rendered template components match Meta’s OpenAPI file', () => {
  it.each(CASES)('%s', (_name, def, params) => {
    const r = renderTemplate(def, params);
    expect(r.ok, JSON.stringify(r)).toBe(true);
    if (!r.ok) return;
    const body = {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '+16505551234',
      type: 'template',
      // `policy` as the client adds it on the wire (cloud-api.provider.ts).
      template: {
        name: def.name,
        language: { code: def.language, policy: 'deterministic' },
        components: r.components,
      },
    };
    expect(metaValidator()('Message', body)).toEqual([]);
  });
});
