import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { openwabaRequest, parseJson } from '../../shared/transport.ts';
import { LIST_HINT, showFor } from './descriptions.ts';

const ALL = ['sendText', 'sendTemplate', 'sendMedia'];

/** `POST /api/v1/messages`: the same checks as every send in openwaba (consent, 24-hour window, caps). */
export const messageProperties: INodeProperties[] = [
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: showFor('message'),
    options: [
      {
        name: 'Send Text',
        value: 'sendText',
        action: 'Send a text message',
        description: 'Send a text inside the 24-hour customer service window',
      },
      {
        name: 'Send Template',
        value: 'sendTemplate',
        action: 'Send a template message',
        description: 'Send an approved template, at any time',
      },
      {
        name: 'Send Media',
        value: 'sendMedia',
        action: 'Send a media message',
        description: 'Send an image, video, audio, document or sticker by link',
      },
    ],
    default: 'sendText',
  },
  {
    displayName: 'Recipient Type',
    name: 'recipientType',
    type: 'options',
    displayOptions: showFor('message', ALL),
    options: [
      { name: 'Phone Number', value: 'phone' },
      { name: 'BSUID', value: 'bsuid', description: "The customer's business-scoped user ID" },
      { name: 'Contact ID', value: 'contact_id', description: "An openwaba contact's ID" },
    ],
    default: 'phone',
  },
  {
    displayName: 'To',
    name: 'to',
    type: 'string',
    required: true,
    displayOptions: showFor('message', ALL),
    default: '',
    placeholder: '+12025550123',
    description: "The customer's phone number (any common format), BSUID or contact ID",
  },
  {
    displayName: 'Text',
    name: 'text',
    type: 'string',
    typeOptions: { rows: 4 },
    required: true,
    displayOptions: showFor('message', ['sendText']),
    default: '',
    description: 'Up to 4,096 characters; WhatsApp formatting (*bold*, _italic_) works',
  },
  {
    displayName: 'Template Name',
    name: 'templateName',
    type: 'string',
    required: true,
    displayOptions: showFor('message', ['sendTemplate']),
    default: '',
    placeholder: 'order_shipped',
    description: 'The name of an approved template of the sending number’s WhatsApp account',
  },
  {
    displayName: 'Language Code',
    name: 'languageCode',
    type: 'string',
    required: true,
    displayOptions: showFor('message', ['sendTemplate']),
    default: 'en_US',
    description: 'The template’s language, e.g. en_US, de, pt_BR',
  },
  {
    displayName: 'Body Parameters',
    name: 'bodyParameters',
    type: 'fixedCollection',
    typeOptions: { multipleValues: true, sortable: true },
    displayOptions: showFor('message', ['sendTemplate']),
    default: {},
    placeholder: 'Add Parameter',
    description: 'The values of the template body’s {{1}}, {{2}}… (or named) variables, in order',
    options: [
      {
        displayName: 'Parameter',
        name: 'parameter',
        values: [
          { displayName: 'Text', name: 'text', type: 'string', default: '' },
          {
            displayName: 'Name',
            name: 'name',
            type: 'string',
            default: '',
            description: 'For templates with named variables ({{first_name}}); leave empty for {{1}}, {{2}}…',
          },
        ],
      },
    ],
  },
  {
    displayName: 'Header',
    name: 'headerType',
    type: 'options',
    displayOptions: showFor('message', ['sendTemplate']),
    options: [
      { name: 'None', value: 'none' },
      { name: 'Text Variable', value: 'text' },
      { name: 'Image', value: 'image' },
      { name: 'Video', value: 'video' },
      { name: 'Document', value: 'document' },
    ],
    default: 'none',
    description: 'Whether the template’s header takes a value',
  },
  {
    displayName: 'Header Value',
    name: 'headerValue',
    type: 'string',
    displayOptions: showFor('message', ['sendTemplate'], { headerType: ['text'] }),
    default: '',
  },
  {
    displayName: 'Header Media URL',
    name: 'headerLink',
    type: 'string',
    displayOptions: showFor('message', ['sendTemplate'], { headerType: ['image', 'video', 'document'] }),
    default: '',
    placeholder: 'https://example.com/invoice.pdf',
  },
  {
    displayName: 'Media Type',
    name: 'mediaType',
    type: 'options',
    displayOptions: showFor('message', ['sendMedia']),
    options: [
      { name: 'Image', value: 'image' },
      { name: 'Video', value: 'video' },
      { name: 'Audio', value: 'audio' },
      { name: 'Document', value: 'document' },
      { name: 'Sticker', value: 'sticker' },
    ],
    default: 'image',
  },
  {
    displayName: 'Media URL',
    name: 'mediaLink',
    type: 'string',
    required: true,
    displayOptions: showFor('message', ['sendMedia']),
    default: '',
    placeholder: 'https://example.com/photo.jpg',
    description: 'A public http(s) address Meta fetches the file from',
  },
  {
    displayName: 'Caption',
    name: 'caption',
    type: 'string',
    displayOptions: showFor('message', ['sendMedia'], { mediaType: ['image', 'video', 'document'] }),
    default: '',
  },
  {
    displayName: 'File Name',
    name: 'filename',
    type: 'string',
    displayOptions: showFor('message', ['sendMedia'], { mediaType: ['document'] }),
    default: '',
    placeholder: 'invoice.pdf',
  },
  {
    displayName: 'Options',
    name: 'options',
    type: 'collection',
    placeholder: 'Add Option',
    displayOptions: showFor('message', ALL),
    default: {},
    options: [
      {
        displayName: 'From Number Name or ID',
        name: 'numberId',
        type: 'options',
        typeOptions: { loadOptionsMethod: 'getNumbers' },
        default: '',
        description: `The openwaba number to send from (default: the first active one). ${LIST_HINT}.`,
      },
      {
        displayName: 'Idempotency Key',
        name: 'idempotencyKey',
        type: 'string',
        default: '',
        description:
          'The same key and body within 24 hours answer the first send again instead of sending twice (e.g. an order ID)',
      },
      {
        displayName: 'Link Preview',
        name: 'previewUrl',
        type: 'boolean',
        default: false,
        description: 'Whether WhatsApp shows a preview of the first link in a text',
      },
      {
        displayName: 'Template Components (JSON)',
        name: 'components',
        type: 'json',
        default: '',
        description:
          'Meta’s template components array as JSON (buttons, currencies, dates…); replaces the body parameters and header above',
      },
    ],
  },
];

function recipient(ctx: IExecuteFunctions, i: number): IDataObject {
  const kind = ctx.getNodeParameter('recipientType', i) as string;
  const to = String(ctx.getNodeParameter('to', i)).trim();
  if (!to) throw new NodeOperationError(ctx.getNode(), 'The recipient ("To") is empty', { itemIndex: i });
  return { [kind]: to };
}

function templateComponents(ctx: IExecuteFunctions, i: number, raw: unknown): IDataObject[] | undefined {
  if (raw !== undefined && raw !== '') {
    const parsed = typeof raw === 'string' ? parseJson(raw) : raw;
    if (!Array.isArray(parsed))
      throw new NodeOperationError(ctx.getNode(), 'Template Components (JSON) must be a JSON array', {
        itemIndex: i,
      });
    return parsed as IDataObject[];
  }
  const components: IDataObject[] = [];
  const header = ctx.getNodeParameter('headerType', i) as string;
  if (header === 'text')
    components.push({
      type: 'header',
      parameters: [{ type: 'text', text: ctx.getNodeParameter('headerValue', i) as string }],
    });
  else if (header !== 'none')
    components.push({
      type: 'header',
      parameters: [{ type: header, [header]: { link: ctx.getNodeParameter('headerLink', i) as string } }],
    });
  const params = (
    ctx.getNodeParameter('bodyParameters.parameter', i, []) as { text: string; name?: string }[]
  ).map((p) =>
    p.name ? { type: 'text', text: p.text, parameter_name: p.name } : { type: 'text', text: p.text },
  );
  if (params.length) components.push({ type: 'body', parameters: params });
  return components.length ? components : undefined;
}

function content(ctx: IExecuteFunctions, operation: string, i: number, options: IDataObject): IDataObject {
  if (operation === 'sendText') {
    const text: IDataObject = { body: ctx.getNodeParameter('text', i) as string };
    if (options.previewUrl) text.preview_url = true;
    return { type: 'text', text };
  }
  if (operation === 'sendTemplate') {
    const template: IDataObject = {
      name: (ctx.getNodeParameter('templateName', i) as string).trim(),
      language: { code: (ctx.getNodeParameter('languageCode', i) as string).trim() },
    };
    const components = templateComponents(ctx, i, options.components);
    if (components) template.components = components;
    return { type: 'template', template };
  }
  const type = ctx.getNodeParameter('mediaType', i) as string;
  const media: IDataObject = { link: (ctx.getNodeParameter('mediaLink', i) as string).trim() };
  if (['image', 'video', 'document'].includes(type)) {
    const caption = ctx.getNodeParameter('caption', i, '') as string;
    if (caption) media.caption = caption;
  }
  if (type === 'document') {
    const filename = ctx.getNodeParameter('filename', i, '') as string;
    if (filename) media.filename = filename;
  }
  return { type, [type]: media };
}

/** Answers openwaba's `{ message_id, conversation_id, contact_id, status: 'pending' }`. */
export async function runMessage(
  this: IExecuteFunctions,
  operation: string,
  i: number,
): Promise<IDataObject> {
  const options = this.getNodeParameter('options', i, {}) as IDataObject;
  const body: IDataObject = { to: recipient(this, i), content: content(this, operation, i, options) };
  if (options.numberId) body.number_id = options.numberId;
  const headers = options.idempotencyKey ? { 'Idempotency-Key': String(options.idempotencyKey) } : undefined;
  return openwabaRequest.call(this, 'POST', '/api/v1/messages', body, { headers, itemIndex: i });
}
