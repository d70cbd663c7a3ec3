// The four ANSI styles wasmgrad's text reports use, written here rather than
// imported so that the reports run in a browser page too, where the package is
// loaded alone (an import map naming only 'wasmgrad'). Same escape codes as
// picocolors, including re-opening a style after a nested one closes it.

export interface Colours {
  bold(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
}

const plain = (text: string) => text;

/** `open` text `close`; every `close` inside the text becomes `reopen`, so an inner style does not end the outer one. */
function style(open: string, close: string, reopen = open): (text: string) => string {
  return (text) => `${open}${text.slice(0, open.length)}${text.slice(open.length).split(close).join(reopen)}${close}`;
}

/** ANSI styles when `enabled`, the text unchanged otherwise. */
export function colours(enabled: boolean): Colours {
  if (!enabled) return { bold: plain, red: plain, green: plain, yellow: plain };
  return {
    bold: style('\x1b[1m', '\x1b[22m', '\x1b[22m\x1b[1m'),
    red: style('\x1b[31m', '\x1b[39m'),
    green: style('\x1b[32m', '\x1b[39m'),
    yellow: style('\x1b[33m', '\x1b[39m'),
  };
}
