import type { Say, ScriptLine, Topic } from './script-types.ts';

const t = (text: string): ScriptLine => ({ kind: 'text', text });
/** Variants that are one text each. */
const texts = (...variants: string[]): Say => variants.map((v) => [t(v)]);

const THANKS: Say = [
  [t('Thanks, that’s all I needed 🙏')],
  [{ kind: 'react', emoji: '👍' }, t('Great, thank you!')],
  [t('Perfect, thanks a lot'), { kind: 'react', emoji: '🙏' }],
];
const NUDGE = texts('Hello? Anyone there?', 'Hi, still waiting for an answer 🙂', '?');

/** What the simulated customers write about (SPEC: the sandbox feels like a shop's inbox). */
export const TOPICS: Topic[] = [
  {
    id: 'order',
    opener: [
      [t('Hi! Where is my order? It was supposed to arrive yesterday.')],
      [t('Hello, I ordered last week and still nothing. Can you check?')],
    ],
    turns: [
      {
        when: [
          {
            match: /order (number|no|id)|which order|number|#/i,
            say: [
              [t('It’s #{order}'), { kind: 'image', caption: 'My confirmation', sample: 'receipt' }],
              [t('Order #{order}, placed on the 2nd')],
            ],
          },
        ],
        say: [
          [
            t('It’s order #{order}'),
            { kind: 'image', caption: 'Here’s the confirmation', sample: 'receipt' },
          ],
          [t('The number is #{order}. Do you know when it will come?')],
        ],
      },
      {
        when: [
          { match: /track|link|courier/i, say: texts('Got the link, thanks. It says out for delivery!') },
        ],
        say: texts('Is there a tracking link?', 'Ok. Can you tell me roughly when it will arrive?'),
      },
      { say: texts('Alright, I’ll wait then', 'Good to know, thanks for checking') },
    ],
    closing: THANKS,
    nudge: NUDGE,
  },
  {
    id: 'delivery',
    opener: texts(
      'Can I change my delivery address?',
      'Hi, I won’t be home on Thursday. Can the delivery come another day?',
    ),
    turns: [
      {
        when: [
          {
            match: /address|where|location/i,
            say: [[t('The new address is {address}')], [t('Here, this is where I am'), { kind: 'location' }]],
          },
        ],
        say: [
          [t('It should go to {address} instead')],
          [t('I’ll send you my location'), { kind: 'location' }],
        ],
      },
      {
        say: texts(
          'Can it come after 6pm? I’m at work during the day.',
          'Is there an extra charge for that?',
        ),
      },
      { say: texts('Ok, that works for me', 'Perfect') },
    ],
    closing: THANKS,
    nudge: NUDGE,
  },
  {
    id: 'prices',
    opener: [
      [t('How much is this one?'), { kind: 'image', caption: 'This mug, in blue', sample: 'mug' }],
      [t('Hi! Can you send me your price list?')],
    ],
    turns: [
      {
        when: [
          {
            match: /\d/,
            say: texts('Do you do a discount if I buy 10?', 'And what does shipping to {city} cost?'),
          },
        ],
        say: texts('What’s the price with shipping to {city}?', 'Is it cheaper if I buy several?'),
      },
      { say: texts('Ok, and how long does delivery take?', 'Do you have it in green as well?') },
    ],
    closing: [
      [t('Thanks! I’ll think about it')],
      [t('Great, I’ll order on the website'), { kind: 'react', emoji: '👍' }],
    ],
    nudge: NUDGE,
  },
  {
    id: 'complaint',
    opener: [
      [
        t('My parcel arrived damaged 😞'),
        { kind: 'image', caption: 'This is how it came', sample: 'parcel' },
      ],
      [{ kind: 'image', caption: 'Look at the box…', sample: 'parcel' }, t('The mug inside is broken.')],
    ],
    turns: [
      {
        when: [
          {
            match: /sorry|apolog/i,
            say: texts('Thanks. Can I get a replacement or a refund?', 'Ok. What happens now?'),
          },
        ],
        say: texts('It’s order #{order}. What can you do about it?', 'I’d like a refund please.'),
      },
      { say: [[{ kind: 'voice' }], [t('A replacement would be great, same colour please')]] },
      { say: texts('Ok, thank you for sorting it out', 'Alright, I’ll wait for the new one') },
    ],
    closing: [[{ kind: 'react', emoji: '❤️' }, t('Thanks for your help')], [t('Much appreciated 🙏')]],
    nudge: texts('Hello?? I’m still waiting about my broken order', 'Can someone please answer?'),
  },
  {
    id: 'lead',
    opener: [
      [t('Hi, I saw your post. I’d like to buy the tea gift box. Is it still available?')],
      [{ kind: 'voice' }, t('Sorry, easier to explain by voice 🙂')],
    ],
    turns: [
      {
        when: [{ match: /yes|available|stock/i, say: texts('Great! I’d like two. How do I pay?') }],
        say: texts('I’d like two boxes please. Can I pay by card?', 'Can you deliver to {city}?'),
      },
      {
        say: [
          [t('Ok, please go ahead. Deliver to {address}')],
          [t('Here’s my address'), { kind: 'location' }],
        ],
      },
      { say: texts('Done, I paid 👍', 'Perfect, thank you!') },
    ],
    closing: [[t('Thank you! 😊')], [{ kind: 'react', emoji: '😍' }]],
    nudge: texts('Hi? I’d really like to order', 'Is anyone around? I want to buy 🙂'),
  },
  {
    id: 'pickup',
    opener: texts('Is my order ready for pickup?', 'Hi, can I collect my order today?'),
    turns: [
      {
        when: [{ match: /order (number|no|id)|which|name/i, say: texts('#{order}, under the name {first}') }],
        say: texts('Great, what time do you close?', 'It’s #{order}. When can I come?'),
      },
      { say: [[t('I’m outside now'), { kind: 'location' }], [t('On my way, 10 minutes')]] },
    ],
    closing: THANKS,
    nudge: NUDGE,
  },
];

/**
 * The conversation a campaign reply starts: the customer tapped a button or asked something, and
 * follows up if an agent answers.
 */
export const CAMPAIGN_TOPIC: Topic = {
  id: 'campaign',
  opener: texts('How much is it?', 'Is this offer still on?', 'Interesting! Do you deliver to {city}?'),
  turns: [
    { say: texts('Ok, how do I order?', 'Can I pay on delivery?') },
    { say: texts('Great, I’ll order one', 'Thanks, I’ll have a look') },
  ],
  closing: [[t('Thanks!')], [{ kind: 'react', emoji: '👍' }]],
  nudge: [],
};

export const topicById = (id: string): Topic =>
  TOPICS.find((x) => x.id === id) ?? (id === CAMPAIGN_TOPIC.id ? CAMPAIGN_TOPIC : TOPICS[0]!);
