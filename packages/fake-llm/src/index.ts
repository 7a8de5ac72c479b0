export type { Behaviour } from './behaviour.ts';
export { Behaviour as BehaviourSchema, type BehaviourPatch, type RecordedCall } from './behaviour.ts';
export {
  answerFor,
  type BrainMessage,
  countTokens,
  GREETING_REPLY,
  HANDOVER,
  type Passage,
  parseKnowledge,
} from './brain.ts';
export { type FakeLlm, type FakeLlmOptions, startFakeLlm } from './fake-llm.ts';
