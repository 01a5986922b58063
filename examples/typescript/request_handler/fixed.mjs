// The fix: do each read-modify-write with no await between the read and the write. The visit
// counter is bumped synchronously before the audit awaits; the reservation awaits the audit
// first and then subtracts from the current value (`const v = await f(); x -= v` reads `x`
// after the await). Every request counts.
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
    const audited = await audit(quantity);
    this.available -= audited;
  }
}

const stock = new Stock();

const server = http.createServer(async (req, res) => {
  if (req.url === '/visit') {
    visits += 1;
    await audit('visit');
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
