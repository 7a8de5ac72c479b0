import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { openwabaRequest } from '../../shared/transport.ts';
import { showFor } from './descriptions.ts';

export const campaignProperties: INodeProperties[] = [
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: showFor('campaign'),
    options: [
      {
        name: 'Start',
        value: 'start',
        action: 'Start a campaign',
        description: 'Run the pre-flight checks and start a draft or scheduled campaign now',
      },
    ],
    default: 'start',
  },
  {
    displayName: 'Campaign Name or ID',
    name: 'campaignId',
    type: 'options',
    typeOptions: { loadOptionsMethod: 'getCampaigns' },
    required: true,
    displayOptions: showFor('campaign', ['start']),
    default: '',
    description:
      'A draft or scheduled campaign. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
  },
];

/** Answers the campaign; a failed pre-flight is openwaba's 409/422 with its reason (the campaign is marked failed). */
export async function runCampaign(
  this: IExecuteFunctions,
  _operation: string,
  i: number,
): Promise<IDataObject> {
  const id = encodeURIComponent((this.getNodeParameter('campaignId', i) as string).trim());
  return openwabaRequest.call(this, 'POST', `/api/v1/campaigns/${id}/start`, {}, { itemIndex: i });
}
