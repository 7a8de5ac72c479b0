import {
  type ImportUpload,
  type Template,
  templateVariables,
  type VariableMapping,
} from '@openwaba/contracts';
import type { api } from '../../../api.ts';
import { defOf } from '../../templates/variables.ts';

/** What the wizard sends to create the draft. */
export type CreateBody = Parameters<typeof api.campaigns.create>[0];

/** Who receives it: contacts by tags and/or segment, pasted phones, or an uploaded file. */
export type Audience =
  | { kind: 'contacts'; tagIds: string[]; tagMatch: 'any' | 'all'; segmentId: string }
  | { kind: 'paste'; text: string }
  | { kind: 'file'; upload: ImportUpload | null; phoneColumn: string };
export type ContactsAudience = Extract<Audience, { kind: 'contacts' }>;
export type FileAudience = Extract<Audience, { kind: 'file' }>;

/** Where one variable's value comes from: `name`, `phone`, `field.<key>`, `fixed` or `column.<n>`. */
export interface Source {
  from: string;
  text: string;
}

/** A template chosen for the campaign, the sources of its variables and its A/B share (in %). */
export interface Choice {
  templateId: string;
  sources: Record<string, Source>;
  share: string;
}

export type Split = 'sequential' | 'ab';

export interface Pasted {
  recipients: { phone: string; variables?: Record<string, string> }[];
  /** The most values any line has after its phone. */
  columns: number;
}

/** One phone per line, optionally `phone,value1,value2` (commas, semicolons or tabs). */
export function parsePasted(text: string): Pasted {
  const recipients: Pasted['recipients'] = [];
  let columns = 0;
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const [phone = '', ...values] = line.split(/[,;\t]/).map((v) => v.trim());
    if (!phone) continue;
    columns = Math.max(columns, values.length);
    recipients.push(
      values.length
        ? { phone, variables: Object.fromEntries(values.map((v, i) => [String(i + 1), v])) }
        : { phone },
    );
  }
  return { recipients, columns };
}

/** The variables a person maps (a media header takes a link or media id); quick-reply payloads need none. */
export const mappable = (t: Template) =>
  templateVariables(defOf(t)).filter(
    (v) => v.kind === 'text' || v.kind === 'media' || v.kind === 'url_suffix' || v.kind === 'coupon_code',
  );

/**
 * The file column a variable takes by default: `{{1}}` for body variable 1, `{{Media}}` for a media
 * header (the layout `Phone,{{Media}},{{1}},{{2}}`), else a column named like the variable.
 */
export function defaultColumn(headers: string[], v: { component: string; key: string; kind: string }) {
  const norm = (h: string) => h.trim().toLowerCase();
  const wanted =
    v.kind === 'media'
      ? ['{{media}}', 'media', v.key]
      : v.component === 'body' || v.component === 'header'
        ? [`{{${v.key}}}`.toLowerCase(), v.key.toLowerCase()]
        : [];
  return headers.find((h) => wanted.includes(norm(h)));
}

export function toMapping(sources: Record<string, Source>): VariableMapping {
  return Object.fromEntries(
    Object.entries(sources).map(([k, s]) => [
      k,
      s.from === 'fixed'
        ? { fixed: s.text }
        : s.from.startsWith('column.')
          ? { column: s.from.slice('column.'.length) }
          : { contact: s.from },
    ]),
  );
}

/** The contact list's filter for a contacts audience: its tags (if any) and segment (if any). */
export const contactsFilter = (a: ContactsAudience | null) => ({
  ...(a?.tagIds.length ? { tag_ids: a.tagIds, tag_match: a.tagMatch } : {}),
  ...(a?.segmentId ? { segment_id: a.segmentId } : {}),
});

/** The wizard's choices as the body that creates the draft. */
export function createBody(d: {
  name: string;
  numberId: string;
  audience: Audience;
  pasted: Pasted;
  choices: Choice[];
  split: Split;
  /** As typed; empty: no cap. */
  spendCap?: string;
  /** Marketing Messages API time-to-live in hours, as typed; empty: Meta's default. */
  ttlHours?: string;
}): CreateBody {
  const a = d.audience;
  return {
    name: d.name.trim(),
    number_id: d.numberId,
    audience:
      a.kind === 'paste'
        ? { kind: 'recipients', recipients: d.pasted.recipients }
        : a.kind === 'file'
          ? { kind: 'file', file_id: a.upload?.id ?? '', phone_column: a.phoneColumn }
          : {
              kind: 'contacts',
              filter: a.tagIds.length ? { tag_ids: a.tagIds, tag_match: a.tagMatch } : {},
              ...(a.segmentId ? { segment_id: a.segmentId } : {}),
            },
    templates: d.choices.map((c) => ({
      template_id: c.templateId,
      mapping: toMapping(c.sources),
      ...(d.split === 'ab' ? { share: Number(c.share) } : {}),
    })),
    split: d.split,
    ...(d.spendCap?.trim() ? { spend_cap: Number(d.spendCap) } : {}),
    ...(d.ttlHours?.trim() ? { marketing_ttl_seconds: Math.round(Number(d.ttlHours) * 3600) } : {}),
  };
}
