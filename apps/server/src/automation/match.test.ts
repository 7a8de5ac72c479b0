import { describe, expect, it } from 'vitest';
import { checkMatch, compileRegex, matchText, normalizeText, RegexProblem } from './match.ts';

describe('automation text matching', () => {
  it('normalizes case, accents and spaces', () => {
    expect(normalizeText('  Café  AU   lait ')).toBe('cafe au lait');
    expect(normalizeText('PRÉÇÏS')).toBe('precis');
  });

  it('equals / contains / starts_with, case and accent insensitive, over several candidates', () => {
    expect(matchText({ kind: 'equals', patterns: ['prix'] }, ['PRIX'])).toBe('prix');
    expect(matchText({ kind: 'equals', patterns: ['prix'] }, ['le prix'])).toBeNull();
    expect(matchText({ kind: 'contains', patterns: ['café'] }, ['Un CAFE svp'])).toBe('café');
    expect(matchText({ kind: 'starts_with', patterns: ['hello'] }, ['Hello there'])).toBe('hello');
    expect(matchText({ kind: 'starts_with', patterns: ['hello'] }, ['oh hello'])).toBeNull();
    // A button reply: its id or its title.
    expect(matchText({ kind: 'equals', patterns: ['opt-yes'] }, [null, 'opt-yes', 'Yes'])).toBe('opt-yes');
    expect(matchText({ kind: 'equals', patterns: ['yes'] }, [null, 'opt-yes', 'Yes'])).toBe('yes');
    expect(matchText({ kind: 'contains', patterns: ['x'] }, [null, undefined])).toBeNull();
  });

  it('regex on RE2: accents in the pattern too; no backtracking blow-up', () => {
    expect(matchText({ kind: 'regex', patterns: ['^ord(er|re) \\d+$'] }, ['Order 42'])).toBe(
      '^ord(er|re) \\d+$',
    );
    expect(matchText({ kind: 'regex', patterns: ['caf[eé]'] }, ['CAFÉ'])).toBe('caf[eé]');
    const evil = `${'a'.repeat(3000)}!`;
    // The classic catastrophic case answers (no match) in linear time.
    expect(matchText({ kind: 'regex', patterns: ['(a+)+$'] }, [evil])).toBeNull();
    expect(matchText({ kind: 'regex', patterns: ['(a+)+!$'] }, [evil])).toBe('(a+)+!$');
  });

  it('checkMatch names unsupported and too costly patterns by index', () => {
    expect(checkMatch({ kind: 'contains', patterns: ['(('] })).toEqual([]);
    const p = checkMatch({ kind: 'regex', patterns: ['ok', '(a)\\1', 'x{1000}{1000}', '(?=a)'] });
    expect(p.map((x) => x.index)).toEqual([1, 2, 3]);
    expect(p[0]!.message).toMatch(/not a supported/);
    expect(() => compileRegex('(a{100}){100}')).toThrow(RegexProblem);
  });
});
