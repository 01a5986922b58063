// TypeScript: lazy initialisation across `await`. `Database.connection()` checks its private
// field, awaits the connect, then stores the connection. Four queries that start together all
// find the field empty and each opens its own connection (only the last one is kept; the
// others leak). Run with `node --import tsx examples/typescript/db_client/buggy.ts`.
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
  private client?: Connection;

  async connection(): Promise<Connection> {
    if (!this.client) {
      this.client = await connect(); // expect: JS-ASYNC-002
    }
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
  console.log(`${rows.length} queries opened ${opened} connections (one was enough)`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
