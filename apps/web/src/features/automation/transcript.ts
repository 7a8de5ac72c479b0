type Content = Record<string, unknown>;
const obj = (v: unknown): Content => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Content) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export interface Choice {
  id: string;
  title: string;
  description?: string | undefined;
}
export interface Shown {
  header?: string | undefined;
  text: string;
  footer?: string | undefined;
  buttons: Choice[];
  /** A list: the label of its button and its rows. */
  list?: { button: string; rows: Choice[] } | undefined;
  template?: string | undefined;
  /** A template's body parameters, as filled for the contact. */
  params: string[];
}

const choice = (r: unknown): Choice | null => {
  const o = obj(r);
  const reply = obj(o.reply);
  const id = str(o.id) ?? str(reply.id);
  const title = str(o.title) ?? str(reply.title);
  return id && title ? { id, title, description: str(o.description) } : null;
};

/**
 * A test chat message as the panel draws it. The content is the message as it would be sent: Cloud
 * API shapes (`text.body`, `interactive.action.buttons`) or the flow's own (`buttons.buttons`); read
 * tolerantly, shown as JSON when neither.
 */
export function readContent(c: Content, titles: ReadonlyMap<string, string> = new Map()): Shown {
  const interactive = obj(c.interactive);
  const action = obj(interactive.action);
  const ownButtons = obj(c.buttons);
  const ownList = obj(c.list);
  const template = obj(c.template);
  const textOf =
    str(c.text) ??
    str(obj(c.text).body) ??
    str(obj(interactive.body).text) ??
    str(ownButtons.body) ??
    str(ownList.body) ??
    str(c.body) ??
    str(c.preview) ??
    str(template.text) ??
    str(template.preview);
  const buttons = [
    ...((action.buttons as unknown[]) ?? []),
    ...((Array.isArray(ownButtons.buttons) ? ownButtons.buttons : []) as unknown[]),
  ]
    .map(choice)
    .filter((x): x is Choice => x !== null);
  const sections = (action.sections as unknown[]) ?? [];
  const listRows = [
    ...sections.flatMap((s) => (obj(s).rows as unknown[]) ?? []),
    ...((Array.isArray(ownList.rows) ? ownList.rows : []) as unknown[]),
  ]
    .map(choice)
    .filter((x): x is Choice => x !== null);
  const listButton = str(action.button) ?? str(ownList.button);
  const templateName = str(template.name);
  const params = ((template.components as unknown[]) ?? [])
    .filter((x) => obj(x).type === 'body')
    .flatMap((x) => (obj(x).parameters as unknown[]) ?? [])
    .map((x) => str(obj(x).text) ?? '')
    .filter(Boolean);
  // A reply sent by id only: the title of the choice the bot offered with that id, else the id.
  const replyId = c.type === 'reply' ? str(c.id) : undefined;
  const replyTitle =
    str(obj(c.reply).title) ??
    str(c.title) ??
    str(obj(obj(c.interactive).button_reply).title) ??
    (replyId ? (titles.get(replyId) ?? replyId) : undefined);
  return {
    header: str(obj(interactive.header).text) ?? str(ownButtons.header) ?? str(ownList.header),
    text: textOf ?? replyTitle ?? (templateName ? '' : (str(c.reply_id) ?? JSON.stringify(c))),
    footer: str(obj(interactive.footer).text) ?? str(ownButtons.footer) ?? str(ownList.footer),
    buttons,
    params,
    list: listRows.length ? { button: listButton ?? 'Options', rows: listRows } : undefined,
    template: templateName
      ? `${templateName}${(str(obj(template.language).code) ?? str(template.language)) ? ` (${str(obj(template.language).code) ?? str(template.language)})` : ''}`
      : undefined,
  };
}
