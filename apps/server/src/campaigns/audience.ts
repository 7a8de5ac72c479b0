import {
  type CreateCampaignBody,
  renderTemplate,
  resolveTemplateParams,
  type TemplateDef,
} from '@openwaba/contracts';
import { sql } from 'drizzle-orm';
import { addressesOfUserIds, upsertContacts } from '../contacts/upsert.ts';
import { queryRows } from '../db/tx.ts';
import { isBsuid } from '../lib/address.ts';
import { AppError } from '../lib/errors.ts';
import { normalizePhone } from '../lib/phone.ts';
import type { BuiltRecipient, Json } from './campaign-row.ts';
import type { AudienceFile, CampaignDeps } from './context.ts';

/** Contacts found or created per statement for a phone list or file. */
const BATCH = 5000;

/** A seeded shuffle (mulberry32), so an A/B split is random but reproducible for one campaign. */
function shuffled(n: number, seed: number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  let s = seed >>> 0;
  const rnd = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/**
 * Which template each of `n` recipients gets. Sequential: even chunks in order, the remainder to the
 * last. A/B: exact counts by share (the remainder to the last), assigned at random.
 *
 * @example splitTemplates(10, [{}, {}, {}], 'sequential') // [0,0,0,1,1,1,2,2,2,2]
 */
export function splitTemplates(
  n: number,
  templates: { share?: number | null | undefined }[],
  split: 'sequential' | 'ab',
  seed = 1,
): number[] {
  const k = templates.length;
  if (k <= 1) return new Array(n).fill(0);
  const counts =
    split === 'ab'
      ? templates.map((t) => Math.floor((n * (t.share ?? 0)) / 100))
      : templates.map(() => Math.floor(n / k));
  counts[k - 1]! += n - counts.reduce((a, b) => a + b, 0);
  const order: number[] = [];
  counts.forEach((c, i) => {
    for (let j = 0; j < c; j++) order.push(i);
  });
  if (split === 'sequential') return order;
  const perm = shuffled(n, seed);
  const out = new Array<number>(n);
  perm.forEach((pos, i) => {
    out[pos] = order[i]!;
  });
  return out;
}

/**
 * A campaign's audience: the contacts of a filter or segment, a list of phones, or an uploaded file,
 * resolved into recipients, each with its template and rendered parameters (or why not).
 */
export function createAudience(deps: Pick<CampaignDeps, 'db' | 'orgs' | 'contacts' | 'audienceFile'>) {
  const { db, orgs, contacts } = deps;

  /** The recipients of the audience, with their template and rendered parameters (or why not). */
  async function buildRecipients(
    orgId: string,
    body: CreateCampaignBody,
    defs: { def: TemplateDef; mapping: Json }[],
    file?: AudienceFile,
  ): Promise<BuiltRecipient[]> {
    type Subject = {
      contactId: string | null;
      waId: string | null;
      input: string;
      name: string | null;
      fields: Json;
      row: Record<string, string>;
      /** The recipient's place in the request, or its row in the file. */
      rowNumber?: number;
      invalid?: string;
    };
    const subjects: Subject[] = [];
    if (body.audience.kind === 'contacts') {
      await contacts.checkFilter(orgId, body.audience.filter);
      const where = await contacts.whereOf(orgId, body.audience.filter, body.audience.segment_id);
      const rows = await queryRows<{ id: string; wa_id: string; name: string | null; fields: Json | null }>(
        db,
        sql`select c.id, c.wa_id, c.name, c.fields from contacts c
            where c.org_id = ${orgId} and (${where}) order by c.created_at, c.id`,
      );
      for (const r of rows) {
        subjects.push({
          contactId: r.id,
          waId: r.wa_id,
          input: isBsuid(r.wa_id) ? r.wa_id : `+${r.wa_id}`,
          name: r.name,
          fields: r.fields ?? {},
          row: {},
        });
      }
    } else {
      const { settings } = await orgs.getOrg({ orgId });
      const seen = new Map<string, number>();
      const add = (input: string, row: Record<string, string>, rowNumber: number) => {
        // A business-scoped user id (a customer known by their username) stands for itself.
        const bsuid = input.trim();
        const phone = isBsuid(bsuid)
          ? ({ ok: true, waId: bsuid } as const)
          : normalizePhone(input, {
              defaultRegion: settings.default_region,
              allowedCountries: settings.allowed_countries,
            });
        const s: Subject = { contactId: null, waId: null, input, name: null, fields: {}, row, rowNumber };
        if (!phone.ok) s.invalid = `phone: ${phone.reason}`;
        else if (seen.has(phone.waId))
          s.invalid = `duplicate: the same phone as ${where} ${seen.get(phone.waId)}`;
        else {
          seen.set(phone.waId, rowNumber);
          s.waId = phone.waId;
        }
        subjects.push(s);
      };
      const where = body.audience.kind === 'file' ? 'row' : 'recipient';
      if (body.audience.kind === 'file') {
        const { headers, rows } = file!;
        const phoneAt = headers.indexOf(body.audience.phone_column);
        for await (const { rowNumber, cells } of rows()) {
          const row: Record<string, string> = {};
          headers.forEach((h, i) => {
            row[h] = cells[i]?.trim() ?? '';
          });
          add(cells[phoneAt] ?? '', row, rowNumber);
        }
      } else {
        for (const [i, r] of body.audience.recipients.entries()) add(r.phone, r.variables ?? {}, i + 1);
      }
      // A BSUID of a contact known by phone too is sent to the phone (the contact's address).
      const bsuids = subjects.filter((s) => s.waId && isBsuid(s.waId)).map((s) => s.waId!);
      const addressOf = bsuids.length
        ? await addressesOfUserIds(db, orgId, bsuids)
        : new Map<string, string>();
      if (addressOf.size) {
        const linked = new Map<string, number>();
        for (const [i, s] of subjects.entries()) {
          if (!s.waId) continue;
          const address = addressOf.get(s.waId) ?? s.waId;
          const first = linked.get(address);
          if (first !== undefined) {
            s.invalid = `duplicate: the same customer as ${where} ${subjects[first]!.rowNumber ?? first + 1}`;
            s.waId = null;
          } else {
            linked.set(address, i);
            s.waId = address;
          }
        }
      }
      // Every valid phone (or BSUID) is a contact (found, or created without consent: pre-flight decides).
      const waIds = [...new Set(subjects.filter((s) => s.waId).map((s) => s.waId!))];
      const byWa = new Map<string, { id: string; name: string | null; fields: Json | null }>();
      for (let i = 0; i < waIds.length; i += BATCH) {
        const chunk = waIds
          .slice(i, i + BATCH)
          .map((waId) => (isBsuid(waId) ? { waId, userId: waId } : { waId }));
        for (const r of await upsertContacts(db, orgId, chunk)) byWa.set(r.wa_id, r);
      }
      for (const s of subjects) {
        const c = s.waId ? byWa.get(s.waId) : undefined;
        if (c) {
          s.contactId = c.id;
          s.name = c.name;
          s.fields = c.fields ?? {};
        }
      }
    }
    const valid = subjects.filter((s) => !s.invalid);
    const assignment = splitTemplates(valid.length, body.templates, body.split, valid.length + 7);
    let v = 0;
    return subjects.map((s, i): BuiltRecipient => {
      const base = { contactId: s.contactId, waId: s.waId, input: s.input, rowNumber: s.rowNumber ?? i + 1 };
      if (s.invalid) return { ...base, templateIndex: 0, params: null, state: 'invalid', reason: s.invalid };
      const templateIndex = assignment[v++]!;
      const t = defs[templateIndex]!;
      const resolved = resolveTemplateParams(t.mapping as never, {
        name: s.name,
        phone: s.waId && !isBsuid(s.waId) ? `+${s.waId}` : null,
        fields: s.fields,
        row: s.row,
      });
      if (resolved.missing.length) {
        const what = resolved.missing.map((m) => `${m.key} (${m.source})`).join(', ');
        return { ...base, templateIndex, params: null, state: 'invalid', reason: `no value for ${what}` };
      }
      const out = renderTemplate(t.def, resolved.params);
      if (!out.ok) {
        return {
          ...base,
          templateIndex,
          params: null,
          state: 'invalid',
          reason: out.problems.map((p) => `${p.path}: ${p.message}`).join('; '),
        };
      }
      return { ...base, templateIndex, params: out.components, state: 'pending', reason: null };
    });
  }

  /** The uploaded file of the audience, with the phone column it names (a 400 when it has none). */
  async function openFile(orgId: string, audience: { file_id: string; phone_column: string }) {
    const file = await deps.audienceFile(orgId, audience.file_id);
    if (!file.headers.includes(audience.phone_column)) {
      const message = `no column “${audience.phone_column}” in ${file.filename} (its columns: ${file.headers.join(', ')})`;
      throw new AppError('VALIDATION_FAILED', `audience.phone_column: ${message}`, {
        details: [{ path: ['audience', 'phone_column'], message }],
      });
    }
    return file;
  }

  return { buildRecipients, openFile };
}
