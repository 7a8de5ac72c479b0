import { describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors.ts';
import { createXmlScanner, type XmlScanOptions } from './xml-scan.ts';

/** Feeds the XML in pieces of `size` bytes: state must carry across every possible split. */
function scan(xml: string, size: number, options: Partial<XmlScanOptions> = {}) {
  const scanner = createXmlScanner('test.xml', { maxDepth: 8, maxTokenBytes: 1 << 20, ...options });
  const bytes = Buffer.from(xml);
  for (let i = 0; i < bytes.length; i += size) scanner.write(bytes.subarray(i, i + size));
  return scanner;
}

function reasonOf(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return ((err as AppError).details as { reason: string }).reason;
  }
  return 'accepted';
}

const splits = [1, 2, 3, 7, 64, 1 << 20];

describe('createXmlScanner', () => {
  const sst =
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
    '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4">' +
    '<!-- <si><t>not counted</t></si> -->' +
    '<si><t xml:space="preserve"> a > b </t></si>' +
    '<si><r><rPr><b/><sz val="11"/></rPr><t>rich</t></r></si>' +
    '<si><t><![CDATA[<si>not counted</si>]]></t></si>' +
    '<si/><sig>not an si</sig><x:si xmlns:x="x">prefixed</x:si>' +
    '<si><t a="/>" b=\'/>\'>quoted slashes</t></si>' +
    '</sst>';

  it.each(splits)('counts the named elements and stays shallow when split every %i bytes', (size) => {
    expect(scan(sst, size, { count: ['si'] }).counted).toBe(5);
    expect(scan(sst, size, { count: ['si', 'r'] }).counted).toBe(6);
  });

  it.each(splits)('refuses nesting one deeper than the limit, split every %i bytes', (size) => {
    expect(reasonOf(() => scan(`${'<a>'.repeat(8)}${'</a>'.repeat(8)}`, size))).toBe('accepted');
    expect(reasonOf(() => scan('<a>'.repeat(9), size))).toBe('xml_too_deep');
  });

  it('does not count self-closing elements, comments or processing instructions as depth', () => {
    const xml = `<r>${'<c/><c a="1" />'.repeat(100)}<!-- <a><a><a><a><a><a><a><a><a> --><?pi <a><a> ?></r>`;
    expect(reasonOf(() => scan(xml, 5, { maxDepth: 2 }))).toBe('accepted');
  });

  it.each(['<!DOCTYPE x [<!ENTITY e "e">]><x/>', '<!doctype x><x/>'])('refuses a DTD: %s', (xml) => {
    for (const size of splits) expect(reasonOf(() => scan(xml, size))).toBe('xml_not_allowed');
  });

  it.each([
    ['a text node', (n: number) => `<t>${'x'.repeat(n)}</t>`],
    ['an attribute', (n: number) => `<c a="${'x'.repeat(n)}"/>`],
    ['a tag of many attributes', (n: number) => `<c ${'a="1" '.repeat(n / 6)}/>`],
    ['a comment', (n: number) => `<!--${'x'.repeat(n)}-->`],
  ])('refuses %s larger than the token limit, however it is split', (_name, make) => {
    for (const size of [1000, 4096, 65_536]) {
      expect(reasonOf(() => scan(`<r>${make(10_000)}</r>`, size, { maxTokenBytes: 20_000 }))).toBe(
        'accepted',
      );
      expect(reasonOf(() => scan(`<r>${make(50_000)}</r>`, size, { maxTokenBytes: 20_000 }))).toBe(
        'xml_too_large',
      );
    }
  });

  it('refuses a worksheet row larger than the row limit, and only counts rows inside sheetData', () => {
    const cells = (n: number) => '<c r="A1"><v>1</v></c>'.repeat(n);
    const sheet = (rowCells: number, after = '') =>
      `<worksheet><sheetData><row r="1">${cells(10)}</row><row r="2">${cells(rowCells)}</row></sheetData>${after}</worksheet>`;
    const opts = { maxRowBytes: 10_000 };
    expect(reasonOf(() => scan(sheet(100), 1000, opts))).toBe('accepted');
    expect(reasonOf(() => scan(sheet(1000), 1000, opts))).toBe('xml_too_large');
    expect(
      reasonOf(() => scan(sheet(100, `<mergeCells>${'<m/>'.repeat(10_000)}</mergeCells>`), 1000, opts)),
    ).toBe('accepted');
  });
});
