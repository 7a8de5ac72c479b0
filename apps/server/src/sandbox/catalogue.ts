import type { Simulator } from '@openwaba/simulator';

/**
 * The sandbox number's templates, approved in the simulator and synced into openwaba at start: one of
 * each kind a first campaign, an A/B split or the quarantine needs. Shaped as Meta lists them (an
 * authentication template's copy-code button is created as OTP and listed as a URL button).
 */
export const SANDBOX_TEMPLATES: Omit<Parameters<Simulator['addTemplate']>[0], 'waba_id'>[] = [
  {
    name: 'order_update',
    language: 'en_US',
    category: 'UTILITY',
    components: [
      {
        type: 'BODY',
        text: 'Hi {{1}}, your order {{2}} is on its way.',
        example: { body_text: [['Ana', 'A-1042']] },
      },
    ],
  },
  {
    name: 'new_collection',
    language: 'en_US',
    category: 'MARKETING',
    components: [
      {
        type: 'HEADER',
        format: 'IMAGE',
        example: { header_handle: ['https://scontent.whatsapp.net/v/sandbox/new-collection.jpg'] },
      },
      {
        type: 'BODY',
        text: 'Hi {{1}}, our autumn teas and mugs are in. This week only: {{2}} off everything in the shop.',
        example: { body_text: [['Ana', '15%']] },
      },
      { type: 'FOOTER', text: 'Reply STOP to stop these messages' },
      {
        type: 'BUTTONS',
        buttons: [
          { type: 'QUICK_REPLY', text: 'Show me' },
          { type: 'QUICK_REPLY', text: 'Not interested' },
        ],
      },
    ],
  },
  {
    name: 'login_code',
    language: 'en_US',
    category: 'AUTHENTICATION',
    components: [
      {
        type: 'BODY',
        text: '*{{1}}* is your verification code. For your security, do not share this code.',
        add_security_recommendation: true,
        example: { body_text: [['482913']] },
      },
      { type: 'FOOTER', text: 'This code expires in 10 minutes.', code_expiration_minutes: 10 },
      {
        type: 'BUTTONS',
        buttons: [
          {
            type: 'URL',
            text: 'Copy code',
            url: 'https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code=otp{{1}}',
            example: ['https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code=otp482913'],
          },
        ],
      },
    ],
  },
];
