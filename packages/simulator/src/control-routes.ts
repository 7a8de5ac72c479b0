import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { CustomerBehaviour, CustomerInput, NumberInput, Seed, TemplateSeed } from './config.ts';
import type { Core } from './core/build-core.ts';
import { INBOUND_KINDS, OTHER_KINDS } from './events/index.ts';
import { Faults } from './faults.ts';

const invalid = (reply: FastifyReply, error: z.ZodError) =>
  reply.code(400).send({
    error: {
      message: error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
    },
  });
const notFound = (reply: FastifyReply, what: string) =>
  reply.code(404).send({ error: { message: `${what} not found` } });

const CustomerMessage = z
  .object({
    phone_number_id: z.string().min(1),
    type: z.enum(Object.keys(INBOUND_KINDS) as [string, ...string[]]),
    name: z.string().min(1).max(100).optional(),
    /** Makes the message a reply to this wamid (a message the business sent). */
    context_message_id: z.string().optional(),
    text: z.string().min(1).max(4096).optional(),
    caption: z.string().max(1024).optional(),
    filename: z.string().max(240).optional(),
    payload: z.string().optional(),
    id: z.string().optional(),
    title: z.string().optional(),
    description: z.string().optional(),
    emoji: z.string().optional(),
    message_id: z.string().optional(),
    response: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

const EventInput = z
  .object({
    kind: z.enum([...Object.keys(OTHER_KINDS), ...Object.keys(INBOUND_KINDS)] as [string, ...string[]]),
    phone_number_id: z.string().optional(),
    waba_id: z.string().optional(),
    wa_id: z
      .string()
      .regex(/^\d{6,15}$/)
      .optional(),
    template_id: z.string().optional(),
    params: z.record(z.string(), z.unknown()).default({}),
  })
  .strict()
  .refine((e) => e.phone_number_id || e.waba_id, { message: 'phone_number_id or waba_id is required' });

/** The control API under /_sim: set the world up, make customers act, inject faults, read counters. */
export function registerControlRoutes(app: FastifyInstance, core: Core) {
  app.get('/_sim', async () => ({
    name: 'openwaba Cloud API simulator',
    graph_base_url: core.publicUrl,
    numbers: core.numbers.size,
    templates: core.templates.size,
    inbound_kinds: Object.keys(INBOUND_KINDS),
    event_kinds: Object.keys(OTHER_KINDS),
  }));

  app.get('/_sim/numbers', async () => [...core.numbers.values()].map((n) => core.publicNumber(n)));

  app.post('/_sim/numbers', async (req, reply) => {
    const r = NumberInput.safeParse(req.body);
    if (!r.success) return invalid(reply, r.error);
    return reply.code(201).send(core.addNumber(r.data));
  });

  app.put<{ Params: { id: string } }>('/_sim/numbers/:id', async (req, reply) => {
    const current = core.numbers.get(req.params.id);
    if (!current) return notFound(reply, 'number');
    const patch = z.record(z.string(), z.unknown()).safeParse(req.body);
    if (!patch.success) return invalid(reply, patch.error);
    // Validate the merged number, so that a partial update never resets other fields to defaults.
    const { bucket: _b, meter: _m, accepted: _a, initiated: _i, ...plain } = current;
    const r = NumberInput.safeParse({ ...plain, ...patch.data, phone_number_id: req.params.id });
    if (!r.success) return invalid(reply, r.error);
    return core.addNumber(r.data);
  });

  app.get('/_sim/templates', async () => [...core.templates.values()]);

  app.post('/_sim/templates', async (req, reply) => {
    const r = TemplateSeed.safeParse(req.body);
    if (!r.success) return invalid(reply, r.error);
    return reply.code(201).send(core.addTemplate(r.data));
  });

  app.put<{ Params: { id: string } }>('/_sim/templates/:id', async (req, reply) => {
    const r = z
      .object({
        status: z
          .enum([
            'APPROVED',
            'REJECTED',
            'PAUSED',
            'DISABLED',
            'PENDING',
            'IN_APPEAL',
            'FLAGGED',
            'REINSTATED',
          ])
          .optional(),
        reason: z.string().optional(),
        category: z.enum(['AUTHENTICATION', 'MARKETING', 'UTILITY']).optional(),
      })
      .strict()
      .safeParse(req.body);
    if (!r.success) return invalid(reply, r.error);
    if (!core.templates.has(req.params.id)) return notFound(reply, 'template');
    if (r.data.category) core.setTemplateCategory(req.params.id, r.data.category);
    if (r.data.status) core.setTemplateStatus(req.params.id, r.data.status, r.data.reason);
    return core.templates.get(req.params.id);
  });

  app.post<{ Params: { wa_id: string } }>('/_sim/customers/:wa_id/messages', async (req, reply) => {
    if (!/^\d{6,15}$/.test(req.params.wa_id))
      return reply.code(400).send({ error: { message: 'wa_id must be 6-15 digits' } });
    const r = CustomerMessage.safeParse(req.body);
    if (!r.success) return invalid(reply, r.error);
    const { phone_number_id, type, ...params } = r.data;
    if (!core.numbers.has(phone_number_id)) return notFound(reply, 'number');
    const sent = core.customerSend(phone_number_id, req.params.wa_id, type, params);
    return reply.code(201).send({ id: sent?.id, event: sent?.change });
  });

  app.put<{ Params: { wa_id: string } }>('/_sim/customers/:wa_id', async (req, reply) => {
    if (!/^\d{6,15}$/.test(req.params.wa_id))
      return reply.code(400).send({ error: { message: 'wa_id must be 6-15 digits' } });
    const r = CustomerInput.safeParse(req.body);
    if (!r.success) return invalid(reply, r.error);
    const c = core.setCustomer(req.params.wa_id, r.data);
    return {
      wa_id: c.wa_id,
      name: c.name,
      user_id: c.user_id,
      username: c.username ?? null,
      undeliverable: c.undeliverable,
      opted_out_marketing: c.optedOutMarketing,
    };
  });

  app.put('/_sim/customers', async (req, reply) => {
    const r = CustomerBehaviour.safeParse(req.body);
    if (!r.success) return invalid(reply, r.error);
    core.setBehaviour(r.data);
    return r.data;
  });

  app.post('/_sim/events', async (req, reply) => {
    const r = EventInput.safeParse(req.body);
    if (!r.success) return invalid(reply, r.error);
    const e = r.data;
    const change = core.emitEvent(
      e.kind,
      {
        ...(e.phone_number_id ? { phone_number_id: e.phone_number_id } : {}),
        ...(e.waba_id ? { waba_id: e.waba_id } : {}),
        ...(e.wa_id ? { wa_id: e.wa_id } : {}),
      },
      { ...e.params, ...(e.template_id ? { template_id: e.template_id } : {}) },
    );
    return change ? reply.code(201).send(change) : notFound(reply, 'number or template');
  });

  app.get<{ Querystring: { limit?: string } }>('/_sim/events', async (req) =>
    core.events.slice(-Number(req.query.limit ?? 100)),
  );

  app.get('/_sim/faults', async () => core.faults.get());
  app.put('/_sim/faults', async (req, reply) => {
    const r = Faults.safeParse(req.body);
    if (!r.success) return invalid(reply, r.error);
    core.setFaults(r.data);
    return r.data;
  });

  app.get('/_sim/stats', async () => core.snapshotStats());

  app.get<{ Querystring: { phone_number_id?: string; to?: string; limit?: string } }>(
    '/_sim/messages',
    async (req) => {
      const q = req.query;
      const limit = Math.min(Number(q.limit ?? 100) || 100, 10_000);
      const out = [];
      for (const m of [...core.sent.values()].reverse()) {
        if (q.phone_number_id && m.phone_number_id !== q.phone_number_id) continue;
        if (q.to && m.to !== q.to.replace(/\D/g, '')) continue;
        out.push(m);
        if (out.length >= limit) break;
      }
      return out;
    },
  );

  app.get<{ Querystring: { limit?: string } }>('/_sim/webhooks', async (req) =>
    core.webhooks.deliveries(Number(req.query.limit ?? 100)),
  );

  app.post('/_sim/seed', async (req, reply) => {
    const r = Seed.safeParse(req.body);
    if (!r.success) return invalid(reply, r.error);
    core.loadSeed(r.data);
    return { numbers: core.numbers.size, templates: core.templates.size };
  });

  app.post('/_sim/reset', async (req, reply) => {
    const r = z
      .object({ all: z.boolean().default(false) })
      .strict()
      .safeParse(req.body ?? {});
    if (!r.success) return invalid(reply, r.error);
    core.reset(r.data.all);
    return { ok: true };
  });
}
