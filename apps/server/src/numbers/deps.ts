import type { Db } from '../db/client.ts';
import type { DomainEventEmitter } from '../events/domain-events.ts';
import type { Log } from '../lib/log.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import type { NotificationService } from '../notifications/service.ts';
import type { WhatsAppProvider } from '../whatsapp/provider.ts';
import type { NumberMediaFiles } from './delete-number.ts';
import type { NumberRow } from './repo.ts';

/** What the number service is built from. */
export interface NumberServiceDeps {
  db: Db;
  box: SecretBox;
  whatsapp: WhatsAppProvider;
  notifications: NotificationService;
  /** A deleted number's files are counted with it and leave the media store after the delete commits. */
  media: NumberMediaFiles;
  /** Emits `number.credentials_changed` (connected, edited, deleted). */
  domainEvents: DomainEventEmitter;
  log: Log;
}

/** The service's dependencies and what its use cases share; each use case picks what it uses. */
export interface NumberDeps extends NumberServiceDeps {
  /** The Graph client of a number: the sandbox's simulator for the sandbox number. */
  providerFor(r: Pick<NumberRow, 'isSandbox'>): WhatsAppProvider;
  /** After a commit that changed a number's app secret or verify token (webhook verification caches them). */
  credentialsChanged(numberId: string): Promise<unknown>;
}
