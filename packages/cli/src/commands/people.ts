import { AlcoveError, formatDate, staffInvitationMessage } from '@alcove/core';
import { ALCOVE_VERSION } from '@alcove/server';
import {
  accountContact,
  appendAuditEvent,
  auditSource,
  changeStaffMember,
  createPasswordReset,
  createStaffInvitation,
  type Database,
  endEverySessionAndToken,
  enqueuePracticeMessage,
  findUserByEmail,
  hasClientMembership,
  isStaffRole,
  lastSignIns,
  listPractices,
  mailSettingsOf,
  membershipsOf,
  pendingStaffInvitations,
  recordAuditEvent,
  type StaffChange,
  type StaffRole,
  type Store,
  staffMembers,
  withAuditSource,
} from '@alcove/store';
import type { Command, Option } from 'commander';
import type { Transaction } from 'kysely';
import { CliError, type CliIo, clockFor } from '../context.ts';
import { type UnlockOptions, withUnlockedStore } from '../unlock.ts';

/**
 * `alcove people …`: the practice's people, from the command line of the machine that holds
 * the data folder (and its key). Each subcommand is one function below; `registerPeopleCommands`
 * adds them all to the program.
 */

/** The options every people command takes: where the data is, and how to unlock it. */
export interface PeopleOptionFactories {
  readonly data: () => Option;
  readonly keyFile: () => Option;
  readonly secretKeyFile: () => Option;
}

export type PeopleOptions = UnlockOptions & { data?: string };

export function registerPeopleCommands(root: Command, io: CliIo, options: PeopleOptionFactories): Command {
  const people = root.command('people').description("the practice's people: staff accounts");
  people
    .command('end-sessions')
    .description(
      'end every signed-in session and revoke every API token of one account, at once (safe while Alcove runs)',
    )
    .requiredOption('--email <address>', "the account's e-mail address")
    .addOption(options.data())
    .addOption(options.keyFile())
    .addOption(options.secretKeyFile())
    .action((opts: PeopleOptions & { email: string }) => endSessionsCommand(io, opts));
  registerStaffCommands(people, io, options);
  registerResetPasswordCommand(people, io, options);
  return people;
}

/**
 * `alcove people end-sessions --email <address>`: every session of the account ends and
 * every token is revoked in one transaction, audited in each practice it belongs to (ids
 * only). A running server refuses them on their next request: it reads sessions from the
 * database on every one.
 */
export async function endSessionsCommand(
  io: CliIo,
  options: PeopleOptions & { email: string },
): Promise<void> {
  const ended = await actOnAccount(io, options, 'people.sessions-ended', endEverySessionAndToken);
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  io.out(
    `Ended ${plural(ended.sessions, 'session', 'sessions')} and revoked ${plural(ended.tokens, 'API token', 'API tokens')} of that account. Its browsers are signed out on their next request.`,
  );
}

/**
 * Finds the account with this address and does `act` to it in one transaction, audited
 * (`action`, ids only) in each practice the account belongs to. The address is never
 * repeated: the terminal may be logged, or shared.
 */
export async function actOnAccount<T>(
  io: CliIo,
  options: PeopleOptions & { email: string },
  action: string,
  act: (trx: Transaction<Database>, userId: string, now: string) => Promise<T>,
): Promise<T> {
  return withUnlockedStore(io, options, { lock: false }, async (store, keyring) => {
    const user = await findUserByEmail(store.db, keyring, options.email);
    if (user === undefined) throw new CliError('No account has that e-mail address.');
    const practiceIds = [...new Set((await membershipsOf(store.db, user.id)).map((m) => m.practiceId))];
    const now = clockFor(io)().toISOString();
    return withAuditSource(auditSource(null, `alcove-cli/${ALCOVE_VERSION}`), () =>
      store.db.transaction().execute(async (trx) => {
        const result = await act(trx, user.id, now);
        for (const practiceId of practiceIds.length === 0 ? [null] : practiceIds) {
          await appendAuditEvent(trx, {
            practiceId,
            action,
            outcome: 'ok',
            recordType: 'user',
            recordId: user.id,
            purpose: 'security',
            at: now,
          });
        }
        return result;
      }),
    );
  });
}

// ---------------------------------------------------------------- the practice's staff (issue 16, E)

/** A practice among several is named by id; where there is one, it is that one. */
export type StaffCommandOptions = PeopleOptions & { practice?: string };

const staffRoleList = ['practitioner', 'administrator', 'supervisor', 'executor'] as const;

function registerStaffCommands(people: Command, io: CliIo, options: PeopleOptionFactories): void {
  const common = (command: Command) =>
    command
      .option(
        '--practice <id>',
        'the practice, where this installation has several (alcove people list shows them)',
      )
      .addOption(options.data())
      .addOption(options.keyFile())
      .addOption(options.secretKeyFile());
  common(
    people
      .command('list')
      .description("list the practice's staff (never its clients) and the invitations waiting"),
  ).action((opts: StaffCommandOptions) => listStaffCommand(io, opts));
  common(
    people
      .command('invite')
      .description(
        'invite someone to the staff with roles: e-mailed when the practice sends e-mail, else the link is printed once, to hand over in person',
      )
      .requiredOption('--email <address>', "the person's e-mail address (their sign-in)")
      .requiredOption('--name <name>', "the person's name")
      .requiredOption('--role <roles...>', `one or more of: ${staffRoleList.join(', ')}`)
      .option(
        '--site-url <url>',
        'the address people open Alcove at, for the link (default: the e-mail settings’)',
      ),
  ).action((opts: StaffCommandOptions & InviteOptions) => inviteStaffCommand(io, opts));
  common(
    people
      .command('role')
      .description("set a staff member's roles; their sessions and API tokens end")
      .requiredOption('--email <address>', "the account's e-mail address")
      .requiredOption('--role <roles...>', `one or more of: ${staffRoleList.join(', ')}`),
  ).action((opts: StaffCommandOptions & { email: string; role: string[] }) =>
    changeStaffCommand(io, opts, { kind: 'roles', roles: parseRoles(opts.role) }),
  );
  for (const [name, kind, description] of [
    [
      'suspend',
      'suspend',
      'suspend a staff member from the practice; their sessions and API tokens end at once',
    ],
    ['reinstate', 'reinstate', 'reinstate a suspended staff member'],
    [
      'remove',
      'remove',
      'remove a staff member from the practice (their account and other practices stay); their sessions and API tokens end',
    ],
  ] as const) {
    common(
      people
        .command(name)
        .description(description)
        .requiredOption('--email <address>', "the account's e-mail address"),
    ).action((opts: StaffCommandOptions & { email: string }) => changeStaffCommand(io, opts, { kind }));
  }
}

interface InviteOptions {
  readonly email: string;
  readonly name: string;
  readonly role: string[];
  readonly siteUrl?: string;
}

function parseRoles(values: readonly string[]): StaffRole[] {
  const roles = values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
  const wrong = roles.filter((r) => !isStaffRole(r));
  if (wrong.length > 0 || roles.length === 0)
    throw new CliError(`Roles are one or more of: ${staffRoleList.join(', ')}.`, 2);
  return [...new Set(roles)] as StaffRole[];
}

async function choosePracticeFor(
  store: Store,
  practice: string | undefined,
): Promise<{ id: string; name: string }> {
  const practices = await listPractices(store.db);
  if (practice !== undefined) {
    const found = practices.find((p) => p.id === practice);
    if (found === undefined)
      throw new CliError('There is no practice with that id (alcove people list shows them).');
    return found;
  }
  const [only, ...more] = practices;
  if (only === undefined) throw new CliError('This installation has no practice yet: run alcove init.');
  if (more.length > 0) {
    throw new CliError(
      `This installation has ${practices.length} practices: choose one with --practice <id>.\n${practices
        .map((p) => `  ${p.id}  ${p.name}`)
        .join('\n')}`,
      2,
    );
  }
  return only;
}

const cliSource = () => auditSource(null, `alcove-cli/${ALCOVE_VERSION}`);

/** `alcove people list`: the staff, with roles, status and second factor; the invitations waiting. */
export async function listStaffCommand(io: CliIo, options: StaffCommandOptions): Promise<void> {
  await withUnlockedStore(io, options, { lock: false }, async (store, keyring) => {
    const practice = await choosePracticeFor(store, options.practice);
    const now = clockFor(io)().toISOString();
    const members = await staffMembers(store.db, practice.id);
    const last = await lastSignIns(
      store.db,
      practice.id,
      members.map((m) => m.userId),
    );
    io.out(`${practice.name} (${practice.id})`);
    for (const member of members) {
      const contact = await accountContact(store.db, keyring, member.userId);
      const flags = [
        member.suspended ? 'SUSPENDED' : 'active',
        member.mfaEnrolled ? 'second factor set up' : 'no second factor yet',
        `last sign-in ${last.get(member.userId) ?? 'never'}`,
      ];
      io.out(
        `  ${contact?.name ?? '?'} <${contact?.email ?? '?'}>  ${member.roles.join(', ')}  (${flags.join('; ')})`,
      );
    }
    const invitations = await pendingStaffInvitations(store.db, keyring, practice.id, now);
    if (invitations.length > 0) io.out('Invitations waiting:');
    for (const invitation of invitations) {
      io.out(`  ${invitation.email}  ${invitation.roles.join(', ')}  (until ${invitation.expiresAt})`);
    }
    await withAuditSource(cliSource(), () =>
      recordAuditEvent(store.db, {
        practiceId: practice.id,
        action: 'people.read',
        outcome: 'ok',
        recordType: 'practice',
        recordId: practice.id,
        purpose: 'administration',
        at: now,
      }),
    );
  });
}

/**
 * `alcove people invite`: as an administrator does in the web app. With the practice's
 * e-mail sent through SMTP the invitation is queued for the running server to send; captured
 * or not set up, the link is printed here, once, and kept nowhere.
 */
export async function inviteStaffCommand(
  io: CliIo,
  options: StaffCommandOptions & InviteOptions,
): Promise<void> {
  const roles = parseRoles(options.role);
  const email = options.email.trim();
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new CliError('That is not an e-mail address.', 2);
  const name = options.name.trim();
  if (name === '' || name.length > 200)
    throw new CliError('Give the person’s name (at most 200 characters).', 2);
  await withUnlockedStore(io, options, { lock: false }, async (store, keyring) => {
    const practice = await choosePracticeFor(store, options.practice);
    const existing = await findUserByEmail(store.db, keyring, email);
    if (existing !== undefined && (await staffMembers(store.db, practice.id, existing.id)).length > 0)
      throw new CliError('That person is on the practice’s staff already: use alcove people role.');
    if (existing !== undefined && (await hasClientMembership(store.db, practice.id, existing.id)))
      throw new CliError('That address belongs to a client portal account of this practice: use another.');
    const mail = await mailSettingsOf(store.db, keyring, practice.id);
    const site = mail?.siteUrl ?? options.siteUrl;
    if (site === undefined || !/^https?:\/\//.test(site))
      throw new CliError(
        'The practice has no site address in its e-mail settings: give --site-url (the address people open Alcove at).',
        2,
      );
    const send = mail?.mode === 'smtp';
    const now = clockFor(io)().toISOString();
    const created = await withAuditSource(cliSource(), () =>
      store.db.transaction().execute(async (trx) => {
        const invitation = await createStaffInvitation(trx, keyring, {
          practiceId: practice.id,
          roles,
          invitee: { email, name },
          createdBy: null,
          now,
        });
        const link = `${site.replace(/\/+$/, '')}/join#${invitation.token}`;
        const event = (action: string) => ({
          practiceId: practice.id,
          action,
          outcome: 'ok' as const,
          recordType: 'staff-invitation',
          recordId: invitation.id,
          purpose: 'administration',
          at: now,
        });
        await appendAuditEvent(trx, event('people.invite'));
        if (send) {
          await enqueuePracticeMessage(trx, keyring, {
            practiceId: practice.id,
            recipient: { kind: 'invitee' },
            purpose: 'staff-invitation',
            envelope: {
              to: email,
              ...staffInvitationMessage({
                recipientName: name,
                practiceName: practice.name,
                inviterName: `The administrator of ${practice.name}`,
                roles,
                link,
                expiresOn: formatDate(invitation.expiresAt),
              }),
            },
            createdBy: null,
            now,
          });
          await appendAuditEvent(trx, event('message.queue:staff-invitation'));
        }
        return { link, expiresAt: invitation.expiresAt };
      }),
    );
    if (send) {
      io.out(
        `Invited. The invitation is e-mailed by the running server; it works once, until ${created.expiresAt}.`,
      );
    } else {
      io.out(
        'The practice does not send e-mail: hand this link to the person yourself. It is shown this once,',
      );
      io.out(`works once, and runs out at ${created.expiresAt}:`);
      io.out(created.link);
    }
  });
}

/** `alcove people role|suspend|reinstate|remove --email`: one change, as an administrator makes it. */
export async function changeStaffCommand(
  io: CliIo,
  options: StaffCommandOptions & { email: string },
  change: StaffChange,
): Promise<void> {
  await withUnlockedStore(io, options, { lock: false }, async (store, keyring) => {
    const practice = await choosePracticeFor(store, options.practice);
    const user = await findUserByEmail(store.db, keyring, options.email);
    // The address is not repeated: the terminal may be logged, or shared.
    if (user === undefined) throw new CliError('No account has that e-mail address.');
    const now = clockFor(io)().toISOString();
    try {
      await withAuditSource(cliSource(), () =>
        store.db.transaction().execute(async (trx) => {
          const { accessEnded } = await changeStaffMember(trx, {
            practiceId: practice.id,
            userId: user.id,
            change,
            now,
          });
          const event = (action: string) => ({
            practiceId: practice.id,
            action,
            outcome: 'ok' as const,
            recordType: 'user',
            recordId: user.id,
            purpose: 'administration',
            at: now,
          });
          if (accessEnded) await appendAuditEvent(trx, event('people.access-ended'));
          await appendAuditEvent(trx, event(`people.${change.kind}`));
        }),
      );
    } catch (error) {
      if (error instanceof AlcoveError) throw new CliError(error.message);
      throw error;
    }
    const done: Record<StaffChange['kind'], string> = {
      roles: 'Roles set',
      suspend: 'Suspended',
      reinstate: 'Reinstated',
      remove: 'Removed from the practice',
    };
    io.out(
      `${done[change.kind]}.${change.kind === 'reinstate' ? '' : ' Every session and API token of that account has ended.'}`,
    );
  });
}

// ---------------------------------------------------------------- a forgotten password (issue 16, V6.4.3)

function registerResetPasswordCommand(people: Command, io: CliIo, options: PeopleOptionFactories): void {
  people
    .command('reset-password')
    .description(
      'make a link for a staff member to set a new password (it works once, for an hour; the second factor is still asked): printed once, to hand over in person',
    )
    .requiredOption('--email <address>', "the account's e-mail address")
    .option(
      '--practice <id>',
      'the practice, where this installation has several (alcove people list shows them)',
    )
    .option(
      '--site-url <url>',
      'the address people open Alcove at, for the link (default: the e-mail settings’)',
    )
    .addOption(options.data())
    .addOption(options.keyFile())
    .addOption(options.secretKeyFile())
    .action((opts: StaffCommandOptions & { email: string; siteUrl?: string }) =>
      resetPasswordCommand(io, opts),
    );
}

/**
 * `alcove people reset-password --email <address>`: a reset link for a staff member of the
 * practice, printed here once and kept nowhere (only its SHA-256 is stored). The holder
 * sets a new password with it; every session and API token of the account then ends, and
 * the authenticator code is still asked. Audited ('people.password-reset', ids only).
 */
export async function resetPasswordCommand(
  io: CliIo,
  options: StaffCommandOptions & { email: string; siteUrl?: string },
): Promise<void> {
  await withUnlockedStore(io, options, { lock: false }, async (store, keyring) => {
    const practice = await choosePracticeFor(store, options.practice);
    const user = await findUserByEmail(store.db, keyring, options.email);
    // The address is not repeated: the terminal may be logged, or shared.
    const [member] = user === undefined ? [] : await staffMembers(store.db, practice.id, user.id);
    if (user === undefined || member === undefined || member.disabled)
      throw new CliError('No staff member of this practice has that e-mail address.');
    if (member.suspended)
      throw new CliError('That person is suspended from this practice: reinstate them first.');
    const mail = await mailSettingsOf(store.db, keyring, practice.id);
    const site = mail?.siteUrl ?? options.siteUrl;
    if (site === undefined || !/^https?:\/\//.test(site))
      throw new CliError(
        'The practice has no site address in its e-mail settings: give --site-url (the address people open Alcove at).',
        2,
      );
    const now = clockFor(io)().toISOString();
    const reset = await withAuditSource(cliSource(), () =>
      store.db.transaction().execute(async (trx) => {
        const created = await createPasswordReset(trx, { userId: user.id, createdBy: null, now });
        await appendAuditEvent(trx, {
          practiceId: practice.id,
          action: 'people.password-reset',
          outcome: 'ok',
          recordType: 'password-reset',
          recordId: created.id,
          purpose: 'administration',
          at: now,
        });
        return created;
      }),
    );
    io.out(
      `Give this link to the person, in person or by a channel only they read. It is shown once, works once, until ${reset.expiresAt}; they will still need their authenticator code:\n${site.replace(/\/+$/, '')}/reset-password#${reset.token}`,
    );
  });
}
