#!/usr/bin/env node
// The wasmgrad command line. Each subcommand lives in src/cli/<name>.ts and
// registers itself; with no subcommand, the main job runs.
//
// Every failure ends as one line on stderr and never a stack trace: usage and
// value errors (commander's, and the library's typed errors thrown from an
// action) exit 2, with a pointer to the command's --help; anything else is a
// failure while running and exits 1.

import { Command, CommanderError } from 'commander';
import { registerEstimateCommand } from './cli/estimate.js';
import { registerMainJob } from './cli/main-job.js';
import { registerProfileCommand } from './cli/profile.js';
import { registerBenchCommand } from './cli/bench.js';
import { registerTrainCommand } from './cli/train.js';
import { registerTrainTextCommand } from './cli/train-text.js';
import { registerGenerateCommand } from './cli/generate.js';
import { registerServeCheckCommand } from './cli/serve-check.js';
import { registerMonitorCommand } from './cli/monitor.js';
import { ArgumentError, NonFiniteError, OutOfMemoryError, ShapeError, describeValue } from './errors.js';

export function buildProgram(): Command {
  const program = new Command('wasmgrad')
    .description('WebAssembly SIMD kernels for machine learning: MAC throughput, training memory, fast training')
    .version('0.1.0')
    // Commander throws instead of exiting; run() decides the exit code.
    .exitOverride()
    // The main job's options only before a command: `bench --threads 2` is bench's own --threads.
    .enablePositionalOptions();
  registerMainJob(program);
  registerProfileCommand(program);
  registerEstimateCommand(program);
  registerBenchCommand(program);
  registerTrainCommand(program);
  registerTrainTextCommand(program);
  registerGenerateCommand(program);
  registerServeCheckCommand(program);
  registerMonitorCommand(program);
  program
    .command('help [command]')
    .description('display help for a command')
    .action((name?: string) => {
      if (name === undefined) return program.help();
      (program.commands.find((c) => c.name() === name) ?? unknownCommand(program, name)).help();
    });
  // The main job takes no arguments, so a word there is a mistyped command (checked
  // before its action). Set after the subcommands, which keep refusing extra arguments.
  program.allowExcessArguments(true).hook('preAction', (_, action) => {
    if (action === program && program.args.length > 0) unknownCommand(program, program.args[0]!);
  });
  // An option before a command is the main job's, which does not run: refused rather than silently dropped.
  program.hook('preSubcommand', (_, sub) => {
    const given = program.options.find((o) => program.getOptionValueSource(o.attributeName()) === 'cli');
    if (given === undefined) return;
    const where = sub.options.some((o) => o.long === given.long) ? `give it after '${sub.name()}'` : `'${sub.name()}' does not take it`;
    program.error(`error: ${given.long} before a command is the main job's option; ${where}`, { exitCode: 2, code: 'wasmgrad.invalidArgument' });
  });
  for (const command of allCommands(program)) {
    command.configureOutput({ outputError: (text, write) => write(`${oneLine(text)}${helpPointer(command)}\n`) });
  }
  return program;
}

/** Parses and runs; every error is one line on stderr and an exit code (2 usage or value, 1 a failure while running). */
async function run(program: Command): Promise<void> {
  // The command being parsed, for the help pointer: set as each subcommand is
  // entered, before its option parsers run (a typed error can come from one).
  let action = program;
  for (const command of allCommands(program)) {
    command.hook('preSubcommand', (_, sub) => {
      action = sub;
    });
  }
  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2); // commander printed it
    const message = `error: ${oneLine(e instanceof Error ? e.message : String(e))}`;
    if (e instanceof ArgumentError || e instanceof ShapeError) {
      process.stderr.write(`${message}${helpPointer(action)}\n`);
      process.exit(2);
    }
    process.stderr.write(`${message}\n`);
    process.exit(e instanceof OutOfMemoryError || e instanceof NonFiniteError ? 2 : 1);
  }
}

function unknownCommand(program: Command, name: string): never {
  const names = program.commands.map((c) => c.name());
  return program.error(`error: unknown command ${describeValue(name, "'")}${suggestion(name, names)}`, { exitCode: 2, code: 'commander.unknownCommand' });
}

function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

function helpPointer(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return ` (see '${names.join(' ')} --help')`;
}

/** Commander's message on one line: its "(Did you mean ...?)" joined, a long quoted value cut. */
function oneLine(text: string): string {
  return text
    .trim()
    .replace(/\n\(Did you mean (.*)\?\)$/, ' (did you mean $1?)')
    .replace(/^(error: option '[^']*' argument )'([\s\S]*)'( is invalid\.)/, (_, before: string, value: string, after: string) => `${before}${describeValue(value, "'")}${after}`)
    .replace(/\s*\n\s*/g, ' ');
}

/** " (did you mean X?)" for the name nearest to `typed`, when it is near enough to be a typo. */
function suggestion(typed: string, names: string[]): string {
  const scored = names.map((name) => ({ name, distance: editDistance(typed, name) }));
  const best = scored.reduce((a, b) => (b.distance < a.distance ? b : a), { name: '', distance: Infinity });
  return best.distance <= Math.max(1, Math.floor(best.name.length / 3)) ? ` (did you mean ${best.name}?)` : '';
}

/** Levenshtein distance (insertions, deletions, substitutions). */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

await run(buildProgram());
