// Acting on an object that may have been closed meanwhile: `submit` checks `closed`, then
// validates the job asynchronously and queues it in the callback without checking again. A
// `close()` in between has already failed the queued jobs, so this one is stranded forever.
class JobQueue {
  constructor() {
    this.closed = false;
    this.jobs = [];
  }

  submit(job, done) {
    if (this.closed) return done(new Error('queue is closed'));
    validate(job, (err) => {
      if (err) return done(err);
      this.jobs.push({ job, done }); // expect: JS-ASYNC-007
    });
  }

  close() {
    this.closed = true;
    for (const { done } of this.jobs) done(new Error('queue closed before the job ran'));
    this.jobs = [];
  }
}

function validate(job, callback) {
  setTimeout(() => callback(null), 10);
}

const queue = new JobQueue();
let answered = false;
queue.submit('resize photo', () => {
  answered = true;
});
queue.close();
setTimeout(() => {
  console.log(`job answered: ${answered}; jobs stranded on the closed queue: ${queue.jobs.length}`);
}, 50);
