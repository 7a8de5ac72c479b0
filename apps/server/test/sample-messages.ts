import { MessageContent } from '@openwaba/contracts';

/** One of each message the product can send, used by the contract and conformance tests. */
const samples = {
  text: { type: 'text', text: { body: 'Hello café 👋', preview_url: false } },
  textWithPreview: { type: 'text', text: { body: 'See https://example.com', preview_url: true } },
  imageById: { type: 'image', image: { id: '1003383421387256', caption: 'Taj Mahal' } },
  imageByLink: { type: 'image', image: { link: 'https://example.com/a.jpg' } },
  video: { type: 'video', video: { link: 'https://example.com/v.mp4', caption: 'Clip' } },
  audio: { type: 'audio', audio: { id: '9001' } },
  sticker: { type: 'sticker', sticker: { id: '9002' } },
  document: { type: 'document', document: { link: 'https://example.com/invoice.pdf', caption: 'Invoice' } },
  location: {
    type: 'location',
    location: { latitude: 37.758056, longitude: -122.425332, name: 'META HQ', address: '1 Hacker Way' },
  },
  contacts: {
    type: 'contacts',
    contacts: [
      {
        name: { formatted_name: 'Jane Doe', first_name: 'Jane' },
        phones: [{ phone: '+1 555 0100', type: 'WORK', wa_id: '15550100' }],
      },
    ],
  },
  reaction: { type: 'reaction', reaction: { message_id: 'wamid.HBgLMTY1MDM4Nzk0Mzk', emoji: '👍' } },
  buttons: {
    type: 'interactive',
    interactive: {
      type: 'button',
      body: { text: 'Confirm your order?' },
      footer: { text: 'Reply below' },
      action: {
        buttons: [
          { type: 'reply', reply: { id: 'yes', title: 'Yes' } },
          { type: 'reply', reply: { id: 'no', title: 'No' } },
        ],
      },
    },
  },
  list: {
    type: 'interactive',
    interactive: {
      type: 'list',
      header: { type: 'text', text: 'Shipping' },
      body: { text: 'Choose a speed' },
      action: {
        button: 'Options',
        sections: [
          {
            title: 'Speeds',
            rows: [
              { id: 'express', title: 'Express', description: 'Next day' },
              { id: 'std', title: 'Standard' },
            ],
          },
        ],
      },
    },
  },
  templateText: {
    type: 'template',
    template: {
      name: 'order_update',
      language: { code: 'en_US' },
      components: [
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Jane' },
            { type: 'currency', currency: { fallback_value: '$100.99', code: 'USD', amount_1000: 100990 } },
            { type: 'date_time', date_time: { fallback_value: 'February 25, 1977' } },
          ],
        },
      ],
    },
  },
  templateMediaButtons: {
    type: 'template',
    template: {
      name: 'promo',
      language: { code: 'en' },
      components: [
        { type: 'header', parameters: [{ type: 'image', image: { link: 'https://example.com/promo.png' } }] },
        { type: 'body', parameters: [{ type: 'text', text: 'FALL25' }] },
        {
          type: 'button',
          sub_type: 'quick_reply',
          index: '0',
          parameters: [{ type: 'payload', payload: 'stop-promos' }],
        },
        { type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: 'summer2026' }] },
      ],
    },
  },
  templateNamed: {
    type: 'template',
    template: {
      name: 'welcome_named',
      language: { code: 'en_US' },
      components: [
        { type: 'body', parameters: [{ type: 'text', parameter_name: 'first_name', text: 'Jessica' }] },
      ],
    },
  },
} as const;

export const SAMPLE_MESSAGES: Record<keyof typeof samples, MessageContent> = Object.fromEntries(
  Object.entries(samples).map(([k, v]) => [k, MessageContent.parse(v)]),
) as Record<keyof typeof samples, MessageContent>;
