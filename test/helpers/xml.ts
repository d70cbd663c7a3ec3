// A strict little XML reader for the report tests: the charts and the page
// must be well-formed XML (they are inlined into HTML and saved as .svg files),
// and structure checks read the tree rather than match strings.

export interface XmlElement { name: string; attrs: Record<string, string>; children: (XmlElement | string)[] }

export function parseXml(text: string): XmlElement {
  const root: XmlElement = { name: '#document', attrs: {}, children: [] };
  const stack = [root];
  let pos = 0;
  const decode = (raw: string) => {
    if (raw.includes('<')) throw new Error(`raw '<' in ${JSON.stringify(raw)}`);
    return raw.replace(/&[^;]*;?/g, (e) => {
      const named: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&apos;': "'" };
      if (named[e]) return named[e];
      const num = /^&#(x[0-9a-f]+|\d+);$/i.exec(e);
      if (num) return String.fromCodePoint(num[1]![0] === 'x' ? parseInt(num[1]!.slice(1), 16) : Number(num[1]));
      throw new Error(`bad entity ${JSON.stringify(e)} at ${pos}`);
    });
  };
  while (pos < text.length) {
    const top = stack[stack.length - 1]!;
    if (text.startsWith('<!--', pos)) { pos = text.indexOf('-->', pos) + 3; continue; }
    if (text.startsWith('<?', pos) || text.startsWith('<!DOCTYPE', pos)) { pos = text.indexOf('>', pos) + 1; continue; }
    if (text.startsWith('</', pos)) {
      const m = /^<\/([\w:-]+)\s*>/.exec(text.slice(pos));
      if (!m || m[1] !== top.name) throw new Error(`closing ${m?.[1]} does not match <${top.name}> at ${pos}`);
      stack.pop();
      pos += m[0].length;
      continue;
    }
    if (text[pos] === '<') {
      const m = /^<([\w:-]+)((?:\s+[\w:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/.exec(text.slice(pos));
      if (!m) throw new Error(`malformed tag at ${pos}: ${text.slice(pos, pos + 60)}`);
      const el: XmlElement = { name: m[1]!, attrs: {}, children: [] };
      for (const a of m[2]!.matchAll(/([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
        if (a[1]! in el.attrs) throw new Error(`duplicate attribute ${a[1]} on <${el.name}>`);
        el.attrs[a[1]!] = decode(a[2] ?? a[3]!);
      }
      top.children.push(el);
      if (m[3] !== '/') stack.push(el);
      pos += m[0].length;
      continue;
    }
    const end = text.indexOf('<', pos) < 0 ? text.length : text.indexOf('<', pos);
    top.children.push(decode(text.slice(pos, end)));
    pos = end;
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  const elements = root.children.filter((c): c is XmlElement => typeof c !== 'string');
  if (elements.length !== 1) throw new Error(`expected one root element, found ${elements.length}`);
  return elements[0]!;
}

export function all(el: XmlElement, match: (e: XmlElement) => boolean): XmlElement[] {
  const found: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    if (match(e)) found.push(e);
    for (const c of e.children) if (typeof c !== 'string') walk(c);
  };
  walk(el);
  return found;
}
export const byName = (name: string) => (e: XmlElement) => e.name === name;
export const byClass = (cls: string) => (e: XmlElement) => (e.attrs.class ?? '').split(/\s+/).includes(cls);
export const textOf = (e: XmlElement): string => e.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
/** Text of an element whose tspans are lines, one line per tspan. */
export const linesOf = (e: XmlElement): string[] => all(e, byName('tspan')).map(textOf);
