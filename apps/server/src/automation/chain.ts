import type { AutomationAction, ChainTestBody, ChainTestResult } from '@openwaba/contracts';
import type { z } from 'zod';
import type { AuthContext } from '../auth/context.ts';
import type { ConsentService } from '../contacts/consent.ts';
import type { Db, Tx } from '../db/client.ts';
import { type OnCommit, transaction } from '../db/tx.ts';
import { AppError } from '../lib/errors.ts';
import type { Log } from '../lib/log.ts';
import type { ActionContext, ActionRunner, SideEffect } from './actions.ts';
import type { Batch } from './batch.ts';
import type { FlowControl, InboundForFlows } from './flow-control.ts';
import { type AppliedSchedule, type HoursService, isOpen } from './hours.ts';
import { matchText } from './match.ts';
import * as repo from './repo.ts';

/** Who handled a message (automation_handled.handled_by); `skipped`: not a customer's message. */
type Hint = { consent?: 'opt_in' | 'opt_out' | null };
type QueueItem = { messageId: string; contactId: string; consent: Hint['consent'] };
export type HandledBy = ChainTestResult['handled_by'] | 'skipped';
type Step = ChainTestResult['steps'][number];

/** How long back the sweep looks for messages the chain never claimed, and when claims are purged. */
export const SWEEP_MINUTES = 15;
export const PURGE_HANDLED_HOURS = 48;

/**
 * (f) AI replies (ai/replies.ts `chainStep`): called last, for a message nothing else handled, in
 * the chain's transaction; true when it took the message (auto mode).
 */
export type AiReplyHook = (
  tx: Tx,
  onCommit: OnCommit,
  m: InboundForFlows,
  /** The batch's memo (what every message of it reads alike); absent when handled alone. */
  memo?: <T>(key: string, load: () => Promise<T>) => Promise<T>,
) => Promise<boolean>;

/** What a customer's message says that rules match: its text, or the id and title of the button or list row it answers with. */
export function wordsOf(type: string, content: Record<string, unknown>) {
  const o = (v: unknown) => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});
  const s = (v: unknown) => (typeof v === 'string' ? v : null);
  if (type === 'text') return { text: s(o(content.text).body), replyId: null, replyTitle: null };
  if (type === 'button') {
    const b = o(content.button);
    return { text: s(b.text), replyId: s(b.payload), replyTitle: s(b.text) };
  }
  if (type === 'interactive') {
    const i = o(content.interactive);
    const r = o(i.type === 'list_reply' ? i.list_reply : i.button_reply);
    if (i.type !== 'list_reply' && i.type !== 'button_reply') return null;
    return { text: null, replyId: s(r.id), replyTitle: s(r.title) };
  }
  return null;
}

/** Message types that get no welcome or away reply. */
const NOT_WRITING = new Set(['reaction', 'system', 'unsupported', 'unknown', 'errors']);

const describe = (m: { kind: string; patterns: string[] }) =>
  `${m.kind.replace('_', ' ')}: ${m.patterns.map((p) => `"${p}"`).join(', ')}`;

/**
 * The order in which an inbound customer message is handled (docs/automation.md), exactly once:
 * STOP/START → a flow run waiting for the contact's reply → keyword rules by priority → flow
 * triggers → business hours (welcome, out-of-office) → AI replies (auto mode) → nothing.
 *
 * `enqueue` (the `message.received` reaction) hands the message to an in-process queue and
 * returns: at most `concurrency` messages at once, one contact's in arrival order. `handle` claims
 * the message (`automation_handled`) in the transaction that does what the chain decides — sends
 * are queued there through the one send path — so a message is handled once even if the reaction
 * and the sweep both try, and a crash loses nothing: the sweep finds what was never claimed.
 */
export function createChain(deps: {
  db: Db;
  log: Log;
  actions: Pick<ActionRunner, 'run'>;
  hours: Pick<HoursService, 'forNumber'>;
  consent: Pick<ConsentService, 'keywordOf'>;
  /** The flow engine (flows/engine.ts); without it, the flow steps pass. */
  flows?: FlowControl;
  aiReply?: AiReplyHook;
  /** What step (f) would do with a text on a number (the test box); without it, the step is not shown. */
  aiPreview?: (
    orgId: string,
    numberId: string | null,
    text: string | null,
  ) => Promise<{ handles: boolean; why: string }>;
  /** A new batch (batch.ts): queued messages are handled many per transaction; without it, one each. */
  newBatch?: () => Batch;
  /** Batches in flight at once (each in its own transaction). */
  concurrency?: number;
  /** The most messages in one batch. */
  batchSize?: number;
}) {
  const { db, log, actions, hours, consent, flows } = deps;
  const concurrency = deps.concurrency ?? 2;
  const batchSize = deps.batchSize ?? 100;

  // ------------------------------------------------------------ the chain, for real

  /** One message in a transaction of its own, no batch (a failed batch's messages, one by one). */
  async function handleOne(messageId: string, hint: Hint = {}): Promise<HandledBy | null> {
    return transaction(db, async (tx, onCommit) => {
      const m = await repo.inboundMessage(tx, messageId);
      if (!m) return null;
      if (!(await repo.claim(tx, m.org_id, m.id))) return null;
      const by = await run(tx, onCommit, m, hint);
      await repo.setHandledBy(tx, m.id, by);
      return by;
    });
  }

  /**
   * Messages of different contacts in one transaction: read together, each through the
   * chain in arrival order, what they send and the flow runs they move written at the end, all at
   * once (batch.ts). If anything fails the transaction is undone and each message is handled alone,
   * so one bad message costs the others nothing. Who handled each (null: not found or claimed).
   */
  async function handleMany(items: { messageId: string; consent?: Hint['consent'] }[]) {
    if (!deps.newBatch) {
      const out: (HandledBy | null)[] = [];
      for (const it of items) out.push(await handleOne(it.messageId, it));
      return out;
    }
    try {
      return await transaction(db, async (tx, onCommit) => {
        const mine = await repo.unclaimedInbound(
          tx,
          items.map((i) => i.messageId),
        );
        const batch = deps.newBatch!();
        const customers = mine.filter((m) => m.direction === 'in' && m.source === null);
        if (flows && customers.length)
          await flows.lockWaiting(
            tx,
            batch,
            customers.map((m) => ({ contactId: m.contact_id, numberId: m.number_id })),
          );
        const hints = new Map(items.map((i) => [i.messageId, i]));
        const matched = new Map<string, { orgId: string; n: number }>();
        const by = new Map<string, HandledBy>();
        for (const m of mine) {
          by.set(m.id, await run(tx, onCommit, m, hints.get(m.id) ?? {}, { batch, matched }));
        }
        batch.handled(mine.map((m) => ({ id: m.id, orgId: m.org_id, handledBy: by.get(m.id)! })));
        await batch.flush(tx, onCommit);
        onCommit(async () => {
          for (const [ruleId, { orgId, n }] of matched)
            await repo
              .countMatch(db, orgId, ruleId, n)
              .catch((err) => log.warn({ err }, 'rule statistics not counted'));
        });
        return items.map((i) => by.get(i.messageId) ?? null);
      });
    } catch (err) {
      log.warn(
        { err, messages: items.length },
        'automation: a batch failed; handling its messages one by one',
      );
      const out: (HandledBy | null)[] = [];
      for (const it of items) {
        try {
          out.push(await handleOne(it.messageId, it));
        } catch (e) {
          log.error({ err: e, messageId: it.messageId }, 'automation: chain failed');
          out.push(null);
        }
      }
      return out;
    }
  }

  /** Handles one message now (tests, the sweep): claimed, through the chain, in a batch of one. */
  async function handle(messageId: string, hint: Hint = {}): Promise<HandledBy | null> {
    const [by] = await handleMany([{ messageId, ...hint }]);
    return by ?? null;
  }

  async function run(
    tx: Tx,
    onCommit: OnCommit,
    m: repo.InboundRow,
    hint: Hint,
    /** In a batch: what it shares (see handleMany), and the rules' match counts to add after commit. */
    inBatch?: { batch: Batch; matched: Map<string, { orgId: string; n: number }> },
  ): Promise<HandledBy> {
    const batch = inBatch?.batch;
    const memo = <T>(key: string, load: () => Promise<T>) => (batch ? batch.memo(key, load) : load());
    // Our own messages, the Business app's echoes and back-filled history never trigger anything.
    if (m.direction !== 'in' || m.source !== null) return 'skipped';
    const words = wordsOf(m.type, m.content);
    const said = words?.text ?? (m.type === 'button' ? words?.replyTitle : null) ?? null;

    // (a) STOP / START: consent changed with the message (inbound did it), or a repeated keyword.
    if (hint.consent || (said && (await consent.keywordOf(tx, m.org_id, said)))) return 'consent';

    const inbound: InboundForFlows = {
      orgId: m.org_id,
      numberId: m.number_id,
      contactId: m.contact_id,
      conversationId: m.conversation_id,
      messageId: m.id,
      wamid: m.wamid,
      text: words?.text ?? null,
      replyId: words?.replyId ?? null,
      replyTitle: words?.replyTitle ?? null,
      contextWamid: m.context_wamid,
      firstEver: m.first_ever,
      contact: {
        name: m.contact_name,
        phone: m.contact_phone,
        fields: m.contact_fields ?? {},
        tags: m.contact_tags ?? [],
      },
    };
    const ctx: ActionContext = {
      orgId: m.org_id,
      numberId: m.number_id,
      contactId: m.contact_id,
      conversationId: m.conversation_id,
      scope: { contact: { ...inbound.contact!, tags: [...inbound.contact!.tags] }, vars: {} },
      ...(batch ? { batch } : {}),
    };

    // (b) A flow run waiting for this contact's reply takes it (any kind of message: the engine decides).
    if (flows && (await flows.resumeWaiting(tx, onCommit, inbound, batch))) return 'waiting_run';

    let schedule: AppliedSchedule | null | undefined;
    const scheduleOf = async () => {
      if (schedule === undefined)
        schedule = await memo(`hours:${m.org_id}:${m.number_id}`, () =>
          hours.forNumber(tx, m.org_id, m.number_id),
        );
      return schedule;
    };
    const now = new Date();
    let continued = false;

    // Media and other messages go straight to business hours: only words match rules and triggers.
    if (words) {
      // (c) Keyword rules, by priority.
      const rules = await memo(`rules:${m.org_id}`, () =>
        repo.listRules(tx, m.org_id, { enabledOnly: true }),
      );
      for (const rule of rules) {
        if (rule.number_ids && !rule.number_ids.includes(m.number_id)) continue;
        if (!matchText(rule.match, [words.text, words.replyId, words.replyTitle])) continue;
        if (rule.hours !== 'always') {
          const s = await scheduleOf();
          const open = s ? isOpen(s.row, now, s.zone) : true;
          if ((rule.hours === 'open') !== open) continue;
        }
        if (rule.cooldown_minutes > 0) {
          const last = await repo.lastHit(tx, rule.id, m.contact_id);
          if (last && now.getTime() - last.getTime() < rule.cooldown_minutes * 60_000) continue;
        }
        if (inBatch) {
          inBatch.batch.hit(rule.id, m.contact_id);
          const c = inBatch.matched.get(rule.id);
          if (c) c.n++;
          else inBatch.matched.set(rule.id, { orgId: m.org_id, n: 1 });
        } else {
          await repo.recordHit(tx, rule.id, m.contact_id);
          onCommit(() =>
            repo
              .countMatch(db, m.org_id, rule.id)
              .catch((err) => log.warn({ err }, 'rule statistics not counted')),
          );
        }
        for (const action of rule.actions) {
          await act(tx, onCommit, ctx, inbound, action, `rule "${rule.name}"`);
        }
        if (!rule.continue_chain) return 'rule';
        continued = true;
      }

      // (d) Flow triggers.
      if (flows) {
        const trigger = await flows.findTrigger(tx, inbound, batch);
        if (trigger) {
          const started = await flows.startRun(
            tx,
            onCommit,
            {
              orgId: m.org_id,
              flowId: trigger.flowId,
              contactId: m.contact_id,
              numberId: m.number_id,
              conversationId: m.conversation_id,
              message: inbound,
              via: `trigger: ${trigger.why}`,
            },
            batch,
          );
          if ('runId' in started) return 'flow_trigger';
          log.warn({ orgId: m.org_id, flowId: trigger.flowId, error: started.error }, 'flow not started');
        }
      }
    }

    // A reaction to one of our messages, a system notice or an unsupported message is not a customer writing.
    if (NOT_WRITING.has(m.type)) return continued ? 'rule' : 'nothing';

    // (e) Business hours: the welcome for a first message ever, the away reply while closed.
    const s = await scheduleOf();
    if (s) {
      let replied = false;
      if (m.first_ever && s.row.welcome_message) {
        if (!(await repo.markAt(tx, m.contact_id, m.number_id, 'welcome'))) {
          await repo.setMark(tx, m.org_id, m.contact_id, m.number_id, 'welcome');
          await act(
            tx,
            onCommit,
            ctx,
            inbound,
            { type: 'reply_text', text: s.row.welcome_message },
            'welcome',
          );
          replied = true;
        }
      }
      if (s.row.away_message && !isOpen(s.row, now, s.zone)) {
        const last = await repo.markAt(tx, m.contact_id, m.number_id, 'away');
        if (!last || now.getTime() - last.getTime() >= s.row.away_every_hours * 3_600_000) {
          await repo.setMark(tx, m.org_id, m.contact_id, m.number_id, 'away');
          await act(tx, onCommit, ctx, inbound, { type: 'reply_text', text: s.row.away_message }, 'away');
          replied = true;
        }
      }
      if (replied) return 'hours';
    }

    // (f) AI replies (ai/replies.ts): auto mode takes a text nothing else handled.
    if (deps.aiReply && (await deps.aiReply(tx, onCommit, inbound, batch ? memo : undefined))) return 'ai';

    return continued ? 'rule' : 'nothing';
  }

  /** One action of a rule: flow control goes to the engine, side effects to the action runner. */
  async function act(
    tx: Tx,
    onCommit: OnCommit,
    ctx: ActionContext,
    inbound: InboundForFlows,
    action: AutomationAction,
    by: string,
  ) {
    if (action.type === 'start_flow') {
      if (!flows) return log.warn({ orgId: ctx.orgId }, 'automation: flows unavailable, start_flow skipped');
      const r = await flows.startRun(
        tx,
        onCommit,
        {
          orgId: ctx.orgId,
          flowId: action.flow_id,
          contactId: ctx.contactId,
          numberId: ctx.numberId,
          conversationId: ctx.conversationId,
          message: inbound,
          via: by,
        },
        ctx.batch,
      );
      if ('error' in r)
        log.warn({ orgId: ctx.orgId, error: r.error }, `automation: ${by} could not start a flow`);
      return;
    }
    if (action.type === 'stop_flow' || action.type === 'handover') {
      await flows?.stopRuns(tx, ctx.orgId, ctx.contactId, ctx.numberId, `stopped by ${by}`);
      if (action.type === 'stop_flow') return;
    }
    const outcome = await actions.run(tx, onCommit, ctx, action as SideEffect);
    if (!outcome.ok) {
      log.warn(
        { orgId: ctx.orgId, action: action.type, error: outcome.error },
        `automation: ${by} action failed`,
      );
    } else
      outcome.onRefused?.((error) =>
        log.warn({ orgId: ctx.orgId, action: action.type, error }, `automation: ${by} action failed`),
      );
  }

  // ------------------------------------------------------------ the in-process queue and the sweep

  let queue: QueueItem[] = [];
  /** Contacts with a message in a batch in flight: their next messages wait for it. */
  const busy = new Set<string>();
  let inFlight = 0;
  const idleWaiters: (() => void)[] = [];
  let scheduled = false;

  /**
   * Starts batches while fewer than `concurrency` are in flight: each takes, in arrival order, up
   * to `batchSize` messages of different contacts not already in flight (a contact's later message
   * waits for the next batch, so one contact's messages go through in order).
   */
  function pump() {
    while (inFlight < concurrency && queue.length) {
      const take: QueueItem[] = [];
      const rest: QueueItem[] = [];
      const seen = new Set<string>();
      for (const it of queue) {
        if (take.length < batchSize && !busy.has(it.contactId) && !seen.has(it.contactId)) take.push(it);
        else rest.push(it);
        seen.add(it.contactId);
      }
      if (!take.length) break;
      queue = rest;
      inFlight++;
      for (const it of take) busy.add(it.contactId);
      void handleMany(take)
        .catch((err) => log.error({ err, messages: take.length }, 'automation: chain failed'))
        .finally(() => {
          inFlight--;
          for (const it of take) busy.delete(it.contactId);
          pump();
          if (!inFlight && !queue.length) for (const w of idleWaiters.splice(0)) w();
        });
    }
  }

  /**
   * Queues a new customer message for the chain and returns at once (the inbound pipeline does not
   * wait). Messages are handled in batches; one contact's in arrival order; a failure is logged and
   * left to the sweep.
   */
  function enqueue(e: { messageId: string; contactId: string; consent: 'opt_in' | 'opt_out' | null }) {
    queue.push({ messageId: e.messageId, contactId: e.contactId, consent: e.consent });
    // The messages of one inbound commit are announced one after another: they form one batch.
    if (!scheduled) {
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        pump();
        if (!inFlight && !queue.length) for (const w of idleWaiters.splice(0)) w();
      });
    }
  }

  /** Resolves once every queued message has been through the chain (tests, shutdown). */
  async function idle() {
    while (inFlight || queue.length || scheduled) {
      if (!inFlight && !scheduled) pump();
      await new Promise<void>((r) => idleWaiters.push(r));
    }
  }

  /**
   * Handles the customers' messages of the last minutes that no chain claimed (the process died
   * between the inbound commit and the reaction), oldest first, in batches of different contacts
   * (a contact's n-th message in the n-th round); the claim keeps it exactly once if the queue gets
   * there too. `minAgeSeconds` leaves the queue the messages that just arrived.
   */
  async function sweep(o: { minAgeSeconds?: number } = {}) {
    const rows = await repo.unhandledInbound(db, SWEEP_MINUTES, o.minAgeSeconds ?? 30, 500);
    const rounds: { messageId: string }[][] = [];
    const seen = new Map<string, number>();
    for (const r of rows) {
      const n = seen.get(r.contact_id) ?? 0;
      seen.set(r.contact_id, n + 1);
      const round = rounds[n] ?? [];
      rounds[n] = round;
      round.push({ messageId: r.id });
    }
    let handled = 0;
    for (const round of rounds) {
      for (let i = 0; i < round.length; i += batchSize) {
        try {
          handled += (await handleMany(round.slice(i, i + batchSize))).filter(Boolean).length;
        } catch (err) {
          log.error({ err }, 'automation: chain failed in the sweep');
        }
      }
    }
    return handled;
  }

  const purge = () => repo.purgeHandled(db, PURGE_HANDLED_HOURS);

  // ------------------------------------------------------------ the test box (no side effects)

  async function test(
    authCtx: Pick<AuthContext, 'orgId'>,
    body: z.output<typeof ChainTestBody>,
  ): Promise<ChainTestResult> {
    const orgId = authCtx.orgId;
    if (body.number_id && !(await repo.existing(db, orgId, 'numbers', [body.number_id])).length)
      throw new AppError('NOT_FOUND', 'Number not found');
    const at = body.at ? new Date(body.at) : new Date();
    const text = body.text.trim() ? body.text : null;
    const replyId = body.reply_id ?? null;
    const steps: Step[] = [];
    const planned: AutomationAction[] = [];
    const done = (handled_by: ChainTestResult['handled_by']) => ({ handled_by, steps, actions: planned });

    if (!text && !replyId) {
      steps.push({ step: 'nothing', id: null, name: null, outcome: 'skipped', why: 'an empty message' });
    }
    const keyword = text ? await consent.keywordOf(db, orgId, text) : null;
    if (keyword) {
      steps.push({
        step: 'consent',
        id: null,
        name: null,
        outcome: 'handled',
        why: `"${text!.trim()}" is a ${keyword === 'opt_out' ? 'STOP' : 'START'} keyword: consent changes, nothing else runs`,
      });
      return done('consent');
    }
    steps.push({
      step: 'waiting_run',
      id: null,
      name: null,
      outcome: 'skipped',
      why: 'a test message has no contact, so no flow run can be waiting for it',
    });

    const schedule = body.number_id
      ? await hours.forNumber(db, orgId, body.number_id)
      : await hours.forNumber(db, orgId, '00000000-0000-0000-0000-000000000000');
    const open = schedule ? isOpen(schedule.row, at, schedule.zone) : true;
    let continued = false;

    if (text || replyId) {
      for (const rule of await repo.listRules(db, orgId)) {
        const skip = (why: string) =>
          steps.push({ step: 'rule', id: rule.id, name: rule.name, outcome: 'skipped', why });
        if (!rule.enabled) {
          skip('disabled');
          continue;
        }
        if (body.number_id && rule.number_ids && !rule.number_ids.includes(body.number_id)) {
          skip('listens on other numbers');
          continue;
        }
        const hit = matchText(rule.match, [text, replyId]);
        if (!hit) {
          skip(`no match (${describe(rule.match)})`);
          continue;
        }
        if (rule.hours !== 'always' && (rule.hours === 'open') !== open) {
          skip(`matches "${hit}" but is active only while ${rule.hours} (${open ? 'open' : 'closed'} then)`);
          continue;
        }
        planned.push(...rule.actions);
        const why = `matches "${hit}" (${rule.match.kind.replace('_', ' ')})${rule.cooldown_minutes ? '; cooldown not applied in a test' : ''}`;
        if (!rule.continue_chain) {
          steps.push({ step: 'rule', id: rule.id, name: rule.name, outcome: 'handled', why });
          return done('rule');
        }
        steps.push({
          step: 'rule',
          id: rule.id,
          name: rule.name,
          outcome: 'continued',
          why: `${why}; continues down the chain`,
        });
        continued = true;
      }

      if (flows) {
        const trigger = await flows.findTrigger(db, {
          orgId,
          numberId: body.number_id ?? '00000000-0000-0000-0000-000000000000',
          contactId: '00000000-0000-0000-0000-000000000000',
          conversationId: '00000000-0000-0000-0000-000000000000',
          messageId: '00000000-0000-0000-0000-000000000000',
          wamid: null,
          text,
          replyId,
          replyTitle: null,
          contextWamid: null,
          firstEver: false,
        });
        if (trigger) {
          planned.push({ type: 'start_flow', flow_id: trigger.flowId });
          steps.push({
            step: 'flow_trigger',
            id: trigger.flowId,
            name: trigger.name,
            outcome: 'handled',
            why: trigger.why,
          });
          return done('flow_trigger');
        }
        steps.push({
          step: 'flow_trigger',
          id: null,
          name: null,
          outcome: 'skipped',
          why: 'no published flow has a matching trigger',
        });
      }
    }

    if (!schedule) {
      steps.push({ step: 'hours', id: null, name: null, outcome: 'skipped', why: 'no business hours apply' });
    } else if (open) {
      steps.push({
        step: 'hours',
        id: schedule.row.id,
        name: schedule.row.name,
        outcome: 'skipped',
        why: `open then (${schedule.zone}); a welcome goes only with a contact's first message ever`,
      });
    } else if (!schedule.row.away_message) {
      steps.push({
        step: 'hours',
        id: schedule.row.id,
        name: schedule.row.name,
        outcome: 'skipped',
        why: `closed then (${schedule.zone}) but no away message is set`,
      });
    } else {
      planned.push({ type: 'reply_text', text: schedule.row.away_message });
      steps.push({
        step: 'hours',
        id: schedule.row.id,
        name: schedule.row.name,
        outcome: 'handled',
        why: `closed then (${schedule.zone}): the away message, at most once per contact every ${schedule.row.away_every_hours} h`,
      });
      return done('hours');
    }
    if (deps.aiPreview) {
      const a = await deps.aiPreview(orgId, body.number_id ?? null, text);
      steps.push({
        step: 'ai',
        id: null,
        name: null,
        outcome: a.handles ? 'handled' : 'skipped',
        why: a.why,
      });
      if (a.handles) return done('ai');
    }
    steps.push({
      step: 'nothing',
      id: null,
      name: null,
      outcome: continued ? 'skipped' : 'handled',
      why: continued ? 'nothing after the rules that continued' : 'nothing handles this message',
    });
    return done(continued ? 'rule' : 'nothing');
  }

  return { enqueue, handle, idle, sweep, purge, test };
}
export type Chain = ReturnType<typeof createChain>;
