import { describe, expect, it } from 'vitest';
import { matchConsentKeyword, normalizeKeyword } from './keywords.ts';

const builtIn = { optOut: null, optIn: null };

describe('consent keywords', () => {
  it('normalises case, accents, punctuation, symbols and spacing', () => {
    expect(normalizeKeyword('  Arrêt! ')).toBe('ARRET');
    expect(normalizeKeyword('stop-all')).toBe('STOP ALL');
    expect(normalizeKeyword('¡PARAR!')).toBe('PARAR');
    expect(normalizeKeyword('🛑 Stop 🛑')).toBe('STOP');
    expect(normalizeKeyword('DÉSABONNER')).toBe('DESABONNER');
    expect(normalizeKeyword('...')).toBe('');
  });

  const optOut = [
    'STOP',
    'stop',
    ' Stop! ',
    'stop.',
    '*STOP*',
    'Stop all',
    'STOP-ALL',
    'stopall',
    'Unsubscribe',
    'cancel',
    'END',
    'Quit',
    'opt-out',
    'Stop promotions',
    'parar',
    '¡Parar!',
    'arrêt',
    'ARRET',
    'arrêter',
    'Désabonner',
    'abmelden',
    'stopp',
  ];
  it.each(optOut)('%j opts out', (text) => {
    expect(matchConsentKeyword(text, builtIn)).toBe('opt_out');
  });

  it.each(['START', 'start', 'Start!', 'unstop', 'SUBSCRIBE'])('%j opts in', (text) => {
    expect(matchConsentKeyword(text, builtIn)).toBe('opt_in');
  });

  const neither = [
    'stop please',
    'please stop',
    "don't stop",
    'STOP 2',
    'stopped',
    'stopping by later',
    'the end',
    'cancel my order',
    'start over',
    'yes',
    '',
    '!!!',
    'STOP '.repeat(100),
  ];
  it.each(neither)('%j is not a keyword', (text) => {
    expect(matchConsentKeyword(text, builtIn)).toBeNull();
  });

  it('uses the organisation’s own lists when it has them; opt-out wins a tie', () => {
    const lists = { optOut: ['BASTA', 'no más'], optIn: ['VOLVER', 'basta'] };
    expect(matchConsentKeyword('basta', lists)).toBe('opt_out');
    expect(matchConsentKeyword('NO MAS', lists)).toBe('opt_out');
    expect(matchConsentKeyword('volver', lists)).toBe('opt_in');
    expect(matchConsentKeyword('STOP', lists)).toBeNull();
    expect(matchConsentKeyword('STOP', { optOut: ['BASTA'], optIn: null })).toBeNull();
    expect(matchConsentKeyword('START', { optOut: ['BASTA'], optIn: null })).toBe('opt_in');
  });
});
