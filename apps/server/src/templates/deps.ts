import type { Database, Db } from '../db/client.ts';
import type { DomainEventEmitter } from '../events/domain-events.ts';
import type { EventService } from '../events/service.ts';
import type { Log } from '../lib/log.ts';
import type { UrlGuard } from '../lib/url-guard.ts';
import type { NotificationService } from '../notifications/service.ts';
import type { NumberService } from '../numbers/service.ts';

/** What the template service is built from; each use case picks what it uses. */
export interface TemplateDeps {
  db: Db;
  database: Database;
  numbers: NumberService;
  events: EventService;
  notifications: NotificationService;
  /** Media links and button URLs must not point inside our network (lib/url-guard.ts). */
  urlGuard: UrlGuard;
  log: Log;
  /**
   * Emits `template.unusable` after a change that stops the template being sent commits (a
   * quarantine, or Meta pausing, disabling or rejecting it): campaigns using it pause.
   */
  domainEvents: DomainEventEmitter;
}
