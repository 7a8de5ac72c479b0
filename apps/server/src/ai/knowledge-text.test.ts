import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../lib/errors.ts';
import { chunkText, extractText, KNOWLEDGE_MAX_CHARS } from './knowledge-text.ts';

const FIXTURES = new URL('../../test/fixtures/knowledge/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES));

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AppError);
  return e as AppError;
}

describe('extractText', () => {
  it('reads plain text: BOM dropped, CRLF and blank runs normalised, trailing spaces trimmed', async () => {
    const r = await extractText({ bytes: fixture('returns.txt'), filename: 'returns.txt' });
    expect(r).toEqual({
      format: 'text',
      text: 'Returns policy\n\nYou can return any unopened item within 30 days.\n\nRefunds reach your card in five working days.',
    });
  });

  it('reads Markdown by extension or content type, headings intact', async () => {
    const bytes = fixture('faq.md');
    const r = await extractText({ bytes, filename: 'faq.md' });
    expect(r.format).toBe('markdown');
    expect(r.text).toContain('## Opening hours\n\nWe open at seven every morning');
    const byType = await extractText({ bytes, filename: 'faq', contentType: 'text/markdown; charset=utf-8' });
    expect(byType).toEqual(r);
  });

  it('reads the text layer of a PDF, whatever it is called', async () => {
    const r = await extractText({
      bytes: fixture('opening-hours.pdf'),
      filename: 'upload.bin',
      contentType: null,
    });
    expect(r.format).toBe('pdf');
    expect(r.text).toContain('Our shop opens at nine in the morning and closes at six in the evening.');
    expect(r.text).toContain('Returns are accepted within thirty days with a receipt.');
  });

  it('reads a DOCX, keeping its headings as Markdown headings', async () => {
    const r = await extractText({ bytes: fixture('delivery.docx'), filename: 'Delivery.DOCX' });
    expect(r).toEqual({
      format: 'docx',
      text: '# Delivery\n\nWe deliver across the city within two working days.\n\n## Prices & fees\n\nDelivery is free for orders over fifty euros.',
    });
  });

  it('reads UTF-16 text with a byte-order mark', async () => {
    const bytes = Buffer.from('\uFEFFCafé ouvert à 8 h.', 'utf16le');
    expect(await extractText({ bytes, filename: 'notes.txt' })).toEqual({
      format: 'text',
      text: 'Café ouvert à 8 h.',
    });
  });

  it('strips control characters, keeps tabs, and composes accents', async () => {
    const bytes = Buffer.from('a\u0007b\tc\u000Cd\r\nCafe\u0301\u2028e\uFB01le', 'utf8');
    const r = await extractText({ bytes, filename: 'x.txt' });
    expect(r.text).toBe('ab\tcd\nCafé\nefile');
  });

  it.each([
    ['an image', Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), 'photo.png', 'image/png'],
    ['an old Word file', Buffer.from('d0cf11e0a1b11ae1000000000000', 'hex'), 'old.doc', 'application/msword'],
    ['a ZIP that is not a Word document', fixture('not-word.zip'), 'sheet.xlsx', null],
    ['an unknown extension', Buffer.from('hello'), 'notes.rtf', 'application/rtf'],
    ['no extension and no type', Buffer.from('hello'), 'notes', undefined],
    ['text with NUL bytes', Buffer.from('hello\u0000world'), 'a.txt', 'text/plain'],
    ['text that is mostly not UTF-8', Buffer.alloc(400, 0xe9), 'latin1.txt', null],
  ])('refuses %s with UNSUPPORTED_MEDIA_TYPE', async (_, bytes, filename, contentType) => {
    const e = await refusal(extractText({ bytes, filename, contentType }));
    expect(e.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(e.message).toMatch(/\.txt.*\.md.*PDF.*\.docx/);
  });

  it('tolerates a stray bad byte in otherwise UTF-8 text', async () => {
    const bytes = Buffer.concat([Buffer.from('Price: 5 '), Buffer.from([0x80]), Buffer.from(' per box.')]);
    expect((await extractText({ bytes, filename: 'a.txt' })).text).toBe('Price: 5 \uFFFD per box.');
  });

  const pdf = fixture('opening-hours.pdf');
  const docx = fixture('delivery.docx');
  const mangled = (b: Buffer) => {
    const copy = Buffer.from(b);
    copy.fill(0x5a, Math.floor(copy.length / 3), Math.floor((copy.length * 2) / 3));
    return copy;
  };
  it.each([
    ['a truncated PDF', pdf.subarray(0, 200), 'a.pdf'],
    ['a PDF with its middle overwritten', mangled(pdf), 'a.pdf'],
    ['a PDF header and nothing else', Buffer.from('%PDF-1.7\n'), 'a.pdf'],
    ['a file named .pdf that is not one', Buffer.from('just some words'), 'a.pdf'],
    ['a truncated DOCX', docx.subarray(0, docx.length - 100), 'a.docx'],
    ['a DOCX with its middle overwritten', mangled(docx), 'a.docx'],
    ['a file named .docx that is not one', Buffer.from('just some words'), 'a.docx'],
  ])('refuses %s with VALIDATION_FAILED', async (_, bytes, filename) => {
    const e = await refusal(extractText({ bytes, filename }));
    expect(e.code).toBe('VALIDATION_FAILED');
    expect(e.message).toContain(filename);
  });

  it.each([
    ['an empty file', Buffer.alloc(0), 'empty.txt'],
    ['blank lines and spaces', Buffer.from(' \r\n\t\n  \n'), 'blank.md'],
    ['a PDF without a text layer', fixture('no-text.pdf'), 'scan.pdf'],
  ])('refuses %s with VALIDATION_FAILED: no text', async (_, bytes, filename) => {
    const e = await refusal(extractText({ bytes, filename }));
    expect(e.code).toBe('VALIDATION_FAILED');
    expect(e.message).toMatch(/^No text found in /);
  });

  it('refuses text over the limit, naming it', async () => {
    const bytes = Buffer.from('word '.repeat(KNOWLEDGE_MAX_CHARS / 5 + 1));
    const e = await refusal(extractText({ bytes, filename: 'big.txt' }));
    expect(e.code).toBe('VALIDATION_FAILED');
    expect(e.message).toContain('2,000,000 characters');
  });
});

describe('chunkText', () => {
  it('keeps a short document as one chunk', () => {
    expect(chunkText('Hello.\n\nWorld.')).toEqual([{ ord: 0, heading: null, text: 'Hello.\n\nWorld.' }]);
  });

  it('returns nothing for blank text', () => {
    expect(chunkText(' \n\n \n')).toEqual([]);
  });

  it('starts a chunk at each heading and carries the heading in its field and its text', () => {
    const text = readFileSync(new URL('faq.md', FIXTURES), 'utf8');
    expect(chunkText(text)).toEqual([
      {
        ord: 0,
        heading: 'Frequently asked questions',
        text: '# Frequently asked questions\n\nWelcome to the help page of Example Bakery.',
      },
      {
        ord: 1,
        heading: 'Opening hours',
        text: '## Opening hours\n\nWe open at seven every morning, Monday to Saturday.\nOn Sundays we stay closed.',
      },
      { ord: 2, heading: 'Payment', text: '## Payment\n\nWe take cards, cash and bank transfers.' },
    ]);
  });

  it('puts text before the first heading under no heading, and stacked headings over the same passage', () => {
    const chunks = chunkText(
      'Intro line.\n# Title\n## Part one ##\nBody text.\n```\n# not a heading\n```\n# End',
    );
    expect(chunks).toEqual([
      { ord: 0, heading: null, text: 'Intro line.' },
      {
        ord: 1,
        heading: 'Part one',
        text: '# Title\n## Part one ##\n\nBody text.\n```\n# not a heading\n```',
      },
      { ord: 2, heading: 'End', text: '# End' },
    ]);
  });

  it('repeats the heading on every chunk of a long section, and overlaps them by whole words', () => {
    const sentences = Array.from(
      { length: 40 },
      (_, i) => `Sentence number ${i} talks about delivery times.`,
    );
    const chunks = chunkText(`## Delivery\n\n${sentences.join(' ')}`, { maxChars: 300, overlapChars: 60 });
    expect(chunks.length).toBeGreaterThan(5);
    for (const [i, c] of chunks.entries()) {
      expect(c.ord).toBe(i);
      expect(c.heading).toBe('Delivery');
      expect(c.text.startsWith('## Delivery\n\n')).toBe(true);
      expect(c.text.length).toBeLessThanOrEqual(300);
    }
    for (let i = 1; i < chunks.length; i++) {
      const prev = (chunks[i - 1] as { text: string }).text;
      const body = (chunks[i] as { text: string }).text.slice('## Delivery\n\n'.length);
      // The next chunk opens with words that ended the one before: 30-60 characters of them.
      const shared = longestSharedRun(prev, body);
      expect(shared.length).toBeGreaterThanOrEqual(30);
      expect(shared.length).toBeLessThanOrEqual(60);
      expect(prev.endsWith(shared)).toBe(true);
    }
  });

  it('splits an overlong paragraph at sentence ends before spaces', () => {
    const chunks = chunkText('One two three. Four five six. Seven eight nine.', {
      maxChars: 32,
      overlapChars: 0,
    });
    expect(chunks.map((c) => c.text)).toEqual(['One two three. Four five six.', 'Seven eight nine.']);
  });

  it('splits a sentence without ends at spaces, and a run without spaces anywhere', () => {
    expect(chunkText('aa bb cc dd ee', { maxChars: 5, overlapChars: 0 }).map((c) => c.text)).toEqual([
      'aa bb',
      'cc dd',
      'ee',
    ]);
    expect(chunkText('x'.repeat(25), { maxChars: 10, overlapChars: 0 }).map((c) => c.text)).toEqual([
      'x'.repeat(10),
      'x'.repeat(10),
      'x'.repeat(5),
    ]);
    expect(
      chunkText('日本語の文章です。次の文です。', { maxChars: 9, overlapChars: 0 }).map((c) => c.text),
    ).toEqual(['日本語の文章です。', '次の文です。']);
  });

  it('refuses nonsensical options', () => {
    expect(() => chunkText('x', { maxChars: 0 })).toThrow(RangeError);
    expect(() => chunkText('x', { maxChars: 100, overlapChars: 100 })).toThrow(RangeError);
  });

  const word = fc.stringMatching(/^[a-zA-Z0-9àé'’,.!?-]{1,14}$/);
  const paragraph = fc
    .array(fc.tuple(word, fc.constantFrom(' ', ' ', ' ', '\n', '. ')), { minLength: 1, maxLength: 80 })
    .map((ws) => ws.map(([w, s]) => w + s).join(''));
  const heading = fc.tuple(fc.integer({ min: 1, max: 6 }), word).map(([n, w]) => `${'#'.repeat(n)} ${w}`);
  const doc = fc
    .array(fc.oneof(paragraph, paragraph, heading), { minLength: 1, maxLength: 25 })
    .map((b) => b.join('\n\n'));
  const options = fc.record({
    maxChars: fc.integer({ min: 30, max: 400 }),
    overlapChars: fc.integer({ min: 0, max: 19 }),
  });

  it('property: chunks fit, are non-empty, numbered, deterministic, and lose no word', () => {
    fc.assert(
      fc.property(doc, options, (text, o) => {
        const chunks = chunkText(text, o);
        expect(chunkText(text, o)).toEqual(chunks);
        chunks.forEach((c, i) => {
          expect(c.ord).toBe(i);
          expect(c.text.trim()).not.toBe('');
          expect(c.text.length).toBeLessThanOrEqual(o.maxChars);
        });
        const all = chunks.map((c) => c.text).join('\n');
        for (const w of text.split(/\s+/)) if (w !== '') expect(all).toContain(w);
      }),
      { numRuns: 300 },
    );
  });

  it('property: every chunk under a heading names it, and text before any heading has none', () => {
    fc.assert(
      fc.property(doc, options, (text, o) => {
        const firstHeading = /^#{1,6} /m.exec(text);
        for (const c of chunkText(text, o)) {
          if (c.heading === null) {
            if (firstHeading) expect(text.slice(0, firstHeading.index)).toContain(c.text.split(/\s+/)[0]);
          } else {
            expect(text).toMatch(new RegExp(`^#{1,6} ${escapeRegExp(c.heading)}$`, 'm'));
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

function longestSharedRun(prevText: string, nextBody: string): string {
  for (let n = Math.min(prevText.length, nextBody.length); n > 0; n--) {
    if (prevText.endsWith(nextBody.slice(0, n))) return nextBody.slice(0, n);
  }
  return '';
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
