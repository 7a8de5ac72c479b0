import type { FlowNodeType, FlowStats } from '@openwaba/contracts';
import { Handle, type NodeProps, type NodeTypes, Position } from '@xyflow/react';
import { createContext, useContext } from 'react';
import { cx } from '../../components/ui.tsx';
import {
  type CanvasNode,
  handleLabel,
  handlesOf,
  NODE_LABELS,
  NODE_TYPES,
  nodeSummary,
} from './flow-model.ts';

/** What the canvas draws over the nodes: per-node counts, problem outlines, a test run's path. */
export const CanvasOverlay = createContext<{
  counts: FlowStats['nodes'];
  problems: ReadonlySet<string>;
  path: ReadonlySet<string>;
}>({ counts: {}, problems: new Set(), path: new Set() });

const TONE: Partial<Record<FlowNodeType, string>> = {
  trigger: 'bg-brand-600 text-white',
  condition: 'bg-amber-100 text-amber-900',
  ask: 'bg-sky-100 text-sky-900',
  wait_reply: 'bg-sky-100 text-sky-900',
  end: 'bg-slate-700 text-white',
  http: 'bg-violet-100 text-violet-900',
};

function FlowNodeView({ id, type, data, selected }: NodeProps<CanvasNode>) {
  const { counts, problems, path } = useContext(CanvasOverlay);
  const t = type as FlowNodeType;
  const handles = handlesOf(t, data);
  const c = counts[id];
  const bad = problems.has(id);
  const visited = path.has(id);
  return (
    <div
      data-testid={`node-${id}`}
      data-problem={bad ? 'true' : undefined}
      data-visited={visited ? 'true' : undefined}
      className={cx(
        'w-56 rounded-lg border bg-white text-xs shadow-sm',
        bad
          ? 'border-red-500 ring-2 ring-red-300'
          : visited
            ? 'border-emerald-500 ring-2 ring-emerald-300'
            : 'border-slate-300',
        selected && 'outline outline-2 outline-offset-2 outline-brand-600',
      )}
    >
      {t !== 'trigger' && <Handle type="target" position={Position.Left} id="in" />}
      <div
        className={cx(
          'flex items-center justify-between rounded-t-lg px-2 py-1 font-semibold',
          TONE[t] ?? 'bg-slate-100 text-slate-800',
        )}
      >
        <span>{NODE_LABELS[t]}</span>
        <span className="font-mono font-normal opacity-70">{id}</span>
      </div>
      <p className="break-words px-2 py-1.5 text-slate-700">{nodeSummary(t, data)}</p>
      {c && (
        <p
          className="border-t border-slate-100 px-2 py-1 text-[10px] text-slate-500"
          data-testid={`counts-${id}`}
        >
          {`${c.entered} entered · ${c.completed} completed · ${c.dropped} dropped · ${c.timed_out} timed out`}
        </p>
      )}
      {handles.length > 0 && (
        <ul className="space-y-1 border-t border-slate-100 py-1">
          {handles.map((h) => (
            <li key={h} className="relative pr-3 text-right text-[10px] text-slate-500">
              {handleLabel(t, data, h)}
              <Handle
                type="source"
                position={Position.Right}
                id={h}
                style={{ top: '50%' }}
                aria-label={`${id} ${h}`}
              />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Every flow node type draws with the one view. */
export const nodeTypes: NodeTypes = Object.fromEntries(NODE_TYPES.map((t) => [t, FlowNodeView]));
