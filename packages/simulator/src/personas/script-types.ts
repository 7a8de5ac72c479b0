import type { SampleImage } from '../media.ts';

/** One thing a simulated customer sends. `{order}`, `{city}`… in texts are filled from the persona. */
export type Line =
  | { kind: 'text'; text: string }
  | { kind: 'image'; caption: string; sample: SampleImage }
  | { kind: 'location'; place: string; address: string; latitude: number; longitude: number }
  | { kind: 'voice' }
  /** A reaction to the business's message that was just read. */
  | { kind: 'react'; emoji: string }
  /** A tap on a template's quick-reply button (a `button` message, as Meta sends it). */
  | { kind: 'button'; payload: string; text: string }
  /** A tap on an interactive message's reply button or list row. */
  | { kind: 'button_reply' | 'list_reply'; id: string; title: string };

/** A line as a script writes it: a location is wherever the persona is. */
export type ScriptLine = Exclude<Line, { kind: 'location' }> | { kind: 'location' };

/** Variants of what to say: one is picked, and each variant is a burst of lines sent one after another. */
export type Say = ScriptLine[][];

/** The customer's answer to the agent's n-th reply: a matching branch if the agent's text matches, else `say`. */
export interface Turn {
  when?: { match: RegExp; say: Say }[];
  say: Say;
}

/** A conversation from first message to thanks: why the customer writes and how they follow up. */
export interface Topic {
  id: string;
  opener: Say;
  turns: Turn[];
  /** Said after the last turn, when the agent answers once more; the conversation is then over for them. */
  closing: Say;
  /** Said once if nobody answers for a while. */
  nudge: Say;
}

/** A simulated customer with a fixed number, name, details their texts use and the topics they write about. */
export interface Persona {
  wa_id: string;
  name: string;
  /** A username customer: their webhooks carry their BSUID and username, never their phone. */
  username?: string;
  /** Fills `{key}` in texts: order number, city, address… */
  details: Record<string, string>;
  /** The topics of their conversations, in turn (the first one first). */
  topics: string[];
  /** Where they are when they send a location. */
  location: { place: string; address: string; latitude: number; longitude: number };
}
