import type { BusinessMessage } from '../personas/conversation.ts';
import type { CustomerState, SentRecord, SimNumber } from '../state.ts';
import type { SimTemplate } from '../templates.ts';
import type { Emitter } from './emit.ts';
import type { Numbers } from './numbers.ts';
import type { Store } from './store.ts';

export type SentInteractive = {
  type: string;
  action: {
    buttons?: { reply: { id: string; title: string } }[];
    sections?: { rows: { id: string; title: string; description?: string }[] }[];
  };
};
export type SentTemplate = {
  name: string;
  language: { code: string };
  components?: { type: string; index?: string | number; parameters?: { payload?: string }[] }[];
};

/** A customer who read a message may answer it: STOP, a tap on one of its buttons or rows, a photo or text. */
export function createReplies(store: Store, numbers: Numbers, emitter: Emitter) {
  const { stats, templates } = store;

  function simulateReply(n: SimNumber, c: CustomerState, rec: SentRecord) {
    const b = numbers.behaviourOf(n);
    const params: Record<string, unknown> = { context_message_id: rec.wamid };
    let kind = 'text';
    const interactive = rec.body.interactive as SentInteractive | undefined;
    const template = rec.body.template as SentTemplate | undefined;
    if (c.rnd.chance(b.stop_rate)) {
      params.text = 'STOP';
    } else if (interactive?.type === 'button') {
      const btn = c.rnd.pick(interactive.action.buttons ?? []);
      kind = 'button_reply';
      Object.assign(params, { id: btn.reply.id, title: btn.reply.title });
    } else if (interactive?.type === 'request_contact_info') {
      // Asked for their phone number (a username customer): they share it (webhooks carry it from then on).
      kind = 'contact_request';
      c.contactBook = true;
    } else if (interactive?.type === 'list') {
      const rows = (interactive.action.sections ?? []).flatMap((s) => s.rows);
      const row = c.rnd.pick(rows);
      kind = 'list_reply';
      Object.assign(params, { id: row.id, title: row.title, description: row.description ?? '' });
    } else if (template && quickReplies(templates, template).length) {
      const q = c.rnd.pick(quickReplies(templates, template));
      kind = 'button';
      Object.assign(params, q);
    } else if (c.rnd.chance(b.media_reply_rate)) {
      kind = 'image';
    }
    stats.replies++;
    emitter.customerSend(n.phone_number_id, c.wa_id, kind, params);
  }

  return { simulateReply };
}

/** A sent template's definition, by name and language. */
export function sentTemplateDef(templates: Map<string, SimTemplate>, template: SentTemplate) {
  return [...templates.values()].find(
    (x) => x.name === template.name && x.language === template.language.code,
  );
}

/** The quick-reply buttons of a sent template, each with the payload the send set (or its text). */
export function quickReplies(
  templates: Map<string, SimTemplate>,
  template: SentTemplate,
): { payload: string; text: string }[] {
  const t = sentTemplateDef(templates, template);
  const texts = (
    (t?.components.find((x) => x.type === 'BUTTONS')?.buttons ?? []) as { type: string; text?: string }[]
  )
    .map((b, i) => ({ ...b, i }))
    .filter((b) => b.type === 'QUICK_REPLY');
  return texts.map((b) => {
    const comp = (template.components ?? []).find((x) => x.type === 'button' && Number(x.index) === b.i);
    return {
      payload: String(comp?.parameters?.[0]?.payload ?? b.text ?? 'yes'),
      text: String(b.text ?? 'Yes'),
    };
  });
}

/** A sent message as the customer reads it: its text (or template body), category and what can be tapped. */
export function readBusinessMessage(templates: Map<string, SimTemplate>, rec: SentRecord): BusinessMessage {
  const body = rec.body as Record<string, Record<string, unknown> | undefined>;
  const type = rec.type;
  const template = body.template as SentTemplate | undefined;
  const interactive = body.interactive as (SentInteractive & { body?: { text?: string } }) | undefined;
  const def = template ? sentTemplateDef(templates, template) : undefined;
  const text =
    (body.text?.body as string | undefined) ??
    (body[type]?.caption as string | undefined) ??
    interactive?.body?.text ??
    (def?.components.find((c) => c.type === 'BODY')?.text as string | undefined) ??
    '';
  const choices: BusinessMessage['choices'] =
    interactive?.type === 'button'
      ? (interactive.action.buttons ?? []).map((b) => ({ kind: 'button_reply', ...b.reply }))
      : interactive?.type === 'list'
        ? (interactive.action.sections ?? [])
            .flatMap((s) => s.rows)
            .map((r) => ({ kind: 'list_reply', id: r.id, title: r.title }))
        : [];
  return {
    type,
    text,
    ...(def ? { category: def.category } : {}),
    quickReplies: template ? quickReplies(templates, template) : [],
    choices,
  };
}
