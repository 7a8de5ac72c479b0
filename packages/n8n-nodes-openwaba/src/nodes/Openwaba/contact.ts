import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { openwabaRequest } from '../../shared/transport.ts';
import { showFor } from './descriptions.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const contactProperties: INodeProperties[] = [
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: showFor('contact'),
    options: [
      {
        name: 'Upsert',
        value: 'upsert',
        action: 'Create or update a contact',
        description: 'Create a contact by phone number, or update the one that has it',
      },
      {
        name: 'Add Tag',
        value: 'addTag',
        action: 'Add a tag to a contact',
        description: 'Add a tag to a contact, keeping its other tags',
      },
    ],
    default: 'upsert',
  },
  {
    displayName: 'Phone Number',
    name: 'phone',
    type: 'string',
    required: true,
    displayOptions: showFor('contact', ['upsert']),
    default: '',
    placeholder: '+12025550123',
    description: "Any common format; read in the organisation's default region",
  },
  {
    displayName: 'Additional Fields',
    name: 'additionalFields',
    type: 'collection',
    placeholder: 'Add Field',
    displayOptions: showFor('contact', ['upsert']),
    default: {},
    options: [
      { displayName: 'Name', name: 'name', type: 'string', default: '' },
      {
        displayName: 'Custom Fields',
        name: 'fields',
        type: 'fixedCollection',
        typeOptions: { multipleValues: true },
        default: {},
        placeholder: 'Add Custom Field',
        description:
          'Values of the organisation’s custom contact fields, by key (merged with the stored ones)',
        options: [
          {
            displayName: 'Field',
            name: 'field',
            values: [
              { displayName: 'Key', name: 'key', type: 'string', default: '' },
              { displayName: 'Value', name: 'value', type: 'string', default: '' },
            ],
          },
        ],
      },
      {
        displayName: 'Tag Names or IDs',
        name: 'tagIds',
        type: 'multiOptions',
        typeOptions: { loadOptionsMethod: 'getTags' },
        default: [],
        description:
          'Replaces the contact’s tags. Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
      },
      {
        displayName: 'Opt-In Proof',
        name: 'optInProof',
        type: 'string',
        default: '',
        placeholder: 'Checkbox on checkout, order 4711',
        description: 'Records the contact’s opt-in (source "api") with this proof in the same step',
      },
    ],
  },
  {
    displayName: 'Contact ID',
    name: 'contactId',
    type: 'string',
    required: true,
    displayOptions: showFor('contact', ['addTag']),
    default: '',
    description: 'The ID openwaba gave the contact (e.g. from an Upsert before, or a trigger event)',
  },
  {
    displayName: 'Tag',
    name: 'tag',
    type: 'string',
    required: true,
    displayOptions: showFor('contact', ['addTag']),
    default: '',
    placeholder: 'vip',
    description: 'A tag name or ID; a name openwaba does not know yet is created',
  },
];

interface Tag {
  id: string;
  name: string;
}

/** The tag's id: an ID as given, or the tag of that name (case does not matter), created when missing. */
async function resolveTag(ctx: IExecuteFunctions, given: string, i: number): Promise<Tag> {
  const wanted = given.trim();
  if (!wanted) throw new NodeOperationError(ctx.getNode(), 'The tag is empty', { itemIndex: i });
  const find = async () => {
    const { data } = (await openwabaRequest.call(ctx, 'GET', '/api/v1/tags', undefined, {
      itemIndex: i,
    })) as unknown as { data: Tag[] };
    return data.find((t) => t.id === wanted || t.name.toLowerCase() === wanted.toLowerCase());
  };
  const found = await find();
  if (found) return found;
  if (UUID.test(wanted))
    throw new NodeOperationError(ctx.getNode(), `No tag has the ID ${wanted}`, { itemIndex: i });
  try {
    return (await openwabaRequest.call(
      ctx,
      'POST',
      '/api/v1/tags',
      { name: wanted },
      { itemIndex: i },
    )) as unknown as Tag;
  } catch (err) {
    // Created meanwhile by another item or workflow (names are unique): use that one.
    const raced = await find();
    if (raced) return raced;
    throw err;
  }
}

export async function runContact(
  this: IExecuteFunctions,
  operation: string,
  i: number,
): Promise<IDataObject> {
  if (operation === 'upsert') {
    const extra = this.getNodeParameter('additionalFields', i, {}) as IDataObject;
    const body: IDataObject = { phone: (this.getNodeParameter('phone', i) as string).trim() };
    if (extra.name) body.name = extra.name;
    const fields = ((extra.fields as IDataObject | undefined)?.field ?? []) as {
      key: string;
      value: string;
    }[];
    if (fields.length) body.fields = Object.fromEntries(fields.map((f) => [f.key.trim(), f.value]));
    if (Array.isArray(extra.tagIds) && extra.tagIds.length) body.tag_ids = extra.tagIds;
    if (extra.optInProof) body.opt_in = { source: 'api', proof: extra.optInProof };
    return openwabaRequest.call(this, 'PUT', '/api/v1/contacts', body, { itemIndex: i });
  }
  const contactId = (this.getNodeParameter('contactId', i) as string).trim();
  const tag = await resolveTag(this, this.getNodeParameter('tag', i) as string, i);
  // The bulk action adds the tag in one statement, keeping the contact's other tags (a read-modify-write
  // of the contact's tag list could drop a tag added meanwhile).
  const result = await openwabaRequest.call(
    this,
    'POST',
    '/api/v1/contacts/bulk',
    { action: 'tag', tag_ids: [tag.id], ids: [contactId] },
    { itemIndex: i },
  );
  if (result.matched === 0)
    throw new NodeOperationError(this.getNode(), `No contact has the ID ${contactId}`, { itemIndex: i });
  return { contact_id: contactId, tag_id: tag.id, tag_name: tag.name, added: result.affected === 1 };
}
