// A lost wake-up: `end()` waits for the connection's 'end' event, which fires once. The first
// call sees it; a second call (or one after the peer hung up) waits for an event that already
// happened, and its promise never settles.
import { EventEmitter } from 'node:events';

class Connection extends EventEmitter {
  end() {
    if (!this.ending) setTimeout(() => this.emit('end'), 10);
    this.ending = true;
  }
}

class Client {
  constructor() {
    this.log = [];
    this.connection = new Connection();
    this.connection.once('end', () => this.log.push('connection ended'));
  }

  end() {
    this.connection.end();
    return new Promise((resolve) => {
      this.connection.once('end', resolve); // expect: JS-ASYNC-008
    });
  }
}

const client = new Client();
await client.end();
const second = await Promise.race([client.end().then(() => 'settled'), new Promise((resolve) => setTimeout(() => resolve('still waiting'), 100))]);
console.log(`first end(): settled; second end(): ${second} after 100 ms`);
