import readline from 'node:readline';
import { Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import type { CliIo } from './context.ts';

/** The real terminal: process streams, signals, a hidden-input prompt, progress bars. */
export function terminalIo(env: CliIo['env'] = process.env): CliIo {
  return {
    env,
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    stopSignal: () =>
      new Promise((resolve) => {
        process.once('SIGINT', () => resolve('SIGINT'));
        process.once('SIGTERM', () => resolve('SIGTERM'));
      }),
    onStopSignal: (listener) => {
      const onSignal = (signal: NodeJS.Signals) => listener(signal);
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      return () => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      };
    },
    prompt: (question, options = {}) => ask(question, options.secret ?? false),
    progress: (label) => {
      if (!process.stderr.isTTY) return { update() {}, stop() {} };
      const bar = new cliProgress.SingleBar(
        {
          format: `${label} [{bar}] {percentage}% {value}/{total}`,
          stream: process.stderr,
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      );
      let started = false;
      return {
        update(done, total) {
          if (!started) {
            bar.start(total, done);
            started = true;
          } else {
            bar.setTotal(total);
            bar.update(done);
          }
        },
        stop() {
          if (started) bar.stop();
        },
      };
    },
  };
}

async function ask(question: string, secret: boolean): Promise<string> {
  if (!process.stdin.isTTY) {
    throw new Error('No terminal to ask at: set the value in the environment instead (see alcove --help).');
  }
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = readline.createInterface({ input: process.stdin, output, terminal: true });
  try {
    const answer = new Promise<string>((resolve) => rl.question(question, resolve));
    muted = secret;
    const value = await answer;
    if (secret) process.stderr.write('\n');
    return value;
  } finally {
    rl.close();
  }
}
