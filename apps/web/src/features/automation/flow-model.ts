import type { FlowGraph, FlowNode, FlowNodeType } from '@openwaba/contracts';
import type { Edge, Node } from '@xyflow/react';
import type { z } from 'zod';
import { MATCH_LABELS_SHORT } from './match-labels.ts';

/** A node's data as the form edits it (defaults not yet applied). */
export type NodeIn = z.input<typeof FlowNode>;
export type NodeData<T extends FlowNodeType = FlowNodeType> = Extract<NodeIn, { type: T }>['data'];
/** The canvas's node: its flow type is the xyflow type; `data` is the flow node's own data. */
export type CanvasNode = Node<Record<string, unknown>, FlowNodeType>;

export const NODE_LABELS: Record<FlowNodeType, string> = {
  trigger: 'Trigger',
  send_text: 'Send text',
  send_template: 'Send template',
  send_buttons: 'Send buttons',
  send_list: 'Send list',
  ask: 'Ask a question',
  wait_reply: 'Wait for reply',
  delay: 'Delay',
  condition: 'Condition',
  set_tags: 'Set tags',
  set_field: 'Set field',
  assign: 'Assign',
  handover: 'Hand over',
  http: 'HTTP request',
  end: 'End',
};
export const NODE_TYPES = Object.keys(NODE_LABELS) as FlowNodeType[];

/** The handles a node leaves by (see FlowNode in the contracts). */
export function handlesOf(type: FlowNodeType, data: Record<string, unknown>): string[] {
  switch (type) {
    case 'ask':
      return ['next', 'invalid', 'timeout'];
    case 'wait_reply':
      return ['reply', 'timeout'];
    case 'condition': {
      const branches = (data.branches as { id: string }[] | undefined) ?? [];
      return [...branches.map((b) => b.id), 'else'];
    }
    case 'http':
      return ['ok', 'error'];
    case 'end':
      return [];
    default:
      return ['next'];
  }
}

/** A condition's handle reads as its branch label; the others as their id. */
export function handleLabel(type: FlowNodeType, data: Record<string, unknown>, handle: string): string {
  if (type === 'condition' && handle !== 'else') {
    const b = (data.branches as { id: string; label?: string }[] | undefined)?.find((x) => x.id === handle);
    return b?.label || handle;
  }
  return handle;
}

export function defaultData(type: FlowNodeType): Record<string, unknown> {
  switch (type) {
    case 'trigger':
      return { kind: 'keyword', match: { kind: 'equals', patterns: ['start'] }, number_ids: null };
    case 'send_text':
      return { text: '' };
    case 'send_template':
      return { template: { name: '', language: '', body_params: [] } };
    case 'send_buttons':
      return { buttons: { body: '', buttons: [{ id: 'yes', title: 'Yes' }] } };
    case 'send_list':
      return { list: { body: '', button: 'Options', rows: [{ id: 'one', title: 'One' }] } };
    case 'ask':
      return {
        question: '',
        save_to: { kind: 'var', key: 'answer' },
        validation: 'text',
        max_retries: 2,
        timeout_minutes: 60,
      };
    case 'wait_reply':
      return { timeout_minutes: 60 };
    case 'delay':
      return { seconds: 60 };
    case 'condition':
      return { branches: [{ id: 'b1', label: '', when: { subject: 'text', op: 'contains', value: '' } }] };
    case 'set_tags':
      return { add: [], remove: [] };
    case 'set_field':
      return { key: '', value: '' };
    case 'assign':
      return { assignee: 'round_robin', team_id: null };
    case 'handover':
      return { team_id: null };
    case 'http':
      return { method: 'GET', url: 'https://', headers: [], timeout_ms: 10_000, save: [] };
    case 'end':
      return {};
  }
}

const cut = (s: unknown, n = 48) => {
  const t = typeof s === 'string' ? s : '';
  return t.length > n ? `${t.slice(0, n)}…` : t;
};

/** What a node does, in a line drawn on it. */
export function nodeSummary(type: FlowNodeType, d: Record<string, unknown>): string {
  switch (type) {
    case 'trigger': {
      const m = d.match as { kind: keyof typeof MATCH_LABELS_SHORT; patterns: string[] } | undefined;
      if (d.kind === 'keyword')
        return m
          ? `Keyword ${MATCH_LABELS_SHORT[m.kind]} ${m.patterns.map((p) => `“${p}”`).join(', ')}`
          : 'Keyword';
      if (d.kind === 'button_reply') return `Button reply ${cut(d.reply_id) || '(any)'}`;
      if (d.kind === 'campaign_reply') return d.campaign_id ? 'Reply to a campaign' : 'Reply to any campaign';
      if (d.kind === 'first_message') return 'A contact’s first message';
      return 'Started through the API';
    }
    case 'send_text':
      return cut(d.text) || '(no text yet)';
    case 'send_template': {
      const t = d.template as { name: string; language: string } | undefined;
      return t?.name ? `${t.name} (${t.language})` : '(no template yet)';
    }
    case 'send_buttons':
      return cut((d.buttons as { body?: string } | undefined)?.body) || '(no message yet)';
    case 'send_list':
      return cut((d.list as { body?: string } | undefined)?.body) || '(no message yet)';
    case 'ask': {
      const s = d.save_to as { kind: string; key: string } | undefined;
      return `${cut(d.question) || '(no question yet)'} → ${s ? `${s.kind}.${s.key}` : ''}`;
    }
    case 'wait_reply':
      return `Up to ${String(d.timeout_minutes)} min`;
    case 'delay':
      return `${String(d.seconds)} s`;
    case 'condition':
      return `${((d.branches as unknown[]) ?? []).length} branch(es) + else`;
    case 'set_tags': {
      const add = (d.add as string[] | undefined) ?? [];
      const remove = (d.remove as string[] | undefined) ?? [];
      return [add.length ? `+${add.join(', +')}` : '', remove.length ? `−${remove.join(', −')}` : '']
        .filter(Boolean)
        .join(' ');
    }
    case 'set_field':
      return `${String(d.key)} = ${cut(d.value, 30)}`;
    case 'assign':
      return d.assignee === null ? 'Unassign' : d.assignee === 'round_robin' ? 'Round-robin' : 'An agent';
    case 'handover':
      return 'To a person';
    case 'http':
      return `${String(d.method)} ${cut(d.url, 36)}`;
    case 'end':
      return 'The run ends';
  }
}

export function toCanvas(graph: FlowGraph) {
  const nodes: CanvasNode[] = graph.nodes.map((n) => ({
    id: n.id,
    type: n.type,
    position: { ...n.position },
    data: structuredClone(n.data) as Record<string, unknown>,
  }));
  const edges: Edge[] = graph.edges.map((e) => ({
    id: e.id,
    source: e.source,
    sourceHandle: e.source_handle ?? 'next',
    target: e.target,
  }));
  return { nodes, edges };
}

export function toGraph(nodes: readonly CanvasNode[], edges: readonly Edge[]) {
  return {
    nodes: nodes.map(
      (n) =>
        ({
          id: n.id,
          type: n.type,
          position: { x: Math.round(n.position.x), y: Math.round(n.position.y) },
          data: n.data,
        }) as NodeIn,
    ),
    edges: edges.map((e) => ({
      id: e.id,
      source: e.source,
      source_handle: e.sourceHandle ?? 'next',
      target: e.target,
    })),
  };
}

/** A fresh node id of a type: `ask_2` when `ask_1` is taken. */
export function freshId(type: FlowNodeType, taken: ReadonlySet<string>): string {
  for (let i = 1; ; i++) {
    const id = `${type}_${i}`;
    if (!taken.has(id)) return id;
  }
}

export const edgeId = (source: string, handle: string) => `${source}.${handle}`;
