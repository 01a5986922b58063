// I/O-bound, in JavaScript: each task fetches a quote from a slow HTTP server this module
// starts on 127.0.0.1 (never the network). The calls spend their time awaiting the socket, so
// several in flight on one event loop overlap: async wins and no pool is needed.
import http from 'node:http';

const RESPONSE_DELAY_MS = 50;

function startServer() {
  const server = http.createServer((request, response) => {
    setTimeout(() => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ path: request.url, price: 101.5 }));
    }, RESPONSE_DELAY_MS);
  });
  // The server must not keep a process alive on its own: every thread or process that loads
  // this module starts one, and ends when its work is done.
  server.unref();
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`)));
}

const serverUrl = await startServer();

function getJson(url) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve(JSON.parse(body)));
      })
      .on('error', reject);
  });
}

// conclens: tasks=Array.from({ length: 16 }, (_, i) => i)
export async function fetchQuote(id) {
  const quote = await getJson(`${serverUrl}/quote/${id}`);
  return { id, price: quote.price };
}
