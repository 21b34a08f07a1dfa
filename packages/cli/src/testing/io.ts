import type { CliIo } from '../context.ts';

export interface CapturedIo extends CliIo {
  readonly stdout: string[];
  readonly stderr: string[];
  /** Asks a running `serve` to stop, as Ctrl+C would. */
  stop(): void;
}

export function captureIo(env: Record<string, string | undefined> = {}): CapturedIo {
  const stdout: string[] = [];
  const stderr: string[] = [];
  let stop: (signal: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => {
    stop = resolve;
  });
  return {
    env,
    stdout,
    stderr,
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    stopSignal: () => stopped,
    prompt: async (question) => {
      throw new Error(`A test asked at the terminal: ${question}`);
    },
    stop: () => stop('test'),
  };
}
