import type { CliIo } from '../context.ts';

export interface CapturedIo extends CliIo {
  readonly stdout: string[];
  readonly stderr: string[];
  /** Asks a running command to stop, as Ctrl+C would (`serve`, or one in its migrations or a restore). */
  stop(): void;
}

export function captureIo(env: Record<string, string | undefined> = {}): CapturedIo {
  const stdout: string[] = [];
  const stderr: string[] = [];
  let stop: (signal: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => {
    stop = resolve;
  });
  const listeners = new Set<(signal: string) => void>();
  return {
    env,
    stdout,
    stderr,
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    stopSignal: () => stopped,
    onStopSignal: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    prompt: async (question) => {
      throw new Error(`A test asked at the terminal: ${question}`);
    },
    stop: () => {
      for (const listener of [...listeners]) listener('test');
      stop('test');
    },
  };
}
