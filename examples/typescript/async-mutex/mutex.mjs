// A minimal async mutex with the API of the `async-mutex` package (`acquire` resolving to a
// release function, `runExclusive`, `waitForUnlock`, `isLocked`), so the examples run with
// plain node and no dependencies. Waiters are served in FIFO order; like async-mutex it is
// not re-entrant. It lives in a folder named `async-mutex`, like a vendored copy of the
// package, which is how type-aware analysis tells async-mutex's Mutex from other classes.
export class Mutex {
  #locked = false;
  #waiters = [];
  #unlockWaiters = [];

  acquire() {
    return new Promise((resolve) => {
      const grant = () => {
        this.#locked = true;
        resolve(this.#releaser());
      };
      if (this.#locked) this.#waiters.push(grant);
      else grant();
    });
  }

  async runExclusive(callback) {
    const release = await this.acquire();
    try {
      return await callback();
    } finally {
      release();
    }
  }

  waitForUnlock() {
    return new Promise((resolve) => {
      if (this.#locked) this.#unlockWaiters.push(resolve);
      else resolve();
    });
  }

  isLocked() {
    return this.#locked;
  }

  #releaser() {
    let released = false;
    return () => {
      // A second call of the same release function must not free a lock someone else now holds.
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      if (next) {
        next();
        return;
      }
      this.#locked = false;
      for (const resolve of this.#unlockWaiters.splice(0)) resolve();
    }
  }
}
