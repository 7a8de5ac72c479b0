import type { CustomerBehaviour } from '../config.ts';
import { asyncError } from '../errors.ts';
import type { Faults } from '../faults.ts';
import { createSending } from './accept-send.ts';
import { createAdmin } from './admin.ts';
import { createCast } from './cast.ts';
import { createCustomers } from './customers.ts';
import { createEmitter } from './emit.ts';
import { createNumbers } from './numbers.ts';
import { createStore, type SimOptions } from './store.ts';
import { createTemplates } from './templates.ts';

export type Core = ReturnType<typeof buildCore>;

/**
 * The simulated world without HTTP: what the Graph and control routes read and act on. Built in
 * dependency order (store → numbers, customers → webhooks → cast → sending, templates → admin), no forward
 * references.
 */
export function buildCore(opts: SimOptions) {
  const store = createStore(opts);
  const numbers = createNumbers(store);
  const customers = createCustomers(store);
  const emitter = createEmitter(store, customers);
  const cast = createCast(store, customers, emitter);
  const sending = createSending(store, numbers, customers, emitter, cast);
  const templates = createTemplates(store, numbers, customers, emitter);
  const admin = createAdmin(store, numbers, customers, templates, cast);

  return {
    opts,
    rnd: store.rnd,
    faults: store.faults,
    webhooks: store.webhooks,
    numbers: store.numbers,
    templates: store.templates,
    media: store.media,
    customers: store.customers,
    sent: store.sent,
    inbound: store.inbound,
    stats: store.stats,
    events: store.events,
    mediaKey: store.mediaKey,
    get publicUrl() {
      return store.publicUrl;
    },
    nextId: store.nextId,
    startedAt: store.startedAt,
    byToken: numbers.byToken,
    customer: customers.customer,
    byUserId: customers.byUserId,
    windowOpen: customers.windowOpen,
    takeThroughput: sending.takeThroughput,
    takePair: sending.takePair,
    accept: sending.accept,
    addNumber: numbers.addNumber,
    updateNumber: numbers.updateNumber,
    publicNumber: numbers.publicNumber,
    businessOf: numbers.businessOf,
    portfolioTier: numbers.portfolioTier,
    marketingOnboarded: numbers.marketingOnboarded,
    addTemplate: templates.addTemplate,
    scheduleReview: templates.scheduleReview,
    setTemplateStatus: templates.setTemplateStatus,
    setTemplateCategory: templates.setTemplateCategory,
    customerSend: emitter.customerSend,
    emitEvent: emitter.emitEvent,
    setFaults: (f: Faults) => store.faults.set(f),
    setBehaviour(b: Partial<CustomerBehaviour>) {
      store.behaviour = { ...store.behaviour, ...b };
    },
    snapshotStats: admin.snapshotStats,
    reset: admin.reset,
    loadSeed: admin.loadSeed,
    asyncError,
    timers: store.timers,
    setPublicUrl(url: string) {
      store.publicUrl = url;
    },
    setCustomer: customers.setCustomer,
    startCast: cast.start,
    stopCast: cast.stop,
  };
}
