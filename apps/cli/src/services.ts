import {
  type Config,
  createServices,
  openConfiguredDatabase,
  resolveAppSecret,
  runMigrations,
} from '@openwaba/server';

export type Services = ReturnType<typeof createServices>;

/**
 * Runs one CLI verb against the configured database: opens it, brings the schema up to date, builds
 * the same services the server uses, and always closes what it opened, even when `fn` throws.
 * @example
 *   await withServices(config, (services) => services.numbers.list({ orgId }));
 */
export async function withServices<T>(config: Config, fn: (services: Services) => Promise<T>): Promise<T> {
  const database = await openConfiguredDatabase(config);
  try {
    await runMigrations(database);
    const services = createServices({ config, database, appSecret: resolveAppSecret(config) });
    try {
      return await fn(services);
    } finally {
      // The Graph client keeps connections to Meta open; left open they hold the process alive.
      await services.whatsapp.close();
    }
  } finally {
    await database.close();
  }
}
