// Entry point of the `conclens` command (bundled to dist/cli.js).
import { main } from './cli/main';

void main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  cwd: process.cwd(),
  env: process.env,
}).then((code) => {
  // Setting exitCode (not calling exit) lets piped stdout drain before the process ends.
  process.exitCode = code;
});
