import { ALCOVE_VERSION } from '@alcove/server';
import { DataFolderInUseError, MigrationError } from '@alcove/store';
import { Command, CommanderError, Option } from 'commander';
import { demoCommand } from './commands/demo.ts';
import { initCommand } from './commands/init.ts';
import { migrateCommand } from './commands/migrate.ts';
import { serveCommand } from './commands/serve.ts';
import { CliError, type CliIo } from './context.ts';

function dataOption(): Option {
  return new Option(
    '--data <dir>',
    'the data folder (default: $ALCOVE_DATA, else ~/.local/share/alcove); ignored when DATABASE_URL is set',
  );
}

function program(io: CliIo): Command {
  const root = new Command('alcove')
    .description('Alcove: practice records for sexual and relationship therapists.')
    .version(ALCOVE_VERSION, '-v, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.out(text.trimEnd()),
      writeErr: (text) => io.err(text.trimEnd()),
    })
    .showHelpAfterError('(run alcove --help for usage)');

  root
    .command('init')
    .description('create a new practice in an empty data folder (or PostgreSQL database)')
    .addOption(dataOption())
    .requiredOption('--practice-name <name>', "the practice's name, as clients will see it")
    .action((options: { data?: string; practiceName: string }) => initCommand(io, options));

  root
    .command('serve')
    .description('serve the web app and the API (default http://127.0.0.1:8080)')
    .addOption(dataOption())
    .option('--host <host>', 'address to listen on (default: $HOST, else 127.0.0.1)')
    .option('--port <port>', 'port to listen on (default: $PORT, else 8080)')
    .option('--no-web', 'serve the API only')
    .action((options: { data?: string; host?: string; port?: string; web?: boolean }) =>
      serveCommand(io, options),
    );

  root
    .command('migrate')
    .description('bring the database to the newest schema')
    .addOption(dataOption())
    .action((options: { data?: string }) => migrateCommand(io, options));

  root
    .command('demo')
    .description('create the fictional demo practice (never in a folder that holds a real one)')
    .addOption(dataOption())
    .action((options: { data?: string }) => demoCommand(io, options));

  return root;
}

/** Runs the alcove command; returns the exit code. Never throws. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    await program(io).parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    return reportError(error, io);
  }
}

function reportError(error: unknown, io: CliIo): number {
  if (error instanceof CommanderError) {
    // Commander has printed its own message (or the help text, which is not an error).
    return error.exitCode;
  }
  if (error instanceof CliError) {
    io.err(error.message);
    return error.exitCode;
  }
  if (error instanceof DataFolderInUseError) {
    io.err(error.message);
    return 1;
  }
  if (error instanceof MigrationError) {
    io.err(`${error.message}; the database is left at the last migration that succeeded.`);
    return 1;
  }
  // The message, never a driver's `detail` (PostgreSQL puts the offending values there).
  const code = error instanceof Error && 'code' in error ? ` [${String(error.code)}]` : '';
  const message = error instanceof Error ? `${error.name}${code}: ${error.message}` : 'unknown error';
  io.err(`alcove stopped on an unexpected error: ${message}`);
  if (io.env.ALCOVE_DEBUG === '1' && error instanceof Error && error.stack !== undefined) {
    io.err(error.stack.split('\n').slice(1).join('\n'));
  }
  return 1;
}
