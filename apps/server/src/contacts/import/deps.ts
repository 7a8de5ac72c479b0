import type { Config } from '../../config.ts';
import type { Database, Db } from '../../db/client.ts';
import type { EventService } from '../../events/service.ts';
import type { Log } from '../../lib/log.ts';
import type { NotificationService } from '../../notifications/service.ts';
import type { OrgService } from '../../orgs/service.ts';
import type { ConsentService } from '../consent.ts';
import type { FieldService } from '../fields.ts';
import type { Tombstones } from '../tombstones.ts';
import type { ImportLimits } from './limits.ts';

/** What the contact import service is built from (see `createContactImportService`). */
export interface ContactImportServiceDeps {
  db: Db;
  database: Database;
  config: Config;
  orgs: OrgService;
  fields: FieldService;
  consent: ConsentService;
  tombstones: Tombstones;
  events: EventService;
  notifications: NotificationService;
  log: Log;
  /** Queues the import job (after the confirmation is committed). */
  schedule(orgId: string, importId: string): Promise<unknown>;
}

/** The service's dependencies and the state its use cases share; each use case picks what it uses. */
export interface ImportDeps extends ContactImportServiceDeps {
  /** Where uploads wait for their import (under DATA_DIR). */
  dir: string;
  limits: Partial<ImportLimits>;
  /** Progress of imports running in this process (PGlite cannot be written to while the import's transaction holds it). */
  live: Map<string, number>;
}
