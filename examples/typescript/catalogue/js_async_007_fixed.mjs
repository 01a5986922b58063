// The fix: the callback runs in a later turn, so it checks `closed` again before queueing and
// answers the caller either way.
class JobQueue {
  constructor() {
    this.closed = false;
    this.jobs = [];
  }

  submit(job, done) {
    if (this.closed) return done(new Error('queue is closed'));
    validate(job, (err) => {
      if (err) return done(err);
      if (this.closed) return done(new Error('queue closed while the job was validated'));
      this.jobs.push({ job, done });
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
