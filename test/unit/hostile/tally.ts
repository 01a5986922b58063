import { after, test } from 'node:test';

/**
 * The hostile-input suite: each case is one input a user's machine or repository can throw at
 * conclens (a FIFO, an unreadable directory, a file that aborts the parser, a forged file
 * name…). A case is lost when its assertions fail: a crash, a hang, a file lost without a
 * notice, an exit code that does not tell the truth. Each file prints its tally at the end.
 */
/** A hang is a lost case too; the biggest inputs take seconds, a loaded machine a few times more. */
const CASE_TIMEOUT_MS = 180_000;

export function hostileCases(suite: string): (title: string, run: () => Promise<void>) => void {
  let tried = 0;
  let lost = 0;
  after(() => console.log(`hostile inputs (${suite}): ${tried} cases tried, ${lost} lost`));
  return (title, run) => {
    void test(title, { timeout: CASE_TIMEOUT_MS }, async () => {
      tried++;
      try {
        await run();
      } catch (error) {
        lost++;
        throw error;
      }
    });
  };
}
