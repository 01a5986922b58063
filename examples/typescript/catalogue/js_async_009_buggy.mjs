// Work released before it is done: each page is removed from `inFlight` right after its parse
// is started, so the crawler reports 'done' while the parse callbacks still have pages to emit.
import { EventEmitter } from 'node:events';

class Crawler extends EventEmitter {
  constructor() {
    super();
    this.inFlight = new Set();
  }

  fetch(url) {
    this.inFlight.add(url);
    download(url, (err, body) => {
      parse(body, (parseErr, links) => {
        this.emit('page', url, links);
      });
      this.inFlight.delete(url); // expect: JS-ASYNC-009
      if (this.inFlight.size === 0) this.emit('done');
    });
  }
}

function download(url, callback) {
  setTimeout(() => callback(null, `<a href="${url}/next">`), 5);
}

function parse(body, callback) {
  setTimeout(() => callback(null, [body]), 10);
}

const crawler = new Crawler();
const events = [];
crawler.on('page', (url) => events.push(`page ${url}`));
crawler.on('done', () => events.push('done'));
crawler.fetch('/a');
crawler.fetch('/b');
setTimeout(() => console.log(`events: ${events.join(', ')} ('done' should come last)`), 50);
