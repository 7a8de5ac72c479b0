import { FlowGraph } from '@openwaba/contracts';
import { ApiError } from '@openwaba/sdk';
import { describe, expect, it } from 'vitest';
import { defaultData, freshId, handlesOf, NODE_TYPES, toCanvas, toGraph } from './flow-model.ts';
import { problemsOf } from './problems.ts';
import { readContent } from './transcript.ts';

describe('flow model', () => {
  it('names the handles each node type leaves by', () => {
    expect(handlesOf('trigger', {})).toEqual(['next']);
    expect(handlesOf('ask', {})).toEqual(['next', 'invalid', 'timeout']);
    expect(handlesOf('wait_reply', {})).toEqual(['reply', 'timeout']);
    expect(handlesOf('http', {})).toEqual(['ok', 'error']);
    expect(handlesOf('end', {})).toEqual([]);
    expect(handlesOf('send_text', {})).toEqual(['next']);
    expect(handlesOf('condition', { branches: [{ id: 'vip' }, { id: 'new' }] })).toEqual([
      'vip',
      'new',
      'else',
    ]);
  });

  it('a graph survives the canvas: positions rounded, handles kept, `next` when absent', () => {
    const graph = FlowGraph.parse({
      nodes: [
        { id: 't', type: 'trigger', position: { x: 10.4, y: 20.6 }, data: { kind: 'api' } },
        { id: 'e', type: 'end', position: { x: 300, y: 20 }, data: {} },
      ],
      edges: [{ id: 't.next', source: 't', target: 'e' }],
    });
    const { nodes, edges } = toCanvas(graph);
    const back = toGraph(nodes, edges);
    expect(back.nodes[0]?.position).toEqual({ x: 10, y: 21 });
    expect(back.edges).toEqual([{ id: 't.next', source: 't', source_handle: 'next', target: 'e' }]);
    expect(FlowGraph.safeParse(back).success).toBe(true);
  });

  it('every node type starts with data the schema accepts once its texts are filled', () => {
    for (const type of NODE_TYPES) {
      const data = defaultData(type);
      const g = FlowGraph.safeParse({
        nodes: [{ id: 'n', type, position: { x: 0, y: 0 }, data }],
        edges: [],
      });
      // Only the texts the person must write may be missing.
      const paths = g.success ? [] : g.error.issues.map((i) => i.path.slice(3).join('.'));
      for (const p of paths)
        expect([
          'text',
          'question',
          'key',
          'template.name',
          'template.language',
          'buttons.body',
          'list.body',
        ]).toContain(p);
    }
  });

  it('fresh ids skip the taken ones', () => {
    expect(freshId('ask', new Set(['ask_1', 'ask_2']))).toBe('ask_3');
  });
});

describe('server problems and transcripts', () => {
  it('a 400 names fields by their path in the body', () => {
    const err = new ApiError(400, 'VALIDATION_FAILED', 'Invalid request', [
      { path: ['body', 'actions', '0', 'text'], message: 'is required' },
      { path: ['match', 'patterns', 0], message: 'not a supported regular expression' },
    ]);
    expect(problemsOf(err)).toEqual({
      'actions.0.text': 'is required',
      'match.patterns.0': 'not a supported regular expression',
    });
    expect(problemsOf(new Error('x'))).toEqual({});
  });

  it('reads Cloud API message shapes and the customer’s replies', () => {
    expect(readContent({ type: 'text', text: { body: 'Hi' } }).text).toBe('Hi');
    const buttons = readContent({
      type: 'interactive',
      interactive: {
        type: 'button',
        body: { text: 'Pick' },
        action: { buttons: [{ type: 'reply', reply: { id: 'a', title: 'A' } }] },
      },
    });
    expect(buttons.text).toBe('Pick');
    expect(buttons.buttons).toEqual([{ id: 'a', title: 'A', description: undefined }]);
    const list = readContent({
      type: 'interactive',
      interactive: {
        body: { text: 'Menu' },
        action: { button: 'Open', sections: [{ rows: [{ id: 'r', title: 'Row' }] }] },
      },
    });
    expect(list.list).toEqual({ button: 'Open', rows: [{ id: 'r', title: 'Row', description: undefined }] });
    const template = readContent({
      type: 'template',
      template: {
        name: 'order_update',
        language: { code: 'en_US' },
        components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }] }],
      },
    });
    expect(template.template).toBe('order_update (en_US)');
    expect(template.params).toEqual(['Ana']);
    expect(readContent({ type: 'reply', id: 'a', title: 'A' }).text).toBe('A');
    expect(readContent({ type: 'reply', id: 'a', title: null }, new Map([['a', 'Choice A']])).text).toBe(
      'Choice A',
    );
    expect(readContent({ type: 'reply', id: 'b', title: null }).text).toBe('b');
    expect(readContent({ type: 'text', text: 'delivery' }).text).toBe('delivery');
  });
});
