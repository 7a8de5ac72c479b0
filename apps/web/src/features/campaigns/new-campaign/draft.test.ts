import { describe, expect, it } from 'vitest';
import { createBody, defaultColumn, parsePasted, toMapping } from './draft.ts';

describe('parsePasted', () => {
  it('reads one phone a line, values after commas, semicolons or tabs, and skips blank lines', () => {
    const p = parsePasted('+447700900123,Ana,KT-1001\r\n\n  \n+447700900124;Ben\n+447700900125\t\n,orphan');
    expect(p.columns).toBe(2);
    expect(p.recipients).toEqual([
      { phone: '+447700900123', variables: { '1': 'Ana', '2': 'KT-1001' } },
      { phone: '+447700900124', variables: { '1': 'Ben' } },
      { phone: '+447700900125', variables: { '1': '' } },
    ]);
  });
});

describe('defaultColumn', () => {
  const headers = ['Phone', '{{Media}}', '{{1}}', 'name'];
  it('finds a body variable by its braces, a media header by {{Media}}, a named one by its name', () => {
    expect(defaultColumn(headers, { component: 'body', key: '1', kind: 'text' })).toBe('{{1}}');
    expect(defaultColumn(headers, { component: 'header', key: 'image', kind: 'media' })).toBe('{{Media}}');
    expect(defaultColumn(headers, { component: 'body', key: 'name', kind: 'text' })).toBe('name');
  });
  it('leaves button variables and unknown names unmapped', () => {
    expect(defaultColumn(headers, { component: 'button', key: '0', kind: 'url_suffix' })).toBeUndefined();
    expect(defaultColumn(headers, { component: 'body', key: '2', kind: 'text' })).toBeUndefined();
  });
});

describe('toMapping', () => {
  it('turns each source into the mapping the server reads', () => {
    expect(
      toMapping({
        'body.1': { from: 'name', text: '' },
        'body.2': { from: 'fixed', text: 'KT-1001' },
        'body.3': { from: 'column.{{3}}', text: '' },
        'buttons.0': { from: 'field.plan', text: '' },
      }),
    ).toEqual({
      'body.1': { contact: 'name' },
      'body.2': { fixed: 'KT-1001' },
      'body.3': { column: '{{3}}' },
      'buttons.0': { contact: 'field.plan' },
    });
  });
});

describe('createBody', () => {
  const choice = { templateId: 't1', sources: { 'body.1': { from: 'name', text: '' } }, share: '60' };
  const base = { name: '  Spring sale ', numberId: 'n1', pasted: { recipients: [], columns: 0 } };
  it('sends a contacts audience with its tags and segment, shares only for an A/B split', () => {
    const body = createBody({
      ...base,
      audience: { kind: 'contacts', tagIds: ['a', 'b'], tagMatch: 'all', segmentId: 's1' },
      choices: [choice, { ...choice, templateId: 't2', share: '40' }],
      split: 'ab',
    });
    expect(body).toEqual({
      name: 'Spring sale',
      number_id: 'n1',
      audience: { kind: 'contacts', filter: { tag_ids: ['a', 'b'], tag_match: 'all' }, segment_id: 's1' },
      templates: [
        { template_id: 't1', mapping: { 'body.1': { contact: 'name' } }, share: 60 },
        { template_id: 't2', mapping: { 'body.1': { contact: 'name' } }, share: 40 },
      ],
      split: 'ab',
    });
  });
  it('sends pasted phones as recipients and a file by its id and phone column', () => {
    const pasted = parsePasted('+447700900123,Ana');
    const fromPaste = createBody({
      ...base,
      pasted,
      audience: { kind: 'paste', text: '' },
      choices: [choice],
      split: 'sequential',
    });
    expect(fromPaste.audience).toEqual({ kind: 'recipients', recipients: pasted.recipients });
    expect(fromPaste.templates[0]).not.toHaveProperty('share');
    const fromFile = createBody({
      ...base,
      audience: { kind: 'file', upload: null, phoneColumn: 'Phone' },
      choices: [choice],
      split: 'sequential',
    });
    expect(fromFile.audience).toEqual({ kind: 'file', file_id: '', phone_column: 'Phone' });
  });
  it('adds the spend cap and the marketing time-to-live (hours → seconds) only when typed', () => {
    const audience = { kind: 'contacts' as const, tagIds: [], tagMatch: 'any' as const, segmentId: '' };
    const plain = createBody({
      ...base,
      audience,
      choices: [choice],
      split: 'sequential',
      spendCap: ' ',
      ttlHours: '',
    });
    expect(plain).not.toHaveProperty('spend_cap');
    expect(plain).not.toHaveProperty('marketing_ttl_seconds');
    const typed = createBody({
      ...base,
      audience,
      choices: [choice],
      split: 'sequential',
      spendCap: '12.5',
      ttlHours: '24',
    });
    expect(typed).toMatchObject({ spend_cap: 12.5, marketing_ttl_seconds: 86_400 });
  });
});
