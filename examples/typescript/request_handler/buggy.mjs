// Lost updates across `await` in a request handler. Each POST /visit reads the visit counter,
// awaits an (async) audit write, then stores the value it read plus one; each POST /order
// reserves stock with `this.available - await …`, which reads `available` before the await.
// Ten concurrent requests interleave at those awaits and most updates are lost.
// The server listens on 127.0.0.1 on a free port and is closed at the end.
import http from 'node:http';
import { sleep } from '../sleep.mjs';

let visits = 0;

async function audit(what) {
  await sleep(5);
  return what;
}

export class Stock {
  available = 100;

  async reserve(quantity) {
    this.available = this.available - await audit(quantity); // expect: JS-ASYNC-001
  }
}

const stock = new Stock();

const server = http.createServer(async (req, res) => {
  if (req.url === '/visit') {
    const current = visits;
    await audit('visit');
    visits = current + 1; // expect: JS-ASYNC-005
  } else if (req.url === '/order') {
    await stock.reserve(1);
  }
  res.end('ok');
});

await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();
const post = (url) => new Promise((resolve, reject) => {
  http.request({ host: '127.0.0.1', port, path: url, method: 'POST' }, (res) => res.resume().on('end', resolve)).on('error', reject).end();
});

const REQUESTS = 10;
await Promise.all(Array.from({ length: REQUESTS }, () => Promise.all([post('/visit'), post('/order')])));
server.close();
console.log(`visits counted: ${visits} of ${REQUESTS}; stock left: ${stock.available} (expected ${100 - REQUESTS})`);
