import type { Database, Db } from '../../db/client.ts';
import type { EventService } from '../../events/service.ts';
import type { Tombstones } from '../tombstones.ts';

/** What the consent service is built from; each use case picks what it uses. */
export interface ConsentDeps {
  db: Db;
  database: Database;
  events: EventService;
  tombstones: Tombstones;
}
