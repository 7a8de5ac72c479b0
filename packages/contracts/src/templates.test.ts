import { describe, expect, it } from 'vitest';
import { CreateTemplateBody, resolveTemplateParams, toMetaTemplate } from './templates.ts';

const base = {
  number_id: '00000000-0000-4000-8000-000000000001',
  name: 'shipping_notice',
  language: 'en_US',
  category: 'UTILITY',
};
const issues = (body: unknown) => {
  const r = CreateTemplateBody.safeParse(body);
  return r.success ? [] : r.error.issues.map((i) => i.message);
};

describe('CreateTemplateBody mirrors Meta’s rules', () => {
  it('accepts a well-formed template and builds Meta’s body with examples', () => {
    const t = CreateTemplateBody.parse({
      ...base,
      body: { text: 'Hello {{1}}, parcel {{2}} is on its way.', examples: ['Ana', 'P-1'] },
      footer: 'Kettle & Co',
    });
    expect(toMetaTemplate(t).components).toEqual([
      {
        type: 'BODY',
        text: 'Hello {{1}}, parcel {{2}} is on its way.',
        example: { body_text: [['Ana', 'P-1']] },
      },
      { type: 'FOOTER', text: 'Kettle & Co' },
    ]);
  });

  it.each([
    ['{{1}} starts the body', /cannot start or end/],
    ['The body ends with {{1}}', /cannot start or end/],
    ['Meet you at {{1}}.', /cannot start or end/],
    ['Two {{1}}{{2}} together', /between variables/],
    ['Skips {{1}} to {{3}} here', /in sequence/],
  ])('refuses %j', (text, message) => {
    expect(issues({ ...base, body: { text, examples: ['a', 'b', 'c'].slice(0, 2) } }).join(' | ')).toMatch(
      message,
    );
  });

  it('needs an example per variable, and refuses authentication templates', () => {
    expect(issues({ ...base, body: { text: 'Hi {{1}} and {{2}} here' } })).toContain(
      'Meta needs an example for each of the 2 variables',
    );
    expect(issues({ ...base, category: 'AUTHENTICATION', body: { text: 'Code here' } }).join()).toMatch(
      /WhatsApp Manager/,
    );
  });
});

describe('resolveTemplateParams', () => {
  it('fills values from the contact, fixed text and CSV columns, and names what is missing', () => {
    const r = resolveTemplateParams(
      {
        'header.1': { fixed: 'Sale' },
        'body.1': { contact: 'name' },
        'body.2': { contact: 'field.city' },
        'body.3': { column: 'Coupon' },
        'buttons.0': { column: 'Link' },
      },
      { name: 'Ana', fields: { city: '' }, row: { Coupon: 'FALL25' } },
    );
    expect(r.params).toEqual({ header: { text: 'Sale' }, body: { '1': 'Ana', '3': 'FALL25' }, buttons: {} });
    expect(r.missing).toEqual([
      { key: 'body.2', source: 'contact field.city' },
      { key: 'buttons.0', source: 'column Link' },
    ]);
  });

  it('a media header column gives a link or an uploaded media id', () => {
    const mapping = { 'header.image': { column: '{{Media}}' } } as const;
    expect(
      resolveTemplateParams(mapping, { row: { '{{Media}}': 'https://cdn.example.com/a.jpg' } }).params,
    ).toEqual({ header: { media: { link: 'https://cdn.example.com/a.jpg' } }, body: {}, buttons: {} });
    expect(resolveTemplateParams(mapping, { row: { '{{Media}}': '1234567890' } }).params.header).toEqual({
      media: { id: '1234567890' },
    });
  });
});
