// A strict, small XML reader for checking the figures' SVG: it throws on anything that is not
// well-formed (unclosed or mismatched tags, bad attributes, stray '<' or '&', two roots), and
// returns the element tree so tests can look at marks and text.

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** Direct character data of the element, entities decoded. */
  text: string;
}

const NAME = /^[A-Za-z_:][\w.:-]*/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(raw: string, at: number): string {
  if (raw.includes('<')) throw new Error(`raw '<' in character data near offset ${at}`);
  return raw.replace(/&([^;]*);?/g, (whole, body: string) => {
    if (!whole.endsWith(';')) throw new Error(`unterminated entity '${whole}' near offset ${at}`);
    if (body in ENTITIES) return ENTITIES[body];
    const numeric = /^#(\d+)$/.exec(body) ?? /^#x([0-9a-fA-F]+)$/.exec(body);
    if (!numeric) throw new Error(`unknown entity '&${body};' near offset ${at}`);
    return String.fromCodePoint(parseInt(numeric[1], body.startsWith('#x') ? 16 : 10));
  });
}

/** Parses a whole XML document and returns its root element; throws with an offset when malformed. */
export function parseXml(xml: string): XmlElement {
  let pos = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;

  const skipMarkup = (open: string, close: string) => {
    const end = xml.indexOf(close, pos + open.length);
    if (end < 0) throw new Error(`'${open}' at offset ${pos} is never closed with '${close}'`);
    pos = end + close.length;
  };

  while (pos < xml.length) {
    const lt = xml.indexOf('<', pos);
    const text = xml.slice(pos, lt < 0 ? xml.length : lt);
    if (text.length > 0) {
      const decoded = decode(text, pos);
      if (stack.length > 0) stack[stack.length - 1].text += decoded;
      else if (decoded.trim() !== '') throw new Error(`text outside the root element at offset ${pos}`);
    }
    if (lt < 0) break;
    pos = lt;
    if (xml.startsWith('<?', pos)) {
      skipMarkup('<?', '?>');
    } else if (xml.startsWith('<!--', pos)) {
      skipMarkup('<!--', '-->');
    } else if (xml.startsWith('<![CDATA[', pos)) {
      if (stack.length === 0) throw new Error(`CDATA outside the root element at offset ${pos}`);
      const end = xml.indexOf(']]>', pos);
      if (end < 0) throw new Error(`CDATA at offset ${pos} is never closed`);
      stack[stack.length - 1].text += xml.slice(pos + 9, end);
      pos = end + 3;
    } else if (xml.startsWith('<!', pos)) {
      throw new Error(`unexpected declaration at offset ${pos} (an SVG file needs no DOCTYPE)`);
    } else if (xml.startsWith('</', pos)) {
      const name = NAME.exec(xml.slice(pos + 2))?.[0];
      const open = stack.pop();
      if (!name || !open || open.name !== name) {
        throw new Error(`closing tag </${name ?? '?'}> at offset ${pos} does not match <${open?.name ?? 'nothing'}>`);
      }
      pos += 2 + name.length;
      while (/\s/.test(xml[pos] ?? '')) pos++;
      if (xml[pos] !== '>') throw new Error(`closing tag </${name}> at offset ${pos} is malformed`);
      pos++;
    } else {
      const name = NAME.exec(xml.slice(pos + 1))?.[0];
      if (!name) throw new Error(`'<' not starting a tag at offset ${pos}`);
      if (stack.length === 0 && root) throw new Error(`second root element <${name}> at offset ${pos}`);
      const element: XmlElement = { name, attributes: {}, children: [], text: '' };
      pos += 1 + name.length;
      for (;;) {
        const spaced = /^\s+/.exec(xml.slice(pos))?.[0].length ?? 0;
        pos += spaced;
        if (xml.startsWith('/>', pos) || xml[pos] === '>') break;
        const attr = spaced > 0 ? /^([A-Za-z_:][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/.exec(xml.slice(pos)) : null;
        if (!attr) throw new Error(`malformed attribute in <${name}> at offset ${pos}`);
        if (attr[1] in element.attributes) throw new Error(`duplicate attribute ${attr[1]} in <${name}> at offset ${pos}`);
        element.attributes[attr[1]] = decode(attr[3] ?? attr[4], pos);
        pos += attr[0].length;
      }
      if (stack.length > 0) stack[stack.length - 1].children.push(element);
      else root = element;
      if (xml.startsWith('/>', pos)) {
        pos += 2;
      } else {
        pos += 1;
        stack.push(element);
      }
    }
  }
  if (stack.length > 0) throw new Error(`<${stack[stack.length - 1].name}> is never closed`);
  if (!root) throw new Error('no root element');
  return root;
}

/** Every element of the tree, depth first. */
export function allElements(root: XmlElement): XmlElement[] {
  return [root, ...root.children.flatMap(allElements)];
}
