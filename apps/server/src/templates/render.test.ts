import { renderTemplate, type TemplateDef } from '@openwaba/contracts';
import { describe, expect, it } from 'vitest';
import { renderSentTemplate, type SentTemplate, sentTemplateOf } from './render.ts';

const promo: TemplateDef = {
  name: 'fall_promo',
  language: 'en_US',
  components: [
    { type: 'HEADER', format: 'TEXT', text: 'Fall Sale for {{1}}' },
    { type: 'BODY', text: 'Hi {{1}}, use {{2}} before {{3}} to save {{4}}.' },
    { type: 'FOOTER', text: 'Tap Stop to opt out' },
    {
      type: 'BUTTONS',
      buttons: [
        { type: 'URL', text: 'Shop', url: 'https://shop.example/{{1}}' },
        { type: 'QUICK_REPLY', text: 'Stop' },
        { type: 'PHONE_NUMBER', text: 'Call us', phone_number: '+15550783881' },
        { type: 'COPY_CODE', text: 'Copy code' },
      ],
    },
  ],
};

/** A stored message's `content.template`, as the send path and campaigns store it. */
const sent = (name: string, components: unknown[]): SentTemplate =>
  sentTemplateOf('template', {
    type: 'template',
    template: { name, language: { code: 'en_US' }, components },
  })!;

describe('renderSentTemplate', () => {
  it('renders positional values, currency and date-time fallbacks, the footer and every kind of button', () => {
    const r = renderSentTemplate(
      promo,
      sent('fall_promo', [
        { type: 'header', parameters: [{ type: 'text', text: 'Ana' }] },
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Ana' },
            { type: 'text', text: 'FALL25' },
            { type: 'date_time', date_time: { fallback_value: 'Friday 3 Oct', day_of_week: 5 } },
            { type: 'currency', currency: { code: 'USD', amount_1000: 10000, fallback_value: '$10.00' } },
          ],
        },
        { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'fall?c=ana' }] },
        {
          type: 'button',
          sub_type: 'quick_reply',
          index: 1,
          parameters: [{ type: 'payload', payload: 'STOP' }],
        },
        {
          type: 'button',
          sub_type: 'copy_code',
          index: '3',
          parameters: [{ type: 'coupon_code', coupon_code: 'FALL25' }],
        },
      ]),
    );
    expect(r).toEqual({
      header: { type: 'text', text: 'Fall Sale for Ana' },
      body: 'Hi Ana, use FALL25 before Friday 3 Oct to save $10.00.',
      footer: 'Tap Stop to opt out',
      buttons: [
        { type: 'url', text: 'Shop', url: 'https://shop.example/fall?c=ana' },
        { type: 'quick_reply', text: 'Stop', payload: 'STOP' },
        { type: 'phone_number', text: 'Call us', phone_number: '+15550783881' },
        { type: 'copy_code', text: 'Copy code', code: 'FALL25' },
      ],
    });
  });

  it('reads back exactly what the send renderer produced', () => {
    const out = renderTemplate(promo, {
      header: { text: 'Bo' },
      body: { '1': 'Bo', '2': 'X1', '3': 'Monday', '4': '$5' },
      buttons: { '0': 'b', '3': 'X1' },
    });
    if (!out.ok) throw new Error(JSON.stringify(out.problems));
    expect(renderSentTemplate(promo, sent('fall_promo', out.components))).toEqual(out.rendered);
  });

  it('positional values are sent in number order, whatever order the text uses them in', () => {
    const def: TemplateDef = {
      name: 'swap',
      language: 'en_US',
      components: [{ type: 'BODY', text: 'Order {{2}} for {{1}} is ready.' }],
    };
    const r = renderSentTemplate(
      def,
      sent('swap', [
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Ana' },
            { type: 'text', text: 'A-7' },
          ],
        },
      ]),
    );
    expect(r?.body).toBe('Order A-7 for Ana is ready.');
  });

  it('named values go by their parameter name', () => {
    const def: TemplateDef = {
      name: 'order_named',
      language: 'en_US',
      parameter_format: 'NAMED',
      components: [
        { type: 'HEADER', format: 'TEXT', text: 'Order {{order_id}}' },
        { type: 'BODY', text: 'Hello {{first_name}}, order {{order_id}} ships {{when}}.' },
      ],
    };
    const r = renderSentTemplate(
      def,
      sent('order_named', [
        { type: 'header', parameters: [{ type: 'text', parameter_name: 'order_id', text: '1042' }] },
        {
          type: 'body',
          parameters: [
            { type: 'text', parameter_name: 'when', text: 'tomorrow' },
            { type: 'text', parameter_name: 'first_name', text: 'Jo' },
            { type: 'text', parameter_name: 'order_id', text: '1042' },
          ],
        },
      ]),
    );
    expect(r).toEqual({
      header: { type: 'text', text: 'Order 1042' },
      body: 'Hello Jo, order 1042 ships tomorrow.',
      buttons: [],
    });
  });

  it('media and location headers are shown as what they are, with the link, id or file name sent', () => {
    const withHeader = (format: string): TemplateDef => ({
      name: `h_${format.toLowerCase()}`,
      language: 'en_US',
      components: [
        { type: 'HEADER', format },
        { type: 'BODY', text: 'Here it is.' },
      ],
    });
    const header = (format: string, parameter: Record<string, unknown>) =>
      renderSentTemplate(
        withHeader(format),
        sent(`h_${format.toLowerCase()}`, [{ type: 'header', parameters: [parameter] }]),
      )?.header;
    expect(header('IMAGE', { type: 'image', image: { link: 'https://cdn.example/a.jpg' } })).toEqual({
      type: 'image',
      link: 'https://cdn.example/a.jpg',
    });
    expect(header('VIDEO', { type: 'video', video: { id: '5501' } })).toEqual({ type: 'video', id: '5501' });
    expect(
      header('DOCUMENT', { type: 'document', document: { id: '77', filename: 'invoice-1042.pdf' } }),
    ).toEqual({ type: 'document', id: '77', filename: 'invoice-1042.pdf' });
    expect(
      header('LOCATION', { type: 'location', location: { latitude: 52.52, longitude: 13.4, name: 'Store' } }),
    ).toEqual({ type: 'location', latitude: 52.52, longitude: 13.4, name: 'Store' });
    // A media header without a file still says it had one.
    expect(renderSentTemplate(withHeader('IMAGE'), sent('h_image', []))?.header).toEqual({ type: 'image' });
  });

  it('a value the message lacks stays visible as its variable', () => {
    const r = renderSentTemplate(
      promo,
      sent('fall_promo', [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }] }]),
    );
    expect(r?.header).toEqual({ type: 'text', text: 'Fall Sale for {{1}}' });
    expect(r?.body).toBe('Hi Ana, use {{2}} before {{3}} to save {{4}}.');
    expect(r?.buttons[0]).toEqual({ type: 'url', text: 'Shop', url: 'https://shop.example/{{1}}' });
    expect(r?.buttons[3]).toEqual({ type: 'copy_code', text: 'Copy code' });
  });

  it('a template no longer in the catalogue (or unreadable) gives null: the caller shows its name', () => {
    const s = sent('fall_promo', []);
    expect(renderSentTemplate(undefined, s)).toBeNull();
    expect(renderSentTemplate({ name: 'x', language: 'en' } as unknown as TemplateDef, s)).toBeNull();
  });
});

describe('sentTemplateOf', () => {
  it('reads a template message, and nothing else', () => {
    expect(sentTemplateOf('template', { template: { name: 'a', language: { code: 'en' } } })).toEqual({
      name: 'a',
      language: { code: 'en' },
      components: [],
    });
    expect(sentTemplateOf('text', { text: { body: 'hi' } })).toBeUndefined();
    expect(sentTemplateOf('template', { template: { name: 'a' } })).toBeUndefined();
    expect(sentTemplateOf('template', null)).toBeUndefined();
  });
});
