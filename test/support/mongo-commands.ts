import type { CommandStartedEvent, Db } from 'mongodb';

/**
 * The MongoDB commands `db`'s client sends while `fn` runs, each as `<command> <collection>`
 * (`find users`, `insert jobs`), from the driver's command monitoring (the client must have been
 * made with `monitorCommands: true`, as `createMongo` makes it).
 */
export async function mongoCommandsDuring(db: Db, fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const listener = (e: CommandStartedEvent) => {
    const collection = (e.command as Record<string, unknown>)[e.commandName];
    seen.push(`${e.commandName} ${typeof collection === 'string' ? collection : ''}`.trim());
  };
  db.client.on('commandStarted', listener);
  try {
    await fn();
  } finally {
    db.client.off('commandStarted', listener);
  }
  return seen;
}
