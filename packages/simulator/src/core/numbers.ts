import { appIdOf } from '../apps.ts';
import { type CustomerBehaviour, NumberInput, TIERS } from '../config.ts';
import { createRateMeter, createTokenBucket } from '../limits.ts';
import type { SimNumber } from '../state.ts';
import type { Store } from './store.ts';

/** A number's burst: a tenth of a second of its throughput, at least one message. */
export const burstOf = (mps: number) => Math.max(1, Math.round(mps / 10));

/** Meta's fixed throughput of a coexistence number (the WhatsApp Business app on it too). */
export const COEXISTENCE_MPS = 20;

/** What the number accepts a second: its throughput, at most 20 for a coexistence number. */
const mpsOf = (n: NumberInput & { throughput_mps: number; is_on_biz_app: boolean }) =>
  n.is_on_biz_app ? Math.min(n.throughput_mps, COEXISTENCE_MPS) : n.throughput_mps;

export type Numbers = ReturnType<typeof createNumbers>;

/** The business phone numbers: added, updated, found by token, shown without their secrets. */
export function createNumbers(store: Store) {
  const { numbers } = store;

  function addNumber(input: NumberInput) {
    const n = NumberInput.parse(input);
    const existing = numbers.get(n.phone_number_id);
    const now = Date.now();
    const mps = mpsOf(n);
    const num: SimNumber = {
      ...n,
      customers: n.customers ?? {},
      bucket: existing?.bucket ?? createTokenBucket(mps, burstOf(mps), now),
      meter: existing?.meter ?? createRateMeter(),
      accepted: existing?.accepted ?? 0,
      initiated: existing?.initiated ?? new Map(),
    };
    num.bucket.setRate(mps, burstOf(mps));
    numbers.set(n.phone_number_id, num);
    return publicNumber(num);
  }

  function updateNumber(id: string, patch: Partial<NumberInput>) {
    const current = numbers.get(id);
    if (!current) return undefined;
    const { bucket: _b, meter: _m, accepted: _a, initiated: _i, ...plain } = current;
    return addNumber({ ...plain, ...patch, phone_number_id: id });
  }

  function publicNumber(n: SimNumber) {
    const { bucket: _b, meter: _m, initiated: _i, access_token: _t, app_secret: _s, ...rest } = n;
    return { ...rest, app_id: appIdOf(n), current_mps: n.meter.perSecond(Date.now()) };
  }

  const byToken = (token: string) => {
    for (const n of numbers.values()) if (n.access_token === token) return n;
    return undefined;
  };

  function behaviourOf(n: SimNumber): CustomerBehaviour {
    return { ...store.behaviour, ...n.customers };
  }

  const numbersOfWaba = (wabaId: string) => [...numbers.values()].filter((x) => x.waba_id === wabaId);

  /** The WABA's business portfolio: the one set on its numbers, else one derived from the WABA id. */
  function businessOf(wabaId: string) {
    const set = numbersOfWaba(wabaId).find((x) => x.business_id)?.business_id;
    return set ?? `9${wabaId}`.slice(0, 20);
  }

  /**
   * The portfolio's messaging limit (`whatsapp_business_manager_messaging_limit`): shared by every
   * number of the portfolio; Meta set it to the highest of its numbers' limits when limits moved to
   * portfolios, and so does the simulator.
   */
  function portfolioTier(n: SimNumber) {
    const business = businessOf(n.waba_id);
    const tiers = [...numbers.values()]
      .filter((x) => businessOf(x.waba_id) === business)
      .map((x) => x.messaging_limit_tier);
    return tiers.sort((a, b) => TIERS.indexOf(b) - TIERS.indexOf(a))[0] ?? n.messaging_limit_tier;
  }

  /** The WABA is onboarded to the Marketing Messages API when any of its numbers says so. */
  const marketingOnboarded = (wabaId: string) =>
    numbersOfWaba(wabaId).some((x) => x.marketing_messages_onboarded);

  return {
    addNumber,
    updateNumber,
    publicNumber,
    byToken,
    behaviourOf,
    numbersOfWaba,
    businessOf,
    portfolioTier,
    marketingOnboarded,
  };
}
