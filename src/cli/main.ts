import { ConfigError } from '../analyzers/config-file';
import { PathNotFoundError } from '../analyzers/discover';
import { escapeForDisplay } from '../shared/display-text';
import { analyzeCommand } from './analyze-command';
import { CliError, EXIT_CLEAN, EXIT_ERROR, UsageError, type CliIo } from './io';
import { profileCommand } from './profile-command';
import { TOOL_NAME, TOOL_VERSION } from './version';

type Command = (argv: string[], io: CliIo) => Promise<number>;

/** Subcommands by name; a new one is one more entry. */
const COMMANDS: Record<string, { run: Command; summary: string }> = {
  analyze: { run: analyzeCommand, summary: 'find races and deadlocks in source files' },
  profile: { run: profileCommand, summary: 'measure which pool (threads or processes) a Python function should use' },
};

function mainHelp(): string {
  const commands = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)}${c.summary}`);
  return `Usage: ${TOOL_NAME} <command> [options]

Commands:
${commands.join('\n')}

Options:
  -h, --help     show help (also: ${TOOL_NAME} <command> --help)
  -v, --version  print the version
`;
}

/** Runs one command line and returns the exit code; never throws at the user. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
      io.stdout(mainHelp());
      return EXIT_CLEAN;
    }
    if (name === '-v' || name === '--version') {
      io.stdout(`${TOOL_VERSION}\n`);
      return EXIT_CLEAN;
    }
    const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!command) throw new UsageError(`unknown command "${name}"`);
    return await command.run(rest, io);
  } catch (error) {
    // Messages quote paths and arguments: escaped, each stays one line that cannot forge another.
    if (error instanceof UsageError) {
      io.stderr(`${TOOL_NAME}: ${escapeForDisplay(error.message)}\nRun "${TOOL_NAME} --help" for usage.\n`);
    } else if (error instanceof CliError || error instanceof ConfigError || error instanceof PathNotFoundError) {
      io.stderr(`${TOOL_NAME}: ${escapeForDisplay(error.message)}\n`);
    } else if (io.env.CONCLENS_DEBUG) {
      io.stderr(`${TOOL_NAME}: internal error\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    } else {
      const message = error instanceof Error ? error.message : String(error);
      io.stderr(`${TOOL_NAME}: internal error: ${escapeForDisplay(message.split('\n')[0] ?? '')} (rerun with CONCLENS_DEBUG=1 for details)\n`);
    }
    return EXIT_ERROR;
  }
}
