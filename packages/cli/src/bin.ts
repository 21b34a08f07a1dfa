#!/usr/bin/env node
import module from 'node:module';

// Compiled code (never data) is cached on disk, so the next start skips compiling it again.
// Enabled before anything else is imported: imports are loaded before the module runs.
module.enableCompileCache?.();
const { main } = await import('./main.ts');
const { terminalIo } = await import('./terminal.ts');

process.exitCode = await main(process.argv.slice(2), terminalIo());
