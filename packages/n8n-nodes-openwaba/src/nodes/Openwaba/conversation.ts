import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { openwabaRequest } from '../../shared/transport.ts';
import { LIST_HINT, showFor } from './descriptions.ts';

export const conversationProperties: INodeProperties[] = [
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: showFor('conversation'),
    options: [
      {
        name: 'Get',
        value: 'get',
        action: 'Get a conversation',
        description: 'Get a conversation with its contact, assignee, tags and status',
      },
      {
        name: 'Assign',
        value: 'assign',
        action: 'Assign a conversation',
        description: 'Assign to an agent, to the next agent in turn, or to nobody',
      },
    ],
    default: 'get',
  },
  {
    displayName: 'Conversation ID',
    name: 'conversationId',
    type: 'string',
    required: true,
    displayOptions: showFor('conversation', ['get', 'assign']),
    default: '',
    description: 'E.g. `{{ $json.data.conversation_id }}` from an openwaba Trigger event',
  },
  {
    displayName: 'Assign To',
    name: 'assignTo',
    type: 'options',
    displayOptions: showFor('conversation', ['assign']),
    options: [
      { name: 'Agent', value: 'agent' },
      {
        name: 'Next Agent in Turn',
        value: 'round_robin',
        description: 'The online agent who waited longest (round robin), of a team if given',
      },
      { name: 'Nobody', value: 'none', description: 'Unassign' },
    ],
    default: 'agent',
  },
  {
    displayName: 'Agent Name or ID',
    name: 'assigneeId',
    type: 'options',
    typeOptions: { loadOptionsMethod: 'getMembers' },
    required: true,
    displayOptions: showFor('conversation', ['assign'], { assignTo: ['agent'] }),
    default: '',
    description: `A member of the organisation. ${LIST_HINT}.`,
  },
  {
    displayName: 'Team Name or ID',
    name: 'teamId',
    type: 'options',
    typeOptions: { loadOptionsMethod: 'getTeams' },
    displayOptions: showFor('conversation', ['assign'], { assignTo: ['round_robin'] }),
    default: '',
    description: `Only agents of this team (optional). ${LIST_HINT}.`,
  },
];

export async function runConversation(
  this: IExecuteFunctions,
  operation: string,
  i: number,
): Promise<IDataObject> {
  const id = encodeURIComponent((this.getNodeParameter('conversationId', i) as string).trim());
  if (operation === 'get')
    return openwabaRequest.call(this, 'GET', `/api/v1/conversations/${id}`, undefined, { itemIndex: i });
  const to = this.getNodeParameter('assignTo', i) as string;
  const body: IDataObject =
    to === 'agent'
      ? { assignee_id: this.getNodeParameter('assigneeId', i) as string }
      : to === 'round_robin'
        ? { assignee_id: 'round_robin' }
        : { assignee_id: null };
  if (to === 'round_robin') {
    const team = this.getNodeParameter('teamId', i, '') as string;
    if (team) body.team_id = team;
  }
  return openwabaRequest.call(this, 'POST', `/api/v1/conversations/${id}/assign`, body, { itemIndex: i });
}
