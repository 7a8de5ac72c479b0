import { describe, expect, it } from 'vitest';
import { renderTemplate, type TemplateDef, templateVariables } from './template-render.ts';
import { TemplateContent } from './whatsapp.ts';

const promo: TemplateDef = {
  name: '2023_april_promo',
  language: 'en_US',
  category: 'MARKETING',
  components: [
    { type: 'HEADER', format: 'TEXT', text: 'Fall Sale for {{1}}', example: { header_text: ['Mark'] } },
    {
      type: 'BODY',
      text: 'Hi {{1}}, our Fall Sale is on! Use promo code {{2}} before {{3}} to save {{4}}.',
      example: { body_text: [['Mark', 'FALL25', 'Friday', '$10']] },
    },
    { type: 'FOOTER', text: 'Not interested? Tap Stop promotions' },
    {
      type: 'BUTTONS',
      buttons: [
        { type: 'URL', text: 'Shop', url: 'https://shop.example/{{1}}', example: ['fall'] },
        { type: 'QUICK_REPLY', text: 'Stop promotions' },
        { type: 'PHONE_NUMBER', text: 'Call us', phone_number: '+15550783881' },
        { type: 'COPY_CODE', text: 'Copy code', example: 'FALL25' },
      ],
    },
  ],
};

const named: TemplateDef = {
  name: 'order_update',
  language: 'en',
  parameter_format: 'NAMED',
  components: [
    { type: 'HEADER', format: 'DOCUMENT' },
    {
      type: 'BODY',
      text: 'Hello {{first_name}}, order {{order_id}} ships {{when}}.',
      example: {
        body_text_named_params: [
          { param_name: 'first_name', example: 'Jo' },
          { param_name: 'order_id', example: 'A-1' },
          { param_name: 'when', example: 'today' },
        ],
      },
    },
  ],
};

describe('templateVariables', () => {
  it('lists header, body and button variables with Meta’s examples', () => {
    expect(templateVariables(promo)).toEqual([
      { component: 'header', key: '1', kind: 'text', example: 'Mark' },
      { component: 'body', key: '1', kind: 'text', example: 'Mark' },
      { component: 'body', key: '2', kind: 'text', example: 'FALL25' },
      { component: 'body', key: '3', kind: 'text', example: 'Friday' },
      { component: 'body', key: '4', kind: 'text', example: '$10' },
      { component: 'button', key: '0', kind: 'url_suffix', example: 'fall' },
      { component: 'button', key: '1', kind: 'payload', optional: true },
      { component: 'button', key: '3', kind: 'coupon_code', example: 'FALL25' },
    ]);
    expect(templateVariables(named).map((v) => `${v.component}:${v.key}:${v.kind}`)).toEqual([
      'header:document:media',
      'body:first_name:text',
      'body:order_id:text',
      'body:when:text',
    ]);
  });
});

describe('renderTemplate', () => {
  it('renders what the customer sees and the Graph components, for every kind of parameter', () => {
    const r = renderTemplate(promo, {
      header: { text: 'Ana' },
      body: {
        '1': 'Ana',
        '2': 'FALL25',
        '3': { date_time: { fallback_value: 'Friday 3 Oct' } },
        '4': { currency: { code: 'USD', amount_1000: 10000, fallback_value: '$10.00' } },
      },
      buttons: { '0': 'fall?c=ana', '1': 'STOP_PROMO', '3': 'FALL25' },
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.rendered).toEqual({
      header: { type: 'text', text: 'Fall Sale for Ana' },
      body: 'Hi Ana, our Fall Sale is on! Use promo code FALL25 before Friday 3 Oct to save $10.00.',
      footer: 'Not interested? Tap Stop promotions',
      buttons: [
        { type: 'url', text: 'Shop', url: 'https://shop.example/fall?c=ana' },
        { type: 'quick_reply', text: 'Stop promotions', payload: 'STOP_PROMO' },
        { type: 'phone_number', text: 'Call us', phone_number: '+15550783881' },
        { type: 'copy_code', text: 'Copy code', code: 'FALL25' },
      ],
    });
    expect(r.components).toEqual([
      { type: 'header', parameters: [{ type: 'text', text: 'Ana' }] },
      {
        type: 'body',
        parameters: [
          { type: 'text', text: 'Ana' },
          { type: 'text', text: 'FALL25' },
          { type: 'date_time', date_time: { fallback_value: 'Friday 3 Oct' } },
          { type: 'currency', currency: { code: 'USD', amount_1000: 10000, fallback_value: '$10.00' } },
        ],
      },
      { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'fall?c=ana' }] },
      {
        type: 'button',
        sub_type: 'quick_reply',
        index: '1',
        parameters: [{ type: 'payload', payload: 'STOP_PROMO' }],
      },
      {
        type: 'button',
        sub_type: 'copy_code',
        index: '3',
        parameters: [{ type: 'coupon_code', coupon_code: 'FALL25' }],
      },
    ]);
    // What we would send is a valid template message by our own send contract.
    expect(
      TemplateContent.safeParse({
        type: 'template',
        template: { name: promo.name, language: { code: promo.language }, components: r.components },
      }).success,
    ).toBe(true);
  });

  it('named parameters carry their names; media headers take a link or an uploaded id', () => {
    const r = renderTemplate(named, {
      header: { media: { id: '1003383421387256', filename: 'invoice.pdf' } },
      body: { first_name: 'Jo', order_id: 'A-1', when: 'today' },
    });
    expect(r).toMatchObject({
      ok: true,
      rendered: {
        header: { type: 'document', id: '1003383421387256', filename: 'invoice.pdf' },
        body: 'Hello Jo, order A-1 ships today.',
      },
      components: [
        {
          type: 'header',
          parameters: [{ type: 'document', document: { id: '1003383421387256', filename: 'invoice.pdf' } }],
        },
        {
          type: 'body',
          parameters: [
            { type: 'text', parameter_name: 'first_name', text: 'Jo' },
            { type: 'text', parameter_name: 'order_id', text: 'A-1' },
            { type: 'text', parameter_name: 'when', text: 'today' },
          ],
        },
      ],
    });
  });

  it('positional parameters go in number order even when the text uses them out of order', () => {
    const def: TemplateDef = {
      name: 't',
      language: 'en',
      components: [{ type: 'BODY', text: '{{2}} then {{1}}' }],
    };
    const r = renderTemplate(def, { body: { '1': 'one', '2': 'two' } });
    expect(r).toMatchObject({
      ok: true,
      rendered: { body: 'two then one' },
      components: [{ type: 'body', parameters: [{ text: 'one' }, { text: 'two' }] }],
    });
  });

  it('reports every problem at once, with a path a form can point at', () => {
    const r = renderTemplate(promo, {
      body: { '1': 'Ana', '2': 'line\nbreak', '3': 'a     b', '9': 'extra' },
      buttons: { '3': 'CODE-LONGER-THAN-TWENTY' },
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([
      { path: 'header.1', message: 'needs a value for {{1}}' },
      { path: 'body.2', message: '{{2}} cannot contain new lines or tabs' },
      { path: 'body.3', message: '{{3}} cannot contain more than 4 spaces in a row' },
      { path: 'body.4', message: 'needs a value for {{4}}' },
      { path: 'buttons.0', message: 'needs the end of the link for “Shop”' },
      { path: 'buttons.3', message: 'the code is longer than 20 characters' },
      { path: 'body.9', message: 'the template has no {{9}}' },
    ]);
  });

  it('refuses malformed values (a media link that is not http, a bad currency code)', () => {
    const r = renderTemplate(named, {
      header: { media: { link: 'javascript:alert(1)' } },
      body: { first_name: { currency: { code: 'usd', amount_1000: 1, fallback_value: '1' } } },
    });
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.problems.map((p) => p.path)).toEqual(['header.media.link', 'body.first_name.currency.code']);
  });

  it('a location header needs a location', () => {
    const def: TemplateDef = {
      name: 'loc',
      language: 'en',
      components: [
        { type: 'HEADER', format: 'LOCATION' },
        { type: 'BODY', text: 'See you there' },
      ],
    };
    expect(renderTemplate(def, {})).toEqual({
      ok: false,
      problems: [{ path: 'header.location', message: 'needs a location' }],
    });
    expect(
      renderTemplate(def, { header: { location: { latitude: 51.5, longitude: -0.12, name: 'HQ' } } }),
    ).toMatchObject({
      ok: true,
      components: [
        {
          type: 'header',
          parameters: [{ type: 'location', location: { latitude: 51.5, longitude: -0.12, name: 'HQ' } }],
        },
      ],
    });
  });
});
