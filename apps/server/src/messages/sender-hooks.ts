import type { GraphError } from '../whatsapp/graph-error.ts';

/** What the sender tells the rest of the server (campaigns react; see app.ts). */
export interface SenderHooks {
  /** A campaign's sends changed: progress, completion. */
  onCampaignActivity?(campaignIds: string[]): Promise<unknown>;
  /** Puts more of the running campaigns' recipients on the queue (ahead of the sending). */
  feed?(): Promise<unknown>;
  /** Meta refused the number's token (190): campaigns on it pause. */
  onTokenError?(orgId: string, numberId: string, err: GraphError): Promise<unknown>;
  /** Meta refused these campaigns' template (132001/132015/132016): they pause. */
  onTemplateError?(orgId: string, campaignIds: string[], err: GraphError): Promise<unknown>;
}

/** The campaigns among sends, once each. */
export const campaignsOf = (rows: { campaign_id: string | null }[]) => [
  ...new Set(rows.map((r) => r.campaign_id).filter((c): c is string => c !== null)),
];
