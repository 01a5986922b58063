import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from './helpers';

const source = `
export class Transaction {
  finished;
  async commit() {
    if (this.finished) throw new Error('already finished');
    await this.send('COMMIT');
    this.finished = 'commit';
  }
}`;
/** The same method as a compiler emits it for CommonJS and ES modules. */
const compiled = (prefix: string) => `${prefix}
class Transaction {
    async commit() {
        if (this.finished) throw new Error('already finished');
        await this.send('COMMIT');
        this.finished = 'commit';
    }
}
exports.Transaction = Transaction;`;

void describe('one source shipped as several copies is reported once', () => {
  void it('src/ TypeScript, dist/cjs and dist/esm JavaScript: one finding on the source, the copies related', async () => {
    const findings = await analyze({
      '/app/node_modules/orm/dist/cjs/transaction.js': compiled('"use strict";'),
      '/app/node_modules/orm/dist/esm/transaction.js': compiled('// esm build'),
      '/app/node_modules/orm/src/transaction.ts': source,
    });
    assert.deepEqual(findings.map((f) => `${f.file} ${f.ruleId}`), ['/app/node_modules/orm/src/transaction.ts JS-ASYNC-002']);
    const copies = findings[0].related.filter((r) => r.message === 'the same finding in a built copy of this source').map((r) => r.file);
    assert.deepEqual(copies.sort(), ['/app/node_modules/orm/dist/cjs/transaction.js', '/app/node_modules/orm/dist/esm/transaction.js']);
  });

  void it('outside node_modules, files that differ only in build folders and extension are copies', async () => {
    const findings = await analyze({ '/repo/lib/transaction.js': compiled(''), '/repo/src/transaction.ts': source });
    assert.deepEqual(findings.map((f) => f.file), ['/repo/src/transaction.ts']);
  });

  void it('different packages, different modules of a project, and two sites in one file stay separate', async () => {
    const packages = await analyze({ '/app/node_modules/a/index.js': compiled(''), '/app/node_modules/b/index.js': compiled('') });
    assert.equal(packages.length, 2);
    const modules = await analyze({ '/repo/src/a.ts': source, '/repo/src/b.ts': source });
    assert.equal(modules.length, 2);
    const twice = await analyze({ '/repo/src/both.ts': `${source}\n${source.replace('class Transaction', 'class Transaction2')}` });
    assert.equal(twice.length, 2);
  });
});
