import type {
  IDataObject,
  IExecuteFunctions,
  INodeExecutionData,
  INodeType,
  INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';
import { loadOptions } from '../../shared/load-options.ts';
import { CREDENTIAL } from '../../shared/transport.ts';
import { campaignProperties, runCampaign } from './campaign.ts';
import { contactProperties, runContact } from './contact.ts';
import { conversationProperties, runConversation } from './conversation.ts';
import { messageProperties, runMessage } from './message.ts';

type Run = (this: IExecuteFunctions, operation: string, i: number) => Promise<IDataObject>;
const RUN: Record<string, Run> = {
  message: runMessage,
  contact: runContact,
  conversation: runConversation,
  campaign: runCampaign,
};

/** Sends WhatsApp messages and works on contacts, conversations and campaigns through openwaba's API. */
export class Openwaba implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'openwaba',
    name: 'openwaba',
    icon: 'file:openwaba.svg',
    group: ['output'],
    version: 1,
    subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
    description: 'Send WhatsApp messages and manage contacts, conversations and campaigns in openwaba',
    defaults: { name: 'openwaba' },
    usableAsTool: true,
    inputs: [NodeConnectionTypes.Main],
    outputs: [NodeConnectionTypes.Main],
    credentials: [{ name: CREDENTIAL, required: true }],
    properties: [
      {
        displayName: 'Resource',
        name: 'resource',
        type: 'options',
        noDataExpression: true,
        options: [
          { name: 'Message', value: 'message' },
          { name: 'Contact', value: 'contact' },
          { name: 'Conversation', value: 'conversation' },
          { name: 'Campaign', value: 'campaign' },
        ],
        default: 'message',
      },
      ...messageProperties,
      ...contactProperties,
      ...conversationProperties,
      ...campaignProperties,
    ],
  };

  methods = { loadOptions };

  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    const items = this.getInputData();
    const out: INodeExecutionData[] = [];
    for (let i = 0; i < items.length; i++) {
      try {
        const resource = this.getNodeParameter('resource', i) as string;
        const operation = this.getNodeParameter('operation', i) as string;
        const run = RUN[resource];
        if (!run)
          throw new NodeOperationError(this.getNode(), `Unknown resource "${resource}"`, { itemIndex: i });
        const json = await run.call(this, operation, i);
        out.push({ json, pairedItem: { item: i } });
      } catch (error) {
        if (this.continueOnFail()) {
          const e = error as { message?: string; description?: string; httpCode?: string | null };
          out.push({
            json: { error: e.message ?? String(error), description: e.description, http_code: e.httpCode },
            pairedItem: { item: i },
          });
          continue;
        }
        throw error;
      }
    }
    return [out];
  }
}
