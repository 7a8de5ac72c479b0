import {
  type Config,
  createServices,
  openConfiguredDatabase,
  resolveAppSecret,
  runMigrations,
  type Services,
} from '@openwaba/server';

/**
 * Runs `work` with the server's own services on the install's database, for the process-level verbs
 * that act on it from the server's machine (`setup`, `users …`, `reports rebuild`): migrated first, closed after.
 */
export async function withLocalServices<T>(config: Config, work: (services: Services) => Promise<T>) {
  const database = await openConfiguredDatabase(config);
  try {
    await runMigrations(database);
    const services = createServices({ config, database, appSecret: resolveAppSecret(config) });
    try {
      return await work(services);
    } finally {
      // The Graph client keeps connections to Meta open; left open they hold the process alive.
      await services.whatsapp.close();
    }
  } finally {
    await database.close();
  }
}
