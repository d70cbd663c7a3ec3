// Flags that contradict each other must not be settled silently by whichever
// came last: `--tied --no-tied`, or `--seq 512 --seq 1024`.

import type { Command } from 'commander';
import { ArgumentError } from '../errors.js';

/**
 * Watches the options of `command` (call it after they are all declared) and
 * returns a check for the action: it throws ArgumentError when an option and
 * its negation were both given, or one option twice with different values.
 */
export function watchContradictions(command: Command): () => void {
  const given = new Map<string, { flag: string; value: unknown }[]>(); // by the attribute the flags set
  for (const option of command.options) {
    command.on(`option:${option.name()}`, (value: unknown) => {
      const key = option.attributeName();
      given.set(key, [...(given.get(key) ?? []), { flag: option.long ?? option.flags, value }]);
    });
  }
  return () => {
    for (const uses of given.values()) {
      const flags = [...new Set(uses.map((u) => u.flag))];
      if (flags.length > 1) throw new ArgumentError(`${flags[0]} and ${flags[1]} contradict each other; give one of them`);
      const values = [...new Set(uses.map((u) => u.value))];
      if (values.length > 1) {
        const times = uses.length === 2 ? 'twice' : `${uses.length} times`;
        throw new ArgumentError(`${flags[0]} given ${times} (${values.map((v) => `'${String(v)}'`).join(', ')}); give it once`);
      }
    }
  };
}
