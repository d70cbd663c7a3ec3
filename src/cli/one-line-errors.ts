// Every error of a subcommand as one line on stderr, ending in a pointer to
// its help: commander's own (unknown option, missing value, with its "Did you
// mean" hint folded in) as well as the command's, never the whole usage.

import type { Command } from 'commander';

export function oneLineErrors(command: Command): Command {
  const pointer = `(see '${command.parent?.name() ?? 'wasmgrad'} ${command.name()} --help')`;
  return command.showHelpAfterError(false).configureOutput({
    outputError: (message, write) => write(`${message.trim().replace(/\s*\n\s*/g, ' ')} ${pointer}\n`),
  });
}
