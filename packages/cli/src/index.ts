export { DEMO_PRACTICE_NAME } from './commands/demo.ts';
export { CliError, type CliIo, defaultDataDir } from './context.ts';
export { main } from './main.ts';
export { terminalIo } from './terminal.ts';
