#!/usr/bin/env node
// The wasmgrad command line. Each subcommand lives in src/cli/<name>.ts and
// registers itself; with no subcommand, the main job runs.

import { Command, CommanderError } from 'commander';
import { registerEstimateCommand } from './cli/estimate.js';
import { registerMainJob } from './cli/main-job.js';
import { registerProfileCommand } from './cli/profile.js';
import { registerBenchCommand } from './cli/bench.js';
import { registerTrainCommand } from './cli/train.js';
import { registerServeCheckCommand } from './cli/serve-check.js';

export function buildProgram(): Command {
  const program = new Command('wasmgrad')
    .description('WebAssembly SIMD kernels for machine learning: MAC throughput, training memory, fast training')
    .version('0.1.0')
    .showHelpAfterError()
    // Usage errors (unknown option, bad value) exit 2; help and version exit 0.
    .exitOverride((err: CommanderError) => {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
        process.exit(0);
      }
      process.exit(err.exitCode === 0 ? 0 : 2);
    });
  registerMainJob(program);
  registerProfileCommand(program);
  registerEstimateCommand(program);
  registerBenchCommand(program);
  registerTrainCommand(program);
  registerServeCheckCommand(program);
  return program;
}

await buildProgram().parseAsync(process.argv);
