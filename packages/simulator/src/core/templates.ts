import type { z } from 'zod';
import { TemplateSeed } from '../config.ts';
import { OTHER_KINDS } from '../events/index.ts';
import { reviewTemplate, type SimTemplate } from '../templates.ts';
import type { Customers } from './customers.ts';
import { type Emitter, templateRef } from './emit.ts';
import type { Numbers } from './numbers.ts';
import type { Store } from './store.ts';

export type Templates = ReturnType<typeof createTemplates>;

/** Message templates: added, reviewed after a delay like Meta does, paused or recategorised, each with its webhook. */
export function createTemplates(store: Store, numbers: Numbers, customers: Customers, emitter: Emitter) {
  const { opts, templates, later } = store;
  const { numbersOfWaba } = numbers;
  const { customer, context } = customers;
  const { emit } = emitter;

  function addTemplate(input: z.input<typeof TemplateSeed>) {
    const t = TemplateSeed.parse(input);
    const tpl: SimTemplate = {
      id: t.id ?? store.nextId(16),
      waba_id: t.waba_id,
      name: t.name,
      language: t.language,
      category: t.category,
      status: t.status,
      parameter_format: t.parameter_format,
      components: t.components,
      quality_score: {
        score: t.status === 'APPROVED' ? 'GREEN' : 'UNKNOWN',
        date: Math.floor(Date.now() / 1000),
      },
      created_at: Date.now(),
    };
    templates.set(tpl.id, tpl);
    return tpl;
  }

  function scheduleReview(t: SimTemplate) {
    later(() => {
      if (!templates.has(t.id) || t.status !== 'PENDING') return;
      const decision = reviewTemplate(t);
      const n = numbersOfWaba(t.waba_id)[0];
      if (decision.newCategory) {
        const previous = t.category;
        t.previous_category = previous;
        t.category = decision.newCategory;
        emit(
          n,
          t.waba_id,
          OTHER_KINDS.template_category_update!(context(n!, customer('15550009999')), {
            template: templateRef(t),
            previous_category: previous,
            new_category: decision.newCategory,
          }),
        );
      }
      t.status = decision.status;
      if (decision.reason) t.rejected_reason = decision.reason;
      if (n) {
        emit(
          n,
          t.waba_id,
          OTHER_KINDS.message_template_status_update!(context(n, customer('15550009999')), {
            template: templateRef(t),
            event: decision.status,
            ...(decision.reason ? { reason: decision.reason } : {}),
          }),
        );
      }
    }, opts.template_review_ms);
  }

  /** Changes a template's status (PAUSED, DISABLED, APPROVED, …) and sends the webhook. */
  function setTemplateStatus(id: string, status: string, reason?: string) {
    const t = templates.get(id);
    if (!t) return undefined;
    t.status = status;
    const n = numbersOfWaba(t.waba_id)[0];
    if (n) {
      emit(
        n,
        t.waba_id,
        OTHER_KINDS.message_template_status_update!(context(n, customer('15550009999')), {
          template: templateRef(t),
          event: status,
          ...(reason ? { reason } : {}),
        }),
      );
    }
    return t;
  }

  function setTemplateCategory(id: string, category: 'MARKETING' | 'UTILITY' | 'AUTHENTICATION') {
    const t = templates.get(id);
    if (!t) return undefined;
    const previous = t.category;
    t.previous_category = previous;
    t.category = category;
    const n = numbersOfWaba(t.waba_id)[0];
    if (n) {
      emit(
        n,
        t.waba_id,
        OTHER_KINDS.template_category_update!(context(n, customer('15550009999')), {
          template: templateRef(t),
          previous_category: previous,
          new_category: category,
        }),
      );
    }
    return t;
  }

  return { addTemplate, scheduleReview, setTemplateStatus, setTemplateCategory };
}
