import type { FlowCondition, FlowGraph, FlowNode, FlowProblem } from '@openwaba/contracts';
import { placeholdersOf } from '../../lib/placeholders.ts';
import { checkMatch } from '../match.ts';

/**
 * The handles a node leaves by (see FlowNode in the contracts). `handover` and `end` have none:
 * the run ends there.
 */
export function handlesOf(node: FlowNode): string[] {
  switch (node.type) {
    case 'wait_reply':
      return ['reply', 'timeout'];
    case 'ask':
      return ['next', 'invalid', 'timeout'];
    case 'condition':
      return [...node.data.branches.map((b) => b.id), 'else'];
    case 'http':
      return ['ok', 'error'];
    case 'handover':
    case 'end':
      return [];
    default:
      return ['next'];
  }
}

/** Nodes a run stops at until something happens (a reply, a due time): a cycle through one cannot spin. */
const WAITS = new Set<FlowNode['type']>(['ask', 'wait_reply', 'delay']);

/**
 * How bad an unconnected handle is. A timeout that leads nowhere, a trigger that starts nothing and
 * a condition branch that leads nowhere are errors (almost always an unfinished graph); any other
 * handle left open is a warning: the run simply ends there (like an `end` node).
 */
function unconnectedSeverity(node: FlowNode, handle: string): FlowProblem['severity'] {
  if (handle === 'timeout') return 'error';
  if (node.type === 'trigger') return 'error';
  if (node.type === 'condition' && handle !== 'else') return 'error';
  return 'warning';
}

const CONDITION_OPS: Record<FlowCondition['subject'], readonly string[]> = {
  text: ['equals', 'contains', 'starts_with', 'regex', 'is_set', 'is_not_set'],
  reply_id: ['equals', 'contains', 'starts_with', 'regex', 'is_set', 'is_not_set'],
  field: ['equals', 'contains', 'starts_with', 'regex', 'is_set', 'is_not_set'],
  var: ['equals', 'contains', 'starts_with', 'regex', 'is_set', 'is_not_set'],
  tag: ['has', 'has_not'],
  hours: ['open', 'closed'],
};
const NEEDS_VALUE = new Set(['equals', 'contains', 'starts_with', 'regex']);

/** The variables a node can set. */
function varsSetBy(node: FlowNode): string[] {
  if (node.type === 'ask' && node.data.save_to.kind === 'var') return [node.data.save_to.key];
  if (node.type === 'wait_reply' && node.data.save_as) return [node.data.save_as];
  if (node.type === 'http') return node.data.save.map((s) => s.var);
  return [];
}

/** Every string inside a value, with its path. */
function stringsOf(v: unknown, path: (string | number)[], out: { path: (string | number)[]; s: string }[]) {
  if (typeof v === 'string') out.push({ path, s: v });
  else if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) stringsOf(v[i], [...path, i], out);
  } else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) stringsOf(x, [...path, k], out);
  }
  return out;
}

/**
 * The semantic problems of a graph that parsed (FlowGraph): errors block publishing, warnings do
 * not. `fieldKeys`: the organisation's contact field keys (a field that does not exist is a
 * warning: it may be created before the flow runs).
 */
export function validateGraph(graph: FlowGraph, fieldKeys: ReadonlySet<string>): FlowProblem[] {
  const problems: FlowProblem[] = [];
  const add = (
    severity: FlowProblem['severity'],
    path: (string | number)[],
    node_id: string | null,
    message: string,
  ) => problems.push({ severity, path, node_id, message });

  const byId = new Map(graph.nodes.map((n, i) => [n.id, { n, i }]));
  const triggers = graph.nodes.map((n, i) => ({ n, i })).filter((x) => x.n.type === 'trigger');
  if (triggers.length === 0)
    add('error', ['nodes'], null, 'a flow needs exactly one trigger node (it has none)');
  for (const t of triggers.slice(1))
    add('error', ['nodes', t.i], t.n.id, 'a flow needs exactly one trigger node (this is another one)');

  // Edges: from a handle the node has, one edge per handle, never into the trigger.
  const out = new Map<string, Map<string, string>>();
  graph.edges.forEach((e, i) => {
    const src = byId.get(e.source);
    const dst = byId.get(e.target);
    if (!src || !dst) return; // FlowGraph already said so
    if (!handlesOf(src.n).includes(e.source_handle)) {
      add(
        'error',
        ['edges', i, 'source_handle'],
        e.source,
        `node "${e.source}" (${src.n.type}) has no handle "${e.source_handle}"${handlesOf(src.n).length ? ` (it has ${handlesOf(src.n).join(', ')})` : ''}`,
      );
      return;
    }
    if (dst.n.type === 'trigger')
      add('error', ['edges', i, 'target'], e.target, 'nothing can lead into the trigger');
    const m = out.get(e.source) ?? new Map<string, string>();
    if (m.has(e.source_handle))
      add(
        'error',
        ['edges', i],
        e.source,
        `handle "${e.source_handle}" of "${e.source}" already leads to "${m.get(e.source_handle)}"`,
      );
    else m.set(e.source_handle, e.target);
    out.set(e.source, m);
  });

  // Handles with no edge.
  graph.nodes.forEach((n, i) => {
    for (const h of handlesOf(n)) {
      if (out.get(n.id)?.has(h)) continue;
      const sev = unconnectedSeverity(n, h);
      add(
        sev,
        ['nodes', i],
        n.id,
        h === 'timeout'
          ? `the timeout of "${n.id}" leads nowhere: connect it (even to an end node)`
          : `handle "${h}" of "${n.id}" leads nowhere${sev === 'warning' ? ' (the run ends there)' : ''}`,
      );
    }
  });

  // Reachability from the trigger.
  const trigger = triggers[0]?.n;
  const reached = new Set<string>();
  if (trigger) {
    const stack = [trigger.id];
    while (stack.length) {
      const id = stack.pop()!;
      if (reached.has(id)) continue;
      reached.add(id);
      for (const next of out.get(id)?.values() ?? []) stack.push(next);
    }
    graph.nodes.forEach((n, i) => {
      if (!reached.has(n.id))
        add('warning', ['nodes', i], n.id, `"${n.id}" cannot be reached from the trigger`);
    });
  }

  // Cycles with no waiting node: a run would spin until its step limit.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const st: string[] = [];
  let counter = 0;
  const noWait = (id: string) => !WAITS.has(byId.get(id)!.n.type);
  const strong = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    st.push(v);
    onStack.add(v);
    for (const w of out.get(v)?.values() ?? []) {
      if (!noWait(w)) continue;
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = st.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      const selfLoop = comp.length === 1 && [...(out.get(v)?.values() ?? [])].includes(v);
      if (comp.length > 1 || selfLoop) {
        const first = byId.get(comp[comp.length - 1]!)!;
        add(
          'error',
          ['nodes', first.i],
          first.n.id,
          `a loop without a wait (${comp.reverse().join(' → ')}): a run would spin to its step limit; put an ask, wait for reply or delay in it`,
        );
      }
    }
  };
  for (const n of graph.nodes) if (noWait(n.id) && !index.has(n.id)) strong(n.id);

  // Variables: a `{{vars.x}}` needs a node before it that can set x (on some path).
  const preds = new Map<string, string[]>();
  for (const [src, m] of out) for (const dst of m.values()) preds.set(dst, [...(preds.get(dst) ?? []), src]);
  const ancestorsOf = (id: string) => {
    const seen = new Set<string>();
    const stack = [...(preds.get(id) ?? [])];
    while (stack.length) {
      const x = stack.pop()!;
      if (seen.has(x)) continue;
      seen.add(x);
      stack.push(...(preds.get(x) ?? []));
    }
    return seen;
  };
  const apiStart = trigger?.type === 'trigger' && trigger.data.kind === 'api';

  graph.nodes.forEach((n, i) => {
    const base: (string | number)[] = ['nodes', i, 'data'];
    const settable = new Set<string>();
    for (const a of ancestorsOf(n.id)) for (const v of varsSetBy(byId.get(a)!.n)) settable.add(v);
    const usesVar = (name: string, path: (string | number)[]) => {
      if (settable.has(name)) return;
      add(
        'warning',
        path,
        n.id,
        apiStart
          ? `variable "${name}" is set by no node before "${n.id}": it must be given when the flow is started through the API`
          : `variable "${name}" is set by no node before "${n.id}" (ask, wait for reply or HTTP): it will be empty`,
      );
    };
    const usesField = (key: string, path: (string | number)[]) => {
      if (!fieldKeys.has(key))
        add('warning', path, n.id, `there is no contact field "${key}" (create it under Contacts → Fields)`);
    };
    for (const { path, s } of stringsOf(n.data, base, [])) {
      for (const p of placeholdersOf(s)) {
        if (p.startsWith('vars.')) usesVar(p.slice(5), path);
        else if (p.startsWith('contact.field.')) usesField(p.slice('contact.field.'.length), path);
      }
    }
    switch (n.type) {
      case 'trigger': {
        const d = n.data;
        if (d.kind === 'keyword') {
          if (!d.match) add('error', [...base, 'match'], n.id, 'a keyword trigger needs a match');
          else
            for (const p of checkMatch(d.match))
              add('error', [...base, 'match', 'patterns', p.index], n.id, p.message);
        }
        if (d.kind === 'button_reply' && !d.reply_id)
          add('error', [...base, 'reply_id'], n.id, 'a button-reply trigger needs the reply id');
        break;
      }
      case 'ask':
        if (n.data.save_to.kind === 'field') usesField(n.data.save_to.key, [...base, 'save_to', 'key']);
        if (n.data.validation === 'choice' && !n.data.choices?.length)
          add('error', [...base, 'choices'], n.id, 'a choice question needs its choices');
        break;
      case 'set_field':
        usesField(n.data.key, [...base, 'key']);
        break;
      case 'condition':
        n.data.branches.forEach((b, j) => {
          const p = [...base, 'branches', j, 'when'];
          const w = b.when;
          if (!CONDITION_OPS[w.subject].includes(w.op))
            add(
              'error',
              [...p, 'op'],
              n.id,
              `"${w.op}" does not apply to ${w.subject} (use ${CONDITION_OPS[w.subject].join(', ')})`,
            );
          if (['field', 'var', 'tag'].includes(w.subject) && !w.key)
            add('error', [...p, 'key'], n.id, `a ${w.subject} condition needs its key`);
          if (NEEDS_VALUE.has(w.op) && !w.value)
            add('error', [...p, 'value'], n.id, `"${w.op}" needs a value`);
          if (w.op === 'regex' && w.value)
            for (const q of checkMatch({ kind: 'regex', patterns: [w.value] }))
              add('error', [...p, 'value'], n.id, q.message);
          if (w.subject === 'var' && w.key) usesVar(w.key, [...p, 'key']);
          if (w.subject === 'field' && w.key) usesField(w.key, [...p, 'key']);
        });
        break;
      case 'http': {
        const url = n.data.url.trim();
        if (url.startsWith('{{'))
          add(
            'warning',
            [...base, 'url'],
            n.id,
            'the URL starts with a placeholder: it must fill in to an http(s) URL (checked when called)',
          );
        else if (!/^https?:\/\//i.test(url))
          add('error', [...base, 'url'], n.id, 'the URL must start with http:// or https://');
        else if (!url.includes('{{')) {
          try {
            new URL(url);
          } catch {
            add('error', [...base, 'url'], n.id, 'not a valid URL');
          }
        }
        if (n.data.body !== undefined && n.data.method === 'GET')
          add('warning', [...base, 'body'], n.id, 'a GET request sends no body');
        break;
      }
      default:
        break;
    }
  });
  return problems;
}

export const hasErrors = (problems: FlowProblem[]) => problems.some((p) => p.severity === 'error');
