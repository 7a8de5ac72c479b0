import type { CreateKnowledgeBody, KnowledgeDoc, UpdateKnowledgeBody } from '@openwaba/contracts';
import type { z } from 'zod';
import { actorOf, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../auth/context.ts';
import type { Db } from '../db/client.ts';
import { transaction } from '../db/tx.ts';
import { AppError } from '../lib/errors.ts';
import { chunkText, extractText } from './knowledge-text.ts';
import { searchWords } from './prompt.ts';
import * as repo from './repo.ts';

/** Upload limit of one document (its text may hold at most 2,000,000 characters). */
export const KNOWLEDGE_MAX_BYTES = 10 * 1024 * 1024;

/** What the sandbox tea shop's AI knows (its simulated customers ask about orders, prices, delivery, pickup). */
const SANDBOX_KNOWLEDGE = [
  {
    title: 'Where is my order?',
    body: 'If you ordered and your order has still not arrived, send us your order number: we check its tracking and tell you when it will arrive. Orders usually arrive within four working days.',
  },
  {
    title: 'Delivery and tracking',
    body: 'Orders ship within two working days and delivery takes two to four days. Once your order ships we send a tracking link in this chat. You can change the delivery address or the delivery day until the order ships: just tell us the new one.',
  },
  {
    title: 'Prices, discounts and shipping',
    body: 'The tea gift box costs 29 euros. Buying 10 or more gives a 10 % discount. Shipping costs 4.90 euros and is free above 50 euros, to any city in the country. Our full price list is on our website.',
  },
  {
    title: 'Payment',
    body: 'You can pay by card through the payment link we send, by bank transfer, or in cash when you collect your order.',
  },
  {
    title: 'Pickup and opening hours',
    body: 'The shop is open Monday to Saturday from 9:00 to 18:00 and closes on Sundays. Orders are ready for pickup the next working day; bring your order number.',
  },
  {
    title: 'Returns, refunds and replacements',
    body: 'If an item arrives damaged or wrong, send us a photo and your order number: we send a replacement or a refund within 5 working days. Unopened items can be returned within 30 days.',
  },
];

const docView = (d: repo.DocRow): z.infer<typeof KnowledgeDoc> => ({
  id: d.id,
  number_id: d.number_id,
  title: d.title,
  format: d.format,
  filename: d.filename,
  chars: d.chars,
  chunks: d.chunks,
  created_at: new Date(d.created_at).toISOString(),
  updated_at: new Date(d.updated_at).toISOString(),
});

/**
 * The knowledge base AI replies are grounded in: entries written in the dashboard and documents
 * uploaded (text, Markdown, PDF, DOCX), split into passages searched with PostgreSQL full-text
 * ranking (the same on PGlite and PostgreSQL). Per organisation, optionally per number; a search
 * never leaves the organisation.
 */
export function createKnowledgeService(deps: { db: Db }) {
  const { db } = deps;

  async function checkNumber(orgId: string, numberId: string | null | undefined) {
    if (!numberId) return;
    if (!(await repo.numberMode(db, orgId, numberId))) throw new AppError('NOT_FOUND', 'Number not found');
  }

  async function save(
    ctx: AuthContext,
    d: { title: string; body: string; numberId: string | null; format: string; filename: string | null },
  ) {
    await checkNumber(ctx.orgId, d.numberId);
    const s = await repo.settingsOf(db, ctx.orgId);
    const chunks = chunkText(d.body);
    const id = await transaction(db, async (tx) => {
      const id = await repo.insertDoc(tx, ctx.orgId, { ...d, createdBy: ctx.userId });
      await repo.replaceChunks(tx, ctx.orgId, id, d.numberId, s.search_language, chunks);
      await recordAudit(tx, actorOf(ctx), {
        action: 'ai.knowledge_added',
        entityType: 'ai_knowledge',
        entityId: id,
        after: {
          title: d.title,
          format: d.format,
          filename: d.filename,
          number_id: d.numberId,
          chars: d.body.length,
        },
      });
      return id;
    });
    return docView((await repo.docOf(db, ctx.orgId, id))!);
  }

  function create(ctx: AuthContext, body: z.infer<typeof CreateKnowledgeBody>) {
    return save(ctx, {
      title: body.title,
      body: body.body,
      numberId: body.number_id,
      format: 'entry',
      filename: null,
    });
  }

  /** A document uploaded as raw bytes; its text is extracted and replaces nothing (a new entry). */
  async function upload(
    ctx: AuthContext,
    file: { bytes: Buffer; filename: string; contentType: string | null; title?: string; numberId?: string },
  ) {
    const { text, format } = await extractText({
      bytes: file.bytes,
      filename: file.filename,
      contentType: file.contentType,
    });
    return save(ctx, {
      title: file.title?.trim() || file.filename.replace(/\.[a-z0-9]+$/i, ''),
      body: text,
      numberId: file.numberId ?? null,
      format,
      filename: file.filename,
    });
  }

  async function update(ctx: AuthContext, id: string, body: z.infer<typeof UpdateKnowledgeBody>) {
    const before = await repo.docOf(db, ctx.orgId, id);
    if (!before) throw new AppError('NOT_FOUND', 'Knowledge entry not found');
    if (body.body !== undefined && before.format !== 'entry')
      throw new AppError('CONFLICT', 'An uploaded document’s text cannot be edited: upload a new version');
    await checkNumber(ctx.orgId, body.number_id);
    const s = await repo.settingsOf(db, ctx.orgId);
    await transaction(db, async (tx) => {
      await repo.updateDoc(tx, ctx.orgId, id, {
        ...(body.title !== undefined ? { title: body.title } : {}),
        ...(body.body !== undefined ? { body: body.body } : {}),
        ...(body.number_id !== undefined ? { numberId: body.number_id } : {}),
      });
      const numberId = body.number_id !== undefined ? body.number_id : before.number_id;
      await repo.replaceChunks(
        tx,
        ctx.orgId,
        id,
        numberId,
        s.search_language,
        chunkText(body.body ?? before.body!),
      );
      await recordAudit(tx, actorOf(ctx), {
        action: 'ai.knowledge_updated',
        entityType: 'ai_knowledge',
        entityId: id,
        before: { title: before.title, number_id: before.number_id, chars: before.chars },
        after: { title: body.title, number_id: body.number_id, chars: body.body?.length },
      });
    });
    return docView((await repo.docOf(db, ctx.orgId, id))!);
  }

  async function remove(ctx: AuthContext, id: string) {
    await transaction(db, async (tx) => {
      const before = await repo.docOf(tx, ctx.orgId, id);
      if (!before || !(await repo.deleteDoc(tx, ctx.orgId, id)))
        throw new AppError('NOT_FOUND', 'Knowledge entry not found');
      await recordAudit(tx, actorOf(ctx), {
        action: 'ai.knowledge_deleted',
        entityType: 'ai_knowledge',
        entityId: id,
        before: { title: before.title, format: before.format, chars: before.chars },
      });
    });
    return { ok: true as const };
  }

  async function get(orgId: string, id: string) {
    const d = await repo.docOf(db, orgId, id);
    if (!d) throw new AppError('NOT_FOUND', 'Knowledge entry not found');
    return { ...docView(d), body: d.body ?? '' };
  }

  async function list(orgId: string) {
    return { data: (await repo.listDocs(db, orgId)).map(docView) };
  }

  /** The passages a customer's words retrieve (what the model would be given), best first. */
  async function search(orgId: string, numberId: string | null, text: string, limit = 4) {
    const s = await repo.settingsOf(db, orgId);
    return repo.searchChunks(db, orgId, numberId, s.search_language, searchWords(text), limit);
  }

  /** The sandbox shop's knowledge, when the organisation has none (a fresh install). */
  async function seedSandbox(orgId: string) {
    if (await repo.hasDocs(db, orgId)) return;
    const s = await repo.settingsOf(db, orgId);
    await transaction(db, async (tx) => {
      for (const e of SANDBOX_KNOWLEDGE) {
        const id = await repo.insertDoc(tx, orgId, {
          numberId: null,
          title: e.title,
          format: 'entry',
          filename: null,
          body: e.body,
          createdBy: null,
        });
        await repo.replaceChunks(tx, orgId, id, null, s.search_language, chunkText(e.body));
      }
    });
  }

  return { create, upload, update, remove, get, list, search, seedSandbox };
}
export type KnowledgeService = ReturnType<typeof createKnowledgeService>;
