// The fix: keep the promise of the connection, set before any await. Every caller awaits the
// same connect; a failed connect is forgotten so that the next caller tries again.
import { sleep } from '../sleep.mjs';

interface Connection {
  id: number;
  query(sql: string): Promise<string>;
}

let opened = 0;

async function connect(): Promise<Connection> {
  const id = ++opened;
  await sleep(20);
  return { id, query: async (sql) => `connection ${id}: ${sql}` };
}

export class Database {
  private client?: Promise<Connection>;

  connection(): Promise<Connection> {
    this.client ??= connect().catch((error: unknown) => {
      this.client = undefined;
      throw error;
    });
    return this.client;
  }

  async query(sql: string): Promise<string> {
    return (await this.connection()).query(sql);
  }
}

// A top-level function rather than top-level await: tsx runs this file as CommonJS.
async function main(): Promise<void> {
  const db = new Database();
  const rows = await Promise.all(['a', 'b', 'c', 'd'].map((table) => db.query(`select * from ${table}`)));
  console.log(`${rows.length} queries opened ${opened} connection(s)`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
