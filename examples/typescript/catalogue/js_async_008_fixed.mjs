// The fix: the handler that sees 'end' records it, and `end()` looks at the record before it
// waits, so a call after the event returns at once.
import { EventEmitter } from 'node:events';

class Connection extends EventEmitter {
  end() {
    if (!this.ending) setTimeout(() => this.emit('end'), 10);
    this.ending = true;
  }
}

class Client {
  constructor() {
    this.ended = false;
    this.connection = new Connection();
    this.connection.once('end', () => {
      this.ended = true;
    });
  }

  end() {
    if (this.ended) return Promise.resolve();
    this.connection.end();
    return new Promise((resolve) => {
      this.connection.once('end', resolve);
    });
  }
}

const client = new Client();
await client.end();
const second = await Promise.race([client.end().then(() => 'settled'), new Promise((resolve) => setTimeout(() => resolve('still waiting'), 100))]);
console.log(`first end(): settled; second end(): ${second}`);
