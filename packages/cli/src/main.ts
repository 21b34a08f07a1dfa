import { ALCOVE_VERSION } from '@alcove/server';
import {
  DataFolderInUseError,
  EmailTakenError,
  MigrationError,
  NotInitialisedError,
  UnlockError,
} from '@alcove/store';
import { Command, CommanderError, Option } from 'commander';
import {
  type AuditOptions,
  auditCheckpointCommand,
  auditForgetContextCommand,
  auditVerifyCommand,
} from './commands/audit.ts';
import { backupCommand, restoreCommand } from './commands/backup.ts';
import { clausesCommand } from './commands/clauses.ts';
import { demoCodeCommand, demoCommand } from './commands/demo.ts';
import { type InitOptions, initCommand } from './commands/init.ts';
import { rotateKeysCommand } from './commands/keys.ts';
import { migrateCommand } from './commands/migrate.ts';
import { registerPeopleCommands } from './commands/people.ts';
import { recoverCommand } from './commands/recover.ts';
import { resetSecondFactorCommand } from './commands/second-factor.ts';
import { type ServeOptions, serveCommand } from './commands/serve.ts';
import { CliError, type CliIo } from './context.ts';
import type { UnlockOptions } from './unlock.ts';
import type { WitnessOptions } from './witness.ts';

function dataOption(): Option {
  return new Option(
    '--data <dir>',
    'the data folder (default: $ALCOVE_DATA, else ~/.local/share/alcove); ignored when DATABASE_URL is set',
  );
}

function keyFileOption(): Option {
  return new Option('--key-file <path>', 'unlock with this key file (or ALCOVE_KEY_FILE / ALCOVE_KEY)');
}

function secretKeyFileOption(): Option {
  return new Option(
    '--secret-key-file <path>',
    'with the passphrase (ALCOVE_PASSPHRASE, or asked): the secret-key file (default ~/.config/alcove/secret-key)',
  );
}

function witnessOption(): Option {
  return new Option(
    '--witness <file>',
    'the audit witness, outside the data folder (or ALCOVE_WITNESS; default: beside the key file or secret-key file, or with ALCOVE_KEY in $XDG_STATE_HOME/alcove)',
  );
}

function program(io: CliIo): Command {
  const root = new Command('alcove')
    .description('Alcove: practice records for sexual and relationship therapists.')
    .version(ALCOVE_VERSION, '-v, --version')
    // Options belong to the command they follow: `alcove demo code --data D` is code's --data.
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.out(text.trimEnd()),
      writeErr: (text) => io.err(text.trimEnd()),
    })
    .showHelpAfterError('(run alcove --help for usage)');

  root
    .command('init')
    .description(
      'create a new practice, its keys and the first practitioner account; prints the recovery kit',
    )
    .addOption(dataOption())
    .requiredOption('--practice-name <name>', "the practice's name, as clients will see it")
    .requiredOption('--email <email>', "the first practitioner's e-mail address (their sign-in)")
    .requiredOption('--name <name>', "the first practitioner's name")
    .option(
      '--key-file <path>',
      'unlock with a new key file written here (unattended servers), instead of a passphrase',
    )
    .option(
      '--secret-key-file <path>',
      'the secret-key file that goes with the passphrase (default ~/.config/alcove/secret-key)',
    )
    .addHelpText(
      'after',
      '\nThe account password comes from ALCOVE_INIT_PASSWORD, the passphrase from ALCOVE_PASSPHRASE; otherwise both are asked for.',
    )
    .action((options: InitOptions) => initCommand(io, options));

  root
    .command('serve')
    .description('serve the web app and the API (default http://127.0.0.1:8080)')
    .addOption(dataOption())
    .option('--host <host>', 'address to listen on (default: $HOST, else 127.0.0.1)')
    .option('--port <port>', 'port to listen on (default: $PORT, else 8080)')
    .option('--no-web', 'serve the API only')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM; or ALCOVE_TLS_CERT)')
    .option('--tls-key <file>', "the certificate's private key (PEM; or ALCOVE_TLS_KEY)")
    .option(
      '--behind-proxy',
      'an HTTPS reverse proxy on this machine forwards to Alcove (or ALCOVE_BEHIND_PROXY=1)',
    )
    .addOption(keyFileOption())
    .addOption(secretKeyFileOption())
    .addOption(witnessOption())
    .action((options: ServeOptions) => serveCommand(io, options));

  root
    .command('migrate')
    .description('bring the database to the newest schema')
    .addOption(dataOption())
    .action((options: { data?: string }) => migrateCommand(io, options));

  const demo = root
    .command('demo')
    .description('create the fictional demo practice (never in a folder that holds a real one)')
    .addOption(dataOption())
    .option('--key-file <path>', "the demo's key file (default: beside the data folder)")
    .option(
      '--scale <size>',
      'add a generated caseload: solo (300 clients, 15,000 notes) or organisation (1,000 practitioners, 100,000 clients, 1,000,000 notes)',
    )
    .option('--seed <n>', "the generator's seed: the same seed gives the same caseload (default 1)")
    .action((options: { data?: string; keyFile?: string; scale?: string; seed?: string }) =>
      demoCommand(io, options),
    );
  demo
    .command('code')
    .description("print a demo account's current authenticator code (the demo practice only)")
    .addOption(dataOption())
    .option('--key-file <path>', "the demo's key file (default: beside the data folder)")
    .option('--email <email>', 'which demo account (default: the practitioner)')
    .action((options: { data?: string; keyFile?: string; email?: string }) => demoCodeCommand(io, options));

  const audit = root.command('audit').description('the tamper-evident audit log');
  audit
    .command('verify')
    .description(
      'check every event and signed checkpoint, and compare the log with its witness; exits 3 if anything was changed, removed, added or reordered, or the log ends before the witnessed checkpoint',
    )
    .addOption(dataOption())
    .addOption(keyFileOption())
    .addOption(secretKeyFileOption())
    .addOption(witnessOption())
    .action((options: AuditOptions) => auditVerifyCommand(io, options));
  audit
    .command('checkpoint')
    .description('sign the head of the log now, and append it to the witness')
    .addOption(dataOption())
    .addOption(keyFileOption())
    .addOption(secretKeyFileOption())
    .addOption(witnessOption())
    .action((options: AuditOptions) => auditCheckpointCommand(io, options));
  audit
    .command('forget-context')
    .description(
      'when log retention ends: delete the address and browser kept beside events from before a day; the events and their chain stay whole',
    )
    .requiredOption('--before <day>', 'the first day whose context is kept (yyyy-mm-dd, London time)')
    .addOption(dataOption())
    .addOption(keyFileOption())
    .addOption(secretKeyFileOption())
    .action((options: UnlockOptions & { data?: string; before: string }) =>
      auditForgetContextCommand(io, options),
    );

  registerPeopleCommands(root, io, {
    data: dataOption,
    keyFile: keyFileOption,
    secretKeyFile: secretKeyFileOption,
  })
    .command('reset-second-factor')
    .description(
      "remove one account's authenticator and recovery codes (lost phone), ending its sessions and API tokens; it enrols again at its next sign-in",
    )
    .requiredOption('--email <address>', "the account's e-mail address")
    .addOption(dataOption())
    .addOption(keyFileOption())
    .addOption(secretKeyFileOption())
    .action((options: UnlockOptions & { data?: string; email: string }) =>
      resetSecondFactorCommand(io, options),
    );

  root
    .command('clauses')
    .description(
      'the coverage table of the Code: every clause, its duty, status and rules, and whether a passing test proves each claim',
    )
    .option('--json', 'print it as JSON')
    .action((options: { json?: boolean }) => clausesCommand(io, options));

  root
    .command('keys')
    .description('the practice keys')
    .command('rotate')
    .description('give every practice a new key; re-wraps data keys, re-encrypts nothing (stop Alcove first)')
    .addOption(dataOption())
    .addOption(keyFileOption())
    .addOption(secretKeyFileOption())
    .action((options: UnlockOptions & { data?: string }) => rotateKeysCommand(io, options));

  root
    .command('backup')
    .description('take an online, consistent, encrypted backup (safe while Alcove runs)')
    .addOption(dataOption())
    .option('--out <file>', 'where to write it (default: alcove-backup-<time>.alcove here)')
    .addOption(keyFileOption())
    .addOption(secretKeyFileOption())
    .addOption(witnessOption())
    .action((options: UnlockOptions & WitnessOptions & { data?: string; out?: string }) =>
      backupCommand(io, options),
    );

  root
    .command('restore')
    .description('restore a backup into a new data folder (or an empty DATABASE_URL) and verify it')
    .argument('<file>', 'the backup')
    .option('--into <dir>', 'the new data folder')
    .addOption(keyFileOption())
    .addOption(secretKeyFileOption())
    .addOption(witnessOption())
    .action((file: string, options: UnlockOptions & WitnessOptions & { into?: string }) =>
      restoreCommand(io, file, options),
    );

  root
    .command('recover')
    .description(
      'set a new practice passphrase with the recovery kit (ALCOVE_RECOVERY_KIT, ALCOVE_NEW_PASSPHRASE, or asked)',
    )
    .addOption(dataOption())
    .addOption(secretKeyFileOption())
    .action((options: { data?: string; secretKeyFile?: string }) => recoverCommand(io, options));

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
  if (
    error instanceof UnlockError ||
    error instanceof NotInitialisedError ||
    error instanceof EmailTakenError
  ) {
    io.err(error.message);
    return 1;
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
