import type { AutomationAction, ButtonsSpec, ListSpec, TemplateSpec } from '@openwaba/contracts';
import type { z } from 'zod';
import type { AuthContext } from '../auth/context.ts';
import type { ContactService } from '../contacts/service.ts';
import type { ConversationService } from '../conversations/service.ts';
import type { Tx } from '../db/client.ts';
import type { OnCommit } from '../db/tx.ts';
import { AppError } from '../lib/errors.ts';
import type { Log } from '../lib/log.ts';
import { fill, type PlaceholderScope } from '../lib/placeholders.ts';
import type { Sender } from '../messages/sender.ts';
import type { OutboundService } from '../messages/service.ts';
import type { Batch } from './batch.ts';

/** Who and where an action acts on: the contact's conversation on one number. */
export interface ActionContext {
  orgId: string;
  numberId: string;
  contactId: string;
  conversationId: string;
  /** What placeholders read; `set_field` and tag changes update it for the actions after. */
  scope: PlaceholderScope & { contact: { tags: string[] }; vars: Record<string, string> };
  /** wamid of the customer's message being answered. */
  replyTo?: string | null;
  /**
   * A test run (the dashboard's test chat): nothing is sent and no contact or conversation changes;
   * what would be sent is appended to `transcript`, tag and field changes go to `scope` only.
   */
  test?: { transcript: { from: 'bot' | 'customer'; at: string; content: Record<string, unknown> }[] };
  /**
   * A batch (batch.ts): sends are queued at the end of its transaction, all at once; the outcome
   * says `queued`, and `onRefused` hears of a message the send path then refused.
   */
  batch?: Batch;
}

export type ActionOutcome =
  | {
      ok: true;
      detail: string;
      messageId?: string;
      /** In a batch: called if the send path refuses the message when the batch is flushed. */
      onRefused?: (listener: (error: string, code: string) => void) => void;
    }
  | { ok: false; error: string; code?: string };

/** The side effects rules and flow nodes share; flow control (start_flow, stop_flow) is the caller's. */
export type SideEffect = Exclude<AutomationAction, { type: 'start_flow' } | { type: 'stop_flow' }>;

const textContent = (body: string) => ({ type: 'text', text: { body } });
const buttonsContent = (b: z.infer<typeof ButtonsSpec>, f: (s: string) => string) => ({
  type: 'interactive',
  interactive: {
    type: 'button',
    ...(b.header ? { header: { type: 'text', text: f(b.header) } } : {}),
    body: { text: f(b.body) },
    ...(b.footer ? { footer: { text: f(b.footer) } } : {}),
    action: { buttons: b.buttons.map((x) => ({ type: 'reply', reply: { id: x.id, title: f(x.title) } })) },
  },
});
const listContent = (l: z.infer<typeof ListSpec>, f: (s: string) => string) => ({
  type: 'interactive',
  interactive: {
    type: 'list',
    ...(l.header ? { header: { type: 'text', text: f(l.header) } } : {}),
    body: { text: f(l.body) },
    ...(l.footer ? { footer: { text: f(l.footer) } } : {}),
    action: {
      button: l.button,
      sections: [
        {
          rows: l.rows.map((r) => ({
            id: r.id,
            title: f(r.title),
            ...(r.description ? { description: f(r.description) } : {}),
          })),
        },
      ],
    },
  },
});
const templateContent = (t: z.infer<typeof TemplateSpec>, f: (s: string) => string) => ({
  type: 'template',
  template: {
    name: t.name,
    language: { code: t.language },
    ...(t.body_params.length
      ? {
          components: [
            { type: 'body', parameters: t.body_params.map((p) => ({ type: 'text', text: f(p) })) },
          ],
        }
      : {}),
  },
});

/**
 * Runs the side effects of rules and flow nodes. Sends go through the one send path
 * (`outbound.send`: consent, 24 h window, template rules, cost, caps) inside the caller's
 * transaction, each in a savepoint: a refused send is an outcome (`ok: false`, its code), never an
 * exception that undoes the caller's other work. Tags and fields change in the same transaction.
 * Assignment and status go through the conversations service after commit (they notify agents).
 */
export function createActionRunner(deps: {
  outbound: Pick<OutboundService, 'send'>;
  sender: Pick<Sender, 'poke'>;
  contacts: Pick<ContactService, 'changeTagsByName' | 'setFieldValue'>;
  conversations: Pick<ConversationService, 'assign' | 'setStatus'>;
  log: Log;
}) {
  const { outbound, sender, contacts, conversations, log } = deps;

  /** The conversations service acts for a person; automation acts as the organisation's system. */
  const systemCtx = (orgId: string): AuthContext => ({
    orgId,
    userId: '00000000-0000-0000-0000-000000000000',
    role: 'admin',
    sessionId: 'automation',
    via: 'automation',
  });

  async function send(tx: Tx, onCommit: OnCommit, ctx: ActionContext, content: Record<string, unknown>) {
    if (ctx.test) {
      ctx.test.transcript.push({ from: 'bot', at: new Date().toISOString(), content });
      return { ok: true as const, detail: `would send ${String(content.type)}` };
    }
    const input = {
      numberId: ctx.numberId,
      to: { contactId: ctx.contactId },
      content,
      source: 'automation' as const,
      replyTo: ctx.replyTo ?? null,
    };
    if (ctx.batch) {
      const listeners: ((error: string, code: string) => void)[] = [];
      ctx.batch.send(ctx.orgId, input, (r) => {
        if (r instanceof AppError) for (const l of listeners) l(r.message, r.code);
        else onCommit(() => sender.poke());
      });
      return {
        ok: true as const,
        detail: `queued ${String(content.type)}`,
        onRefused: (l: (error: string, code: string) => void) => void listeners.push(l),
      };
    }
    // Hooks of a send rolled back to its savepoint must not run: they are kept here until it holds.
    const hooks: Parameters<OnCommit>[0][] = [];
    try {
      const queued = await tx.transaction((sp) =>
        outbound.send(ctx.orgId, input, { tx: sp, onCommit: (h) => hooks.push(h) }),
      );
      for (const h of hooks) onCommit(h);
      onCommit(() => sender.poke());
      return { ok: true as const, detail: `queued ${String(content.type)}`, messageId: queued.message_id };
    } catch (err) {
      if (err instanceof AppError) return { ok: false as const, error: err.message, code: err.code };
      throw err;
    }
  }

  /** One action; its outcome says what it did or why it could not. */
  async function run(
    tx: Tx,
    onCommit: OnCommit,
    ctx: ActionContext,
    action: SideEffect,
  ): Promise<ActionOutcome> {
    const missing: string[] = [];
    const f = (s: string) => {
      const r = fill(s, ctx.scope);
      missing.push(...r.missing);
      return r.text;
    };
    const withMissing = (o: ActionOutcome): ActionOutcome =>
      o.ok && missing.length
        ? { ...o, detail: `${o.detail} (no value for ${[...new Set(missing)].join(', ')})` }
        : o;
    switch (action.type) {
      case 'reply_text': {
        const body = f(action.text);
        if (!body) return { ok: false, error: `the text is empty once filled in (${missing.join(', ')})` };
        return withMissing(await send(tx, onCommit, ctx, textContent(body)));
      }
      case 'send_template':
        return withMissing(await send(tx, onCommit, ctx, templateContent(action.template, f)));
      case 'send_buttons':
        return withMissing(await send(tx, onCommit, ctx, buttonsContent(action.buttons, f)));
      case 'send_list':
        return withMissing(await send(tx, onCommit, ctx, listContent(action.list, f)));
      case 'add_tags':
      case 'remove_tags': {
        const names = action.tags;
        const lower = new Set(names.map((n) => n.toLowerCase()));
        const tags = ctx.scope.contact.tags;
        ctx.scope.contact.tags =
          action.type === 'add_tags'
            ? [...tags, ...names.filter((n) => !tags.some((t) => t.toLowerCase() === n.toLowerCase()))]
            : tags.filter((t) => !lower.has(t.toLowerCase()));
        if (!ctx.test) {
          await contacts.changeTagsByName(
            tx,
            onCommit,
            ctx.orgId,
            ctx.contactId,
            action.type === 'add_tags' ? { add: names } : { remove: names },
          );
        }
        return {
          ok: true,
          detail: `${action.type === 'add_tags' ? 'tagged' : 'untagged'} ${names.join(', ')}`,
        };
      }
      case 'set_field': {
        const value = f(action.value);
        if (!ctx.test) {
          try {
            await tx.transaction((sp) =>
              contacts.setFieldValue(sp, onCommit, ctx.orgId, ctx.contactId, action.key, value || null),
            );
          } catch (err) {
            if (err instanceof AppError) return { ok: false, error: err.message, code: err.code };
            throw err;
          }
        }
        ctx.scope.contact.fields = { ...ctx.scope.contact.fields, [action.key]: value };
        return withMissing({ ok: true, detail: `set ${action.key} to "${value}"` });
      }
      case 'assign': {
        const who =
          action.assignee === 'round_robin'
            ? 'the next online agent'
            : action.assignee
              ? 'an agent'
              : 'nobody';
        if (!ctx.test) {
          onCommit(() =>
            conversations
              .assign(systemCtx(ctx.orgId), ctx.conversationId, action.assignee, action.team_id ?? undefined)
              .catch((err) => log.warn({ err, orgId: ctx.orgId }, 'automation: assignment not made')),
          );
        }
        return { ok: true, detail: `${ctx.test ? 'would assign' : 'assigning'} to ${who}` };
      }
      case 'set_status':
        if (!ctx.test) {
          onCommit(() =>
            conversations
              .setStatus(systemCtx(ctx.orgId), ctx.conversationId, action.status)
              .catch((err) => log.warn({ err, orgId: ctx.orgId }, 'automation: status not set')),
          );
        }
        return { ok: true, detail: `${ctx.test ? 'would set' : 'set'} status ${action.status}` };
      case 'handover':
        // The caller ends the contact's flow run; this hands the conversation to a person.
        if (!ctx.test) {
          onCommit(async () => {
            const sys = systemCtx(ctx.orgId);
            await conversations
              .setStatus(sys, ctx.conversationId, 'open')
              .catch((err) => log.warn({ err, orgId: ctx.orgId }, 'automation: status not set'));
            await conversations
              .assign(sys, ctx.conversationId, 'round_robin', action.team_id ?? undefined)
              .catch((err) =>
                // Nobody online to take it: the conversation stays open and unassigned.
                err instanceof AppError && err.code === 'CONFLICT'
                  ? log.info(
                      { orgId: ctx.orgId, why: err.message },
                      'automation: handed over, left unassigned',
                    )
                  : log.warn({ err, orgId: ctx.orgId }, 'automation: hand-over not assigned'),
              );
          });
        }
        return { ok: true, detail: `${ctx.test ? 'would hand' : 'handed'} over to a person` };
    }
  }

  return { run };
}
export type ActionRunner = ReturnType<typeof createActionRunner>;
