import { z } from 'zod';
import { IsoDate, Text, Uuid } from './common.ts';

/**
 * Automation (issue 22): keyword rules, business hours and flows. An inbound customer message is
 * handled by the first of: STOP/START → a flow run waiting for this contact's reply → keyword rules
 * (by priority) → flow triggers → business hours (welcome, out-of-office) → nothing. docs/automation.md.
 *
 * Texts an action sends may hold placeholders filled per contact: `{{contact.name}}`,
 * `{{contact.phone}}`, `{{contact.field.<key>}}` and, in flows, `{{vars.<name>}}`.
 */

/** Text with placeholders (see above). */
const Say = (max: number) => Text(max).pipe(z.string().min(1, 'is required'));
const VarName = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,39}$/, 'lowercase letters, digits and _ (starts with a letter)');
const FieldKey = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, 'a contact field key (lowercase letters, digits, _)');
const TagName = Text(64).pipe(z.string().min(1, 'is required'));
const ReplyId = z
  .string()
  .min(1)
  .max(200)
  .refine((s) => s.trim() === s, 'must not start or end with spaces');

// ---------------------------------------------------------------- matching

export const MATCH_KINDS = ['equals', 'contains', 'starts_with', 'regex'] as const;
/**
 * How a text is matched: case and accent insensitive ("Café" equals "cafe"), against the message's
 * text or the id and title of the button/list row it replies with. `regex` runs on a linear-time
 * engine (RE2 syntax: no backreferences or lookaround), at most 300 characters; one that is too
 * costly is refused when saved.
 */
export const TextMatch = z.strictObject({
  kind: z.enum(MATCH_KINDS),
  /** Any of these matches (1–20). */
  patterns: z.array(z.string().trim().min(1, 'is required').max(300)).min(1).max(20),
});
export type TextMatch = z.infer<typeof TextMatch>;

// ---------------------------------------------------------------- actions (rules and flow nodes)

export const ButtonsSpec = z.strictObject({
  header: Text(60).optional(),
  body: Say(1024),
  footer: Text(60).optional(),
  buttons: z
    .array(z.strictObject({ id: ReplyId.max(256), title: Text(20).pipe(z.string().min(1, 'is required')) }))
    .min(1)
    .max(3)
    .refine((b) => new Set(b.map((x) => x.id)).size === b.length, 'button ids must be unique'),
});
export const ListSpec = z.strictObject({
  header: Text(60).optional(),
  body: Say(4096),
  footer: Text(60).optional(),
  /** The label of the button that opens the list. */
  button: Text(20).pipe(z.string().min(1, 'is required')),
  rows: z
    .array(
      z.strictObject({
        id: ReplyId,
        title: Text(24).pipe(z.string().min(1, 'is required')),
        description: Text(72).optional(),
      }),
    )
    .min(1)
    .max(10)
    .refine((r) => new Set(r.map((x) => x.id)).size === r.length, 'row ids must be unique'),
});
/** An approved template by name and language; body parameters may hold placeholders. */
export const TemplateSpec = z.strictObject({
  name: z.string().min(1).max(512),
  language: z.string().min(2).max(15),
  body_params: z.array(Text(1024)).max(20).default([]),
});
export const Assignee = z.union([z.literal('round_robin'), Uuid, z.null()]);

/** One thing a rule does (a flow's nodes do the same things). */
export const AutomationAction = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('reply_text'), text: Say(4096) }),
  z.strictObject({ type: z.literal('send_template'), template: TemplateSpec }),
  z.strictObject({ type: z.literal('send_buttons'), buttons: ButtonsSpec }),
  z.strictObject({ type: z.literal('send_list'), list: ListSpec }),
  /** Tags by name: created when missing. */
  z.strictObject({ type: z.literal('add_tags'), tags: z.array(TagName).min(1).max(20) }),
  z.strictObject({ type: z.literal('remove_tags'), tags: z.array(TagName).min(1).max(20) }),
  z.strictObject({ type: z.literal('set_field'), key: FieldKey, value: Text(1024) }),
  /** An agent by id, `round_robin` (of the team if one is named), or null to unassign. */
  z.strictObject({ type: z.literal('assign'), assignee: Assignee, team_id: Uuid.nullable().default(null) }),
  z.strictObject({ type: z.literal('set_status'), status: z.enum(['open', 'pending', 'resolved']) }),
  z.strictObject({ type: z.literal('start_flow'), flow_id: Uuid }),
  /** Ends the contact's running flow; nothing else. */
  z.strictObject({ type: z.literal('stop_flow') }),
  /** Ends the contact's running flow, reopens the conversation and assigns it round-robin (of the team if one is named). */
  z.strictObject({ type: z.literal('handover'), team_id: Uuid.nullable().default(null) }),
]);
export type AutomationAction = z.infer<typeof AutomationAction>;

// ---------------------------------------------------------------- keyword rules

export const HOURS_CONDITIONS = ['always', 'open', 'closed'] as const;
export const RuleBody = z.strictObject({
  name: Text(100).pipe(z.string().min(1, 'is required')),
  enabled: z.boolean().default(true),
  /** Lower runs first (0–1000); ties by creation. */
  priority: z.number().int().min(0).max(1000).default(100),
  match: TextMatch,
  /** The numbers it listens on; null = all. */
  number_ids: z.array(Uuid).min(1).max(100).nullable().default(null),
  /** A contact matching again within this many minutes is ignored by the rule (0 = never). */
  cooldown_minutes: z.number().int().min(0).max(43_200).default(0),
  /** Active always, only while open, or only while closed (the number's business hours). */
  hours: z.enum(HOURS_CONDITIONS).default('always'),
  actions: z.array(AutomationAction).min(1).max(10),
  /** After this rule's actions, go on down the chain (the next rules, flows, hours) instead of stopping. */
  continue: z.boolean().default(false),
});
export type RuleBody = z.infer<typeof RuleBody>;
export const Rule = z.object({
  id: Uuid,
  name: z.string(),
  enabled: z.boolean(),
  priority: z.number().int(),
  match: TextMatch,
  number_ids: z.array(Uuid).nullable(),
  cooldown_minutes: z.number().int(),
  hours: z.enum(HOURS_CONDITIONS),
  actions: z.array(AutomationAction),
  continue: z.boolean(),
  matched_count: z.number().int(),
  last_matched_at: IsoDate.nullable(),
  created_at: IsoDate,
  updated_at: IsoDate,
});
export type Rule = z.infer<typeof Rule>;
export const RuleList = z.object({ data: z.array(Rule) });

/** "What would happen if a customer wrote this?" Nothing is sent or changed. */
export const ChainTestBody = z.strictObject({
  text: z.string().max(4096).default(''),
  /** A button or list reply's id (instead of, or beside, the text). */
  reply_id: z.string().max(256).optional(),
  number_id: Uuid.optional(),
  /** Evaluate at this moment instead of now (business hours). */
  at: IsoDate.optional(),
});
export const ChainStep = z.object({
  step: z.enum(['consent', 'waiting_run', 'rule', 'flow_trigger', 'hours', 'ai', 'nothing']),
  /** The rule, flow or schedule considered. */
  id: Uuid.nullable(),
  name: z.string().nullable(),
  outcome: z.enum(['handled', 'skipped', 'continued']),
  /** Why, for a person: "matches 'price' (contains)", "cooldown: matched 3 min ago"… */
  why: z.string(),
});
export const ChainTestResult = z.object({
  handled_by: z.enum(['consent', 'waiting_run', 'rule', 'flow_trigger', 'hours', 'ai', 'nothing']),
  steps: z.array(ChainStep),
  /** The actions that would run, in order. */
  actions: z.array(AutomationAction),
});
export type ChainTestResult = z.infer<typeof ChainTestResult>;

// ---------------------------------------------------------------- business hours

const Clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'HH:MM, 00:00–24:00');
export const OpenInterval = z
  .strictObject({ from: Clock, to: Clock })
  .refine((i) => i.from < i.to, 'must end after it starts (use two intervals across midnight)');
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export const WeeklyHours = z.strictObject(
  Object.fromEntries(WEEKDAYS.map((d) => [d, z.array(OpenInterval).max(6).default([])])) as Record<
    (typeof WEEKDAYS)[number],
    z.ZodDefault<z.ZodArray<typeof OpenInterval>>
  >,
);
export const Closure = z.strictObject({
  date: z.iso.date(),
  name: Text(100).default(''),
  /** Special hours that day; empty = closed all day. */
  open: z.array(OpenInterval).max(6).default([]),
});
export const HoursBody = z.strictObject({
  name: Text(100).pipe(z.string().min(1, 'is required')),
  /** Null with null team: the organisation's default; otherwise one number's or one team's schedule. */
  number_id: Uuid.nullable().default(null),
  team_id: Uuid.nullable().default(null),
  /** IANA zone; null = the organisation's timezone. */
  timezone: z.string().max(64).nullable().default(null),
  weekly: WeeklyHours,
  closures: z.array(Closure).max(366).default([]),
  /** Sent when a customer writes while closed, at most once per contact every `away_every_hours`. */
  away_message: Text(4096).nullable().default(null),
  away_every_hours: z.number().int().min(1).max(720).default(24),
  /** Sent for a contact's first message ever (open or closed). */
  welcome_message: Text(4096).nullable().default(null),
  enabled: z.boolean().default(true),
});
export type HoursBody = z.infer<typeof HoursBody>;
export const Hours = HoursBody.extend({
  id: Uuid,
  timezone: z.string().nullable(),
  created_at: IsoDate,
  updated_at: IsoDate,
});
export type Hours = z.infer<typeof Hours>;
export const HoursList = z.object({ data: z.array(Hours) });
export const HoursStatusQuery = z.strictObject({
  number_id: Uuid.optional(),
  team_id: Uuid.optional(),
  at: IsoDate.optional(),
});
export const HoursStatus = z.object({
  /** True when no schedule applies (always open). */
  open: z.boolean(),
  schedule_id: Uuid.nullable(),
  schedule_name: z.string().nullable(),
  timezone: z.string(),
  /** When it next opens or closes (within 14 days), null if never. */
  next_change_at: IsoDate.nullable(),
  /** A closure's name when today is one. */
  closure: z.string().nullable(),
});
export type HoursStatus = z.infer<typeof HoursStatus>;

// ---------------------------------------------------------------- flows

export const NodeId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, - and _ (1–64)');
const Position = z.strictObject({ x: z.number().finite(), y: z.number().finite() });

export const TRIGGER_KINDS = ['keyword', 'first_message', 'button_reply', 'campaign_reply', 'api'] as const;
export const ASK_VALIDATIONS = ['text', 'number', 'email', 'date', 'choice'] as const;
export const CONDITION_SUBJECTS = ['text', 'reply_id', 'field', 'var', 'tag', 'hours'] as const;
export const CONDITION_OPS = [
  'equals',
  'contains',
  'starts_with',
  'regex',
  'is_set',
  'is_not_set',
  'has',
  'has_not',
  'open',
  'closed',
] as const;
export const FlowCondition = z.strictObject({
  /** What is tested: the last reply's text or button/list id, a contact field, a flow variable, a tag, the hours. */
  subject: z.enum(CONDITION_SUBJECTS),
  /** The field key, variable name or tag name (for field, var, tag). */
  key: z.string().max(64).optional(),
  op: z.enum(CONDITION_OPS),
  value: z.string().max(300).optional(),
});
export type FlowCondition = z.infer<typeof FlowCondition>;

const node = <T extends string, D extends z.ZodType>(type: T, data: D) =>
  z.strictObject({ id: NodeId, type: z.literal(type), position: Position, data });

/**
 * The nodes of a flow. Each leaves by named handles: `next` for most; `reply`/`timeout` for
 * wait_reply; `next`/`invalid`/`timeout` for ask; each branch id and `else` for condition;
 * `ok`/`error` for http; none for end.
 */
export const FlowNode = z.discriminatedUnion('type', [
  node(
    'trigger',
    z.strictObject({
      kind: z.enum(TRIGGER_KINDS),
      /** keyword: what the customer writes. */
      match: TextMatch.optional(),
      /** button_reply: the button/list reply id that starts it. */
      reply_id: z.string().max(256).optional(),
      /** campaign_reply: a reply to this campaign (null = any campaign). */
      campaign_id: Uuid.nullable().optional(),
      /** The numbers it listens on; null = all. */
      number_ids: z.array(Uuid).max(100).nullable().default(null),
    }),
  ),
  node('send_text', z.strictObject({ text: Say(4096) })),
  node('send_template', z.strictObject({ template: TemplateSpec })),
  node('send_buttons', z.strictObject({ buttons: ButtonsSpec })),
  node('send_list', z.strictObject({ list: ListSpec })),
  node(
    'ask',
    z.strictObject({
      question: Say(1024),
      /** Saved to a contact field (`field`) or a flow variable (`var`). */
      save_to: z.strictObject({
        kind: z.enum(['field', 'var']),
        key: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/),
      }),
      validation: z.enum(ASK_VALIDATIONS).default('text'),
      /** choice: the accepted answers (case and accent insensitive). */
      choices: z.array(z.string().trim().min(1).max(100)).max(20).optional(),
      retry_message: Text(1024).optional(),
      /** Invalid answers tolerated before leaving by `invalid`. */
      max_retries: z.number().int().min(0).max(5).default(2),
      timeout_minutes: z.number().int().min(1).max(43_200),
    }),
  ),
  node(
    'wait_reply',
    z.strictObject({
      timeout_minutes: z.number().int().min(1).max(43_200),
      /** Keep the reply's text in this flow variable. */
      save_as: VarName.optional(),
    }),
  ),
  node(
    'delay',
    z.strictObject({
      seconds: z
        .number()
        .int()
        .min(1)
        .max(30 * 86_400),
    }),
  ),
  node(
    'condition',
    z.strictObject({
      branches: z
        .array(z.strictObject({ id: NodeId, label: Text(60).default(''), when: FlowCondition }))
        .min(1)
        .max(10)
        .refine((b) => new Set(b.map((x) => x.id)).size === b.length, 'branch ids must be unique')
        .refine((b) => b.every((x) => x.id !== 'else'), '"else" is the handle for no branch matching'),
    }),
  ),
  node(
    'set_tags',
    z.strictObject({
      add: z.array(TagName).max(20).default([]),
      remove: z.array(TagName).max(20).default([]),
    }),
  ),
  node('set_field', z.strictObject({ key: FieldKey, value: Text(1024) })),
  node('assign', z.strictObject({ assignee: Assignee, team_id: Uuid.nullable().default(null) })),
  node(
    'handover',
    z.strictObject({ team_id: Uuid.nullable().default(null), message: Text(1024).optional() }),
  ),
  node(
    'http',
    z.strictObject({
      method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
      /** http(s) URL; may hold placeholders. Private addresses are refused (FETCH_ALLOW_PRIVATE). */
      url: z.string().min(1).max(2048),
      headers: z
        .array(
          z.strictObject({ name: z.string().regex(/^[A-Za-z0-9-]{1,64}$/), value: z.string().max(2048) }),
        )
        .max(20)
        .default([]),
      body: z.string().max(16_384).optional(),
      timeout_ms: z.number().int().min(500).max(15_000).default(10_000),
      /** Response fields kept as flow variables: `path` is a dotted path into the JSON answer (`order.status`, `items.0.id`). */
      save: z
        .array(z.strictObject({ var: VarName, path: z.string().min(1).max(200) }))
        .max(20)
        .default([]),
    }),
  ),
  node('end', z.strictObject({})),
]);
export type FlowNode = z.infer<typeof FlowNode>;
export type FlowNodeType = FlowNode['type'];

export const FlowEdge = z.strictObject({
  id: z.string().min(1).max(140),
  source: NodeId,
  /** The source node's handle (see FlowNode); `next` when absent. */
  source_handle: z.string().min(1).max(64).default('next'),
  target: NodeId,
});
export type FlowEdge = z.infer<typeof FlowEdge>;
export const FlowGraph = z
  .strictObject({
    nodes: z.array(FlowNode).max(200),
    edges: z.array(FlowEdge).max(500),
  })
  .superRefine((g, ctx) => {
    const seen = new Set<string>();
    g.nodes.forEach((n, i) => {
      if (seen.has(n.id))
        ctx.addIssue({ code: 'custom', path: ['nodes', i, 'id'], message: 'duplicate node id' });
      seen.add(n.id);
    });
    const edgeIds = new Set<string>();
    g.edges.forEach((e, i) => {
      if (edgeIds.has(e.id))
        ctx.addIssue({ code: 'custom', path: ['edges', i, 'id'], message: 'duplicate edge id' });
      edgeIds.add(e.id);
      if (!seen.has(e.source))
        ctx.addIssue({ code: 'custom', path: ['edges', i, 'source'], message: `no node "${e.source}"` });
      if (!seen.has(e.target))
        ctx.addIssue({ code: 'custom', path: ['edges', i, 'target'], message: `no node "${e.target}"` });
    });
  });
export type FlowGraph = z.infer<typeof FlowGraph>;

/** A problem `validate` found in a graph: errors block publishing, warnings do not. */
export const FlowProblem = z.object({
  severity: z.enum(['error', 'warning']),
  /** Path into the graph JSON (`nodes.3.data.timeout_minutes`). */
  path: z.array(z.union([z.string(), z.number()])),
  node_id: z.string().nullable(),
  message: z.string(),
});
export type FlowProblem = z.infer<typeof FlowProblem>;
export const FlowValidation = z.object({ ok: z.boolean(), problems: z.array(FlowProblem) });

export const FlowBody = z.strictObject({
  name: Text(100).pipe(z.string().min(1, 'is required')),
  description: Text(1000).default(''),
  graph: FlowGraph,
});
export const FlowPatch = z.strictObject({
  name: Text(100).pipe(z.string().min(1, 'is required')).optional(),
  description: Text(1000).optional(),
  graph: FlowGraph.optional(),
  /** A published flow stops taking new contacts when disabled (running ones finish). */
  enabled: z.boolean().optional(),
});
export const FlowSummary = z.object({
  id: Uuid,
  name: z.string(),
  description: z.string(),
  enabled: z.boolean(),
  published_version: z.number().int().nullable(),
  published_at: IsoDate.nullable(),
  /** The draft differs from the published version. */
  draft_changed: z.boolean(),
  trigger: z.enum(TRIGGER_KINDS).nullable(),
  active_runs: z.number().int(),
  created_at: IsoDate,
  updated_at: IsoDate,
});
export type FlowSummary = z.infer<typeof FlowSummary>;
export const FlowList = z.object({ data: z.array(FlowSummary) });
export const Flow = FlowSummary.extend({
  graph: FlowGraph,
  /** The draft's problems (as `validate` finds them). */
  problems: z.array(FlowProblem),
});
export type Flow = z.infer<typeof Flow>;
export const FlowVersion = z.object({
  version: z.number().int(),
  published_at: IsoDate,
  published_by: z.object({ id: Uuid, name: z.string().nullable() }).nullable(),
  graph: FlowGraph,
});
export const FlowVersionList = z.object({ data: z.array(FlowVersion) });
/** The portable form (`openwaba flows export`): ids of this organisation's things (numbers, teams, agents, campaigns) may need editing elsewhere. */
export const FlowExport = z.strictObject({
  openwaba_flow: z.literal(1),
  name: Text(100).pipe(z.string().min(1, 'is required')),
  description: Text(1000).default(''),
  graph: FlowGraph,
});
export type FlowExport = z.infer<typeof FlowExport>;

export const NodeCounts = z.object({
  entered: z.number().int(),
  completed: z.number().int(),
  dropped: z.number().int(),
  timed_out: z.number().int(),
});
export const FlowStats = z.object({
  version: z.number().int().nullable(),
  runs: z.object({
    active: z.number().int(),
    completed: z.number().int(),
    stopped: z.number().int(),
    failed: z.number().int(),
  }),
  nodes: z.record(z.string(), NodeCounts),
});
export type FlowStats = z.infer<typeof FlowStats>;
export const FlowStatsQuery = z.strictObject({ version: z.coerce.number().int().min(1).optional() });

export const RUN_STATUSES = ['active', 'waiting', 'completed', 'stopped', 'failed'] as const;
export const FlowRun = z.object({
  id: Uuid,
  flow_id: Uuid,
  flow_name: z.string(),
  version: z.number().int(),
  contact: z.object({ id: Uuid, name: z.string().nullable(), phone: z.string().nullable() }).nullable(),
  number_id: Uuid.nullable(),
  status: z.enum(RUN_STATUSES),
  current_node: z.string().nullable(),
  /** What a waiting run waits for, and until when. */
  waiting_for: z.enum(['reply', 'delay', 'http']).nullable(),
  due_at: IsoDate.nullable(),
  vars: z.record(z.string(), z.string()),
  steps: z.number().int(),
  /** A test run (dashboard test panel): sends nothing, changes no contact. */
  test: z.boolean(),
  started_at: IsoDate,
  ended_at: IsoDate.nullable(),
  /** Why it ended: "end node", "stopped by rule …", "step limit", an error. */
  end_reason: z.string().nullable(),
});
export type FlowRun = z.infer<typeof FlowRun>;
export const FlowRunList = z.object({ data: z.array(FlowRun), next_cursor: z.string().nullable() });
export const FlowRunQuery = z.strictObject({
  flow_id: Uuid.optional(),
  contact_id: Uuid.optional(),
  status: z.enum(RUN_STATUSES).optional(),
  test: z.enum(['true', 'false']).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
/** One entry of a run's execution log. */
export const FlowRunStep = z.object({
  at: IsoDate,
  node_id: z.string(),
  node_type: z.string(),
  outcome: z.enum(['entered', 'completed', 'dropped', 'timed_out', 'error', 'waiting']),
  /** What the node got (a reply's text, an HTTP status…). */
  input: z.unknown().nullable(),
  /** What it did, for a person ("sent text", "branch vip", "saved email"). */
  detail: z.string().nullable(),
  error: z.string().nullable(),
});
/** A test run's conversation as the panel shows it. */
export const TestChatMessage = z.object({
  from: z.enum(['bot', 'customer']),
  at: IsoDate,
  /** The message as it would be sent (text, buttons, list or template content). */
  content: z.record(z.string(), z.unknown()),
});
export const FlowRunDetail = FlowRun.extend({
  log: z.array(FlowRunStep),
  /** Test runs only: the chat so far. */
  transcript: z.array(TestChatMessage),
});
export type FlowRunDetail = z.infer<typeof FlowRunDetail>;

/** Starts a published flow for one contact from the API (a trigger `api` node, or any published flow). */
export const FlowStartBody = z
  .strictObject({
    number_id: Uuid,
    contact_id: Uuid.optional(),
    /** E.164 phone or BSUID, when no contact id is given (the contact is created if new). */
    to: z.string().min(3).max(128).optional(),
    /** Initial flow variables. */
    vars: z.record(VarName, z.string().max(1024)).default({}),
  })
  .refine((b) => (b.contact_id === undefined) !== (b.to === undefined), 'give contact_id or to, not both');
/** A test run in the dashboard: the draft (default) or the published version, against the test chat. */
export const FlowTestBody = z.strictObject({
  use: z.enum(['draft', 'published']).default('draft'),
  number_id: Uuid.optional(),
});
export const TestReplyBody = z
  .strictObject({ text: z.string().max(4096).optional(), reply_id: z.string().max(256).optional() })
  .refine((b) => b.text !== undefined || b.reply_id !== undefined, 'give text or reply_id');
