// e2e scenarios of the profiler in the editor: palette → progress → timeline panel with the
// verdict, a span click reveals the function, a theme switch recolours the panel, the CodeLens
// of an exported TypeScript function profiles it under Node, and a cancelled profile leaves no
// process behind. They run in their own pass on a workspace whose
// settings keep each profile tiny (2-core machines).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pick, runCommand, waitForWorkbench } from './workbench.mjs';

let workspaceRoot;

/** Tiny profiles and a known dark theme to start from; remembers the workspace for the /proc scan. */
export function prepareProfilingWorkspace(workspace) {
  workspaceRoot = workspace;
  mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
  const settings = {
    'workbench.colorTheme': 'Default Dark Modern',
    'concurrencyLens.profiler.workers': [1, 2],
    'concurrencyLens.profiler.repeat': 1,
    'concurrencyLens.profiler.kinds': ['serial', 'thread', 'process'],
    'concurrencyLens.profiler.timeoutSeconds': 60,
  };
  writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify(settings, null, 2));
}

/** The timeline page inside the webview's two iframes (see ../../../shared/docs/vscode-e2e.md). */
const timeline = (page) =>
  page.frameLocator('iframe.webview.ready[src*="extensionId=conclens.concurrency-lens"]').frameLocator('iframe#active-frame');

/** Processes started for the workspace: the harnesses (Python, Node) and their pool workers run with it as cwd. */
function profiledProcesses() {
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) !== workspaceRoot) continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (/python|conclens-node-/.test(cmdline)) found.push(`${entry}: ${cmdline}`);
    } catch {
      continue;
    }
  }
  return found;
}

/** The cursor line from the status bar ("Ln 12, Col 3"); NaN while no text editor has focus (the item is hidden). */
async function cursorLine(page) {
  const item = page.locator('[id="status.editor.selection"]').first();
  if (!(await item.isVisible())) return NaN;
  const text = (await item.textContent()) ?? '';
  return Number(/Ln (\d+)/.exec(text)?.[1] ?? NaN);
}

async function waitForCursorLine(page, line, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while ((await cursorLine(page)) !== line && Date.now() < deadline) await page.waitForTimeout(100);
  return cursorLine(page);
}

/** Moves the cursor of the editor in the first group (the timeline panel opens beside it). */
async function goToLine(page, line) {
  await runCommand(page, 'View: Focus First Editor Group');
  await pick(page, `:${line}`, `${line}`);
  await waitForCursorLine(page, line);
}

/** Starts "Profile Function Under Pools" on `line` of profiling.py with `tasks` in the InputBox. */
async function profileAt(page, line, tasks) {
  await runCommand(page, 'View: Focus First Editor Group');
  await pick(page, 'profiling.py', 'profiling.py');
  await page.locator('.tab.active', { hasText: 'profiling.py' }).first().waitFor();
  await goToLine(page, line);
  await runCommand(page, 'Concurrency Lens: Profile Function Under Pools');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(tasks);
  await page.keyboard.press('Enter');
}

export const profilingScenarios = [
  {
    name: 'Profile Function Under Pools from the palette shows progress, then the timeline with the verdict',
    screenshot: 'timeline-panel',
    async run(page) {
      await profileAt(page, 7, '[3000] * 4');
      const progress = page.locator('.notification-toast', { hasText: 'profiling count_primes' });
      await progress.waitFor({ timeout: 30_000 });
      // Progress in the panel's words: "thread pool with 2 workers (3 of 5 runs done)".
      await progress.filter({ hasText: /(serial run|(thread|process) pool with \d+ workers?) \(\d+ of \d+ runs done\)/ }).waitFor({ timeout: 60_000 });
      const verdict = timeline(page).locator('[data-testid="verdict"]');
      await verdict.waitFor({ timeout: 120_000 });
      const headline = (await verdict.locator('.headline').textContent()) ?? '';
      assert.match(headline, /^(Use a (thread|process) pool with \d+ workers?|Run serially): /);
      await page.locator('.tab', { hasText: 'Timeline: count_primes' }).waitFor();
      // The toast and the CodeLens say what the panel says, with one multiplication sign.
      const words = headline.split(':')[0];
      const toast = page.locator('.notification-toast', { hasText: `Concurrency Lens: count_primes: ${words}` });
      await toast.waitFor({ timeout: 30_000 });
      assert.doesNotMatch((await toast.textContent()) ?? '', /\dx\b|×\d|\.0%/);
      await runCommand(page, 'View: Focus First Editor Group');
      const lens = page.locator('.codelens-decoration', { hasText: `Profile under pools` }).filter({ hasText: words }).first();
      await lens.waitFor({ timeout: 30_000 });
      assert.doesNotMatch((await lens.textContent()) ?? '', /\dx\b|×\d|\.0%/);
    },
  },
  {
    name: 'Export Chrome Trace… is in the palette while the timeline is open but not focused, and writes the trace',
    screenshot: 'chrome-trace-exported',
    async run(page) {
      await runCommand(page, 'View: Focus First Editor Group');
      await page.locator('.tab.active', { hasText: 'profiling.py' }).first().waitFor();
      await runCommand(page, 'Concurrency Lens: Export Chrome Trace…');
      // code-server's save dialog is a quick input holding the path. It opens on the folder and
      // writes the default path in once it has listed it, which would replace a path typed
      // before (a busy machine lists slowly): type ours after the default has arrived.
      const target = path.join(workspaceRoot, 'exported.chrome-trace.json');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor();
      const deadline = Date.now() + 30_000;
      while (!(await input.inputValue()).endsWith('/count_primes.chrome-trace.json') && Date.now() < deadline) await page.waitForTimeout(100);
      assert.match(await input.inputValue(), /\/count_primes\.chrome-trace\.json$/, 'the dialog offers the function\'s name');
      await input.fill(target);
      await page.keyboard.press('Enter');
      await page.locator('.notification-toast', { hasText: 'Chrome trace written to exported.chrome-trace.json' }).waitFor({ timeout: 30_000 });
      assert.ok(existsSync(target));
      assert.ok(JSON.parse(readFileSync(target, 'utf8')).traceEvents.length > 0);
    },
  },
  {
    name: 'Clicking a task span in the timeline reveals the function in the editor',
    screenshot: 'timeline-reveal',
    async run(page) {
      await goToLine(page, 20);
      assert.equal(await cursorLine(page), 20);
      const canvas = timeline(page).locator('[data-testid="timeline-canvas"]');
      const tooltip = timeline(page).locator('[data-testid="timeline-tooltip"]');
      await canvas.scrollIntoViewIfNeeded();
      const box = await canvas.boundingBox();
      assert.ok(box, 'the timeline canvas is laid out');
      // Hover until the tooltip offers to open the function: that point is on a task span.
      let target;
      for (let y = 4; y < box.height && !target; y += 6) {
        for (let x = box.width * 0.3; x < box.width * 0.95 && !target; x += box.width / 16) {
          await page.mouse.move(box.x + x, box.y + y);
          if (/click: open count_primes/.test((await tooltip.textContent({ timeout: 1_000 }).catch(() => '')) ?? '')) target = { x, y };
        }
      }
      assert.ok(target, 'a task span under the mouse offers to open count_primes');
      await page.mouse.click(box.x + target.x, box.y + target.y);
      assert.equal(await waitForCursorLine(page, 5), 5, 'the cursor is on `def count_primes` (line 5)');
      await page.locator('.tab.active', { hasText: 'profiling.py' }).first().waitFor();
    },
  },
  {
    name: 'Switching between a dark and a light theme recolours the timeline',
    screenshot: 'timeline-light-theme',
    async run(page) {
      // The canvas paints with --cl-running, which styles.css takes from the contributed colour.
      const running = () =>
        timeline(page)
          .locator('body')
          .evaluate((body) => body.ownerDocument.defaultView.getComputedStyle(body).getPropertyValue('--cl-running').trim().toLowerCase());
      const hasPixel = (hex) =>
        timeline(page)
          .locator('[data-testid="timeline-canvas"]')
          .evaluate((canvas, wanted) => {
            const [r, g, b] = [1, 3, 5].map((i) => parseInt(wanted.slice(i, i + 2), 16));
            const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
            for (let i = 0; i < data.length; i += 4) {
              if (Math.abs(data[i] - r) <= 2 && Math.abs(data[i + 1] - g) <= 2 && Math.abs(data[i + 2] - b) <= 2) return true;
            }
            return false;
          }, hex);
      const switchTo = async (theme, expected) => {
        // "Browse Color Themes in Marketplace" ranks first for this text, so the row is clicked.
        await page.keyboard.press('Escape');
        await page.keyboard.press('F1');
        await page.locator('.quick-input-widget input').fill('>Preferences: Color Theme');
        await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Preferences: Color Theme' }).filter({ hasNotText: 'Marketplace' }).first().click();
        await page.locator('.quick-input-widget input').fill(theme);
        await page.locator('.quick-input-list .monaco-list-row').first().filter({ hasText: theme }).waitFor();
        await page.keyboard.press('Enter');
        const deadline = Date.now() + 20_000;
        while ((await running()) !== expected && Date.now() < deadline) await page.waitForTimeout(200);
        assert.equal(await running(), expected, `concurrencyLens.timeline.running under ${theme}`);
        while (!(await hasPixel(expected)) && Date.now() < deadline) await page.waitForTimeout(200);
        assert.ok(await hasPixel(expected), `the canvas paints running time in ${expected} under ${theme}`);
      };
      await switchTo('Dark Modern', '#56b4e9');
      await switchTo('Light Modern', '#0072b2');
      assert.equal(await hasPixel('#56b4e9'), false, 'no running span keeps the dark colour');
    },
  },
  {
    name: 'After a window reload the timeline panel is restored with its trace',
    screenshot: 'timeline-restored',
    async run(page) {
      await runCommand(page, 'Developer: Reload Window');
      await page.waitForTimeout(1_000);
      await waitForWorkbench(page);
      await page.locator('.tab', { hasText: 'Timeline: count_primes' }).waitFor({ timeout: 60_000 });
      // A restored panel that is not the active tab is only drawn once it is shown.
      await page.locator('.tab', { hasText: 'Timeline: count_primes' }).click();
      const verdict = timeline(page).locator('[data-testid="verdict"]');
      await verdict.waitFor({ timeout: 60_000 });
      assert.match((await verdict.textContent()) ?? '', /serial|thread|process/);
    },
  },
  {
    name: 'The CodeLens above an exported TypeScript function profiles it under Node and shows its timeline',
    screenshot: 'timeline-typescript',
    async run(page) {
      await runCommand(page, 'View: Focus First Editor Group');
      await pick(page, 'profiling.ts', 'profiling.ts');
      await page.locator('.tab.active', { hasText: 'profiling.ts' }).first().waitFor();
      const lens = page.locator('.codelens-decoration a', { hasText: 'Profile under pools' }).first();
      await lens.waitFor({ timeout: 30_000 });
      await lens.click();
      const input = page.locator('.quick-input-widget input');
      await input.waitFor();
      assert.equal(await input.inputValue(), '[200000, 200000, 200000, 200000]', 'the prompt offers the tasks of the // conclens: tasks= comment');
      await page.keyboard.press('Enter');
      await page.locator('.notification-toast', { hasText: 'profiling sumOfSquares' }).waitFor({ timeout: 30_000 });
      await page.locator('.tab', { hasText: 'Timeline: sumOfSquares' }).waitFor({ timeout: 120_000 });
      const verdict = timeline(page).locator('[data-testid="verdict"]');
      await verdict.waitFor({ timeout: 120_000 });
      assert.match((await verdict.textContent()) ?? '', /^(Run serially|Use a (worker_threads|child_process) pool with \d+ workers?): /, 'the headline in the panel\'s words, with Node\'s pool names');
      const canvas = timeline(page).locator('[data-testid="timeline-canvas"]');
      assert.ok(await canvas.evaluate((c) => c.width > 0 && c.height > 0), 'the timeline is drawn');
    },
  },
  {
    name: 'Cancelling a profile from the notification leaves no profiled process',
    screenshot: 'profile-cancelled',
    async run(page) {
      await profileAt(page, 18, '[60_000_000] * 8');
      const progress = page.locator('.notification-toast', { hasText: 'profiling spin' });
      await progress.filter({ hasText: /serial run|pool with \d+ workers?/ }).waitFor({ timeout: 60_000 });
      const before = profiledProcesses();
      assert.ok(before.length > 0, 'the profiled interpreter is running before the cancel');
      await progress.getByRole('button', { name: 'Cancel' }).click();
      const cancelledAt = Date.now();
      while (profiledProcesses().length > 0 && Date.now() - cancelledAt < 5_000) await new Promise((resolve) => setTimeout(resolve, 50));
      const left = profiledProcesses();
      assert.deepEqual(left, [], `processes left after the cancel (was: ${before.join('; ')})`);
      assert.ok(Date.now() - cancelledAt <= 2_500, `the process tree was gone ${Date.now() - cancelledAt} ms after the cancel`);
      await progress.waitFor({ state: 'detached', timeout: 10_000 });
    },
  },
  {
    name: 'Asking for the tasks: the prompt comes from the signature, a syntax error is caught while typing and starts nothing, the comment button saves the tasks above the function and profiles',
    screenshot: 'tasks-comment-saved',
    async run(page, { screenshot }) {
      const source = readFileSync(path.join(workspaceRoot, 'profiling.py'), 'utf8').split('\n');
      const line = source.findIndex((text) => text.startsWith('def checksum(')) + 2;
      await runCommand(page, 'View: Focus First Editor Group');
      await pick(page, 'profiling.py', 'profiling.py');
      await goToLine(page, line);
      await runCommand(page, 'Concurrency Lens: Profile Function Under Pools');
      const widget = page.locator('.quick-input-widget');
      const input = widget.locator('input');
      await input.waitFor();
      const message = widget.locator('.quick-input-message');
      await message.filter({ hasText: 'checksum(n): one value of n per task, e.g. [100_000] * 8' }).waitFor({ timeout: 10_000 });
      assert.match((await message.textContent()) ?? '', /# conclens: tasks=/);
      await input.fill('[200_000] * 8 +');
      await message.filter({ hasText: 'The expression is incomplete' }).waitFor({ timeout: 10_000 });
      await screenshot('tasks-prompt-invalid');
      await page.keyboard.press('Enter');
      await page.waitForTimeout(2_000);
      assert.ok(await input.isVisible(), 'Enter on an invalid expression keeps the box open');
      assert.equal(await page.locator('.notification-toast', { hasText: 'profiling checksum' }).count(), 0, 'nothing started');
      assert.equal(await page.locator('.tab', { hasText: 'Timeline: checksum' }).count(), 0, 'no panel for a run that never started');
      await input.fill('[20_000] * 4');
      await message.filter({ hasText: 'checksum(n): one value of n per task' }).waitFor({ timeout: 10_000 });
      // The input's hover (its placeholder) can cover the title-bar button: move the pointer off first.
      await page.mouse.move(5, 450);
      await widget.locator('.action-label[aria-label^="Save as a"]').click();
      await page.locator('.editor-instance .view-line', { hasText: /#\sconclens:\stasks=\[20_000\]\s\*\s4/ }).first().waitFor({ timeout: 30_000 });
      await page.locator('.notification-toast', { hasText: /Concurrency Lens: checksum: (Use a|Run serially)/ }).waitFor({ timeout: 120_000 });
      await page.locator('.tab', { hasText: 'Timeline: checksum' }).waitFor();
      const saved = readFileSync(path.join(workspaceRoot, 'profiling.py'), 'utf8');
      assert.match(saved, /# conclens: tasks=\[20_000\] \* 4\ndef checksum\(n\):/, 'the comment is saved above the def');
    },
  },
];
