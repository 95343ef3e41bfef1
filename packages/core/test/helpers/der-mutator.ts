// Structure-aware DER mutations for the differential fuzz against OpenSSL: most mutants stay
// well-formed TLV (lengths are re-encoded), so they reach the field decoders, where laxness
// hides. A share of raw byte mutations keeps the framing code honest too.

export interface Node {
  tag: number;
  kids?: Node[];
  /** Primitive contents (or the raw contents of a node that did not decode). */
  value?: Uint8Array;
  /** OCTET/BIT STRING whose contents are DER themselves (extension values, keys). */
  wrapped?: { prefix: Uint8Array; kids: Node[] };
}

function readTlv(buf: Uint8Array, off: number): { tag: number; start: number; end: number } | undefined {
  if (off + 2 > buf.length) return undefined;
  const tag = buf[off]!;
  if ((tag & 0x1f) === 0x1f) return undefined;
  let len = buf[off + 1]!;
  let pos = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3 || pos + n > buf.length) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[pos + i]!;
    pos += n;
  }
  if (pos + len > buf.length) return undefined;
  return { tag, start: pos, end: pos + len };
}

function parseAll(buf: Uint8Array, depth: number): Node[] | undefined {
  const out: Node[] = [];
  let off = 0;
  while (off < buf.length) {
    const t = readTlv(buf, off);
    if (!t) return undefined;
    out.push(parseNode(t.tag, buf.subarray(t.start, t.end), depth));
    off = t.end;
  }
  return out;
}

function parseNode(tag: number, value: Uint8Array, depth: number): Node {
  if (tag & 0x20 && depth < 12) {
    const kids = parseAll(value, depth + 1);
    if (kids) return { tag, kids };
  }
  if ((tag === 0x04 || tag === 0x03) && value.length > 2 && depth < 12) {
    const prefix = tag === 0x03 ? value.subarray(0, 1) : new Uint8Array(0);
    const inner = value.subarray(prefix.length);
    if (inner[0] === 0x30 || inner[0] === 0x03 || inner[0] === 0x04 || inner[0] === 0x02) {
      const kids = parseAll(inner, depth + 1);
      if (kids && kids.length === 1) return { tag, wrapped: { prefix, kids } };
    }
  }
  return { tag, value };
}

function lengthBytes(n: number): number[] {
  if (n < 0x80) return [n];
  const b: number[] = [];
  while (n > 0) {
    b.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return [0x80 | b.length, ...b];
}

/** DER of a (possibly edited) tree. */
export function encode(n: Node): Uint8Array {
  let body: Uint8Array;
  if (n.kids) body = concat(n.kids.map(encode));
  else if (n.wrapped) body = concat([n.wrapped.prefix, ...n.wrapped.kids.map(encode)]);
  else body = n.value!;
  return concat([Uint8Array.from([n.tag, ...lengthBytes(body.length)]), body]);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function allNodes(n: Node, out: Node[] = []): Node[] {
  out.push(n);
  for (const k of n.kids ?? n.wrapped?.kids ?? []) allNodes(k, out);
  return out;
}

const enc = new TextEncoder();
const TIMES: [number, string][] = [
  [0x17, '300230000000Z'],
  [0x17, '20250101000000Z'],
  [0x17, '250101000060Z'],
  [0x17, '2501010000Z'],
  [0x17, '250101000000+0100'],
  [0x17, '250101000000.5Z'],
  [0x17, '250132000000Z'],
  [0x17, '251301000000Z'],
  [0x17, '250101240000Z'],
  [0x17, '250101006000Z'],
  [0x17, '250101000000'],
  [0x17, '2501010000000Z'],
  [0x17, '49123123595 9Z'],
  [0x17, '500101000000Z'],
  [0x18, '00990101000000Z'],
  [0x18, '20250101000000.123Z'],
  [0x18, '20250101000060Z'],
  [0x18, '202501010000Z'],
  [0x18, '20250229000000Z'],
  [0x18, '20240229000000Z'],
  [0x18, '20250101000000'],
  [0x18, '99991231235959Z'],
  [0x18, '20250431000000Z'],
  [0x18, '+2025010100000Z'],
];
const STRINGS: Uint8Array[] = [
  Uint8Array.from([0xc3, 0x28]),
  Uint8Array.from([0xed, 0xa0, 0x80]),
  Uint8Array.from([0xf4, 0x90, 0x80, 0x80]),
  Uint8Array.from([0xc0, 0xaf]),
  Uint8Array.from([0x00]),
  Uint8Array.from([0x00, 0x41, 0x00]),
  Uint8Array.from([0xd8, 0x00, 0x00, 0x41]),
  Uint8Array.from([0x00, 0x11, 0x00, 0x00]),
  enc.encode('a\u0000b'),
  enc.encode(''),
];
const TAGS = [
  0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0c, 0x12, 0x13, 0x14, 0x16, 0x17, 0x18, 0x1a, 0x1c, 0x1e, 0x30, 0x31,
  0x80, 0x81, 0x82, 0xa0, 0xa1, 0xa3,
];

/** One mutant of `der`; `rnd` is a seeded PRNG in [0, 1). */
export function mutate(der: Uint8Array, rnd: () => number): Uint8Array {
  const pick = (n: number) => Math.floor(rnd() * n);
  if (rnd() < 0.15) return rawMutation(der, pick);
  const root = parseNode(
    der[0]!,
    readTlv(der, 0) ? der.subarray(readTlv(der, 0)!.start, readTlv(der, 0)!.end) : der,
    0,
  );
  const nodes = allNodes(root);
  const steps = 1 + (rnd() < 0.25 ? 1 : 0);
  for (let s = 0; s < steps; s++) {
    const constructed = nodes.filter((n) => n.kids && n.kids.length > 0);
    const prims = nodes.filter((n) => n.value);
    const op = pick(12);
    const p = prims[pick(prims.length)];
    const c = constructed[pick(constructed.length)];
    switch (op) {
      case 0: // duplicate a child
        if (c) c.kids!.splice(pick(c.kids!.length + 1), 0, c.kids![pick(c.kids!.length)]!);
        break;
      case 1: // delete a child
        if (c) c.kids!.splice(pick(c.kids!.length), 1);
        break;
      case 2: // append or insert a random element
        if (c) {
          const tag = TAGS[pick(TAGS.length)]!;
          const value = Uint8Array.from({ length: pick(4) }, () => pick(256));
          c.kids!.splice(rnd() < 0.6 ? c.kids!.length : pick(c.kids!.length + 1), 0, { tag, value });
        }
        break;
      case 3: // retag
        {
          const n = nodes[pick(nodes.length)]!;
          n.tag = TAGS[pick(TAGS.length)]! | (n.kids ? 0x20 : 0);
        }
        break;
      case 4: // non-minimal or negative integer
        if (p) {
          const pad = [0x00, 0xff, 0x80][pick(3)]!;
          p.value = concat([Uint8Array.of(pad), p.value!]);
        }
        break;
      case 5: // a tricky time
        if (p) {
          const [tag, t] = TIMES[pick(TIMES.length)]!;
          p.tag = tag;
          p.value = enc.encode(t);
        }
        break;
      case 6: // a tricky string
        if (p) p.value = STRINGS[pick(STRINGS.length)]!;
        break;
      case 7: // boolean / small value change
        if (p && p.value!.length > 0) {
          const v = Uint8Array.from(p.value!);
          v[pick(v.length)] = [0x00, 0x01, 0x7f, 0x80, 0xff][pick(5)]!;
          p.value = v;
        }
        break;
      case 8: // bit flip in a primitive
        if (p && p.value!.length > 0) {
          const v = Uint8Array.from(p.value!);
          const i = pick(v.length);
          v[i] = v[i]! ^ (1 << pick(8));
          p.value = v;
        }
        break;
      case 9: // swap two children
        if (c && c.kids!.length > 1) {
          const i = pick(c.kids!.length);
          const j = pick(c.kids!.length);
          [c.kids![i], c.kids![j]] = [c.kids![j]!, c.kids![i]!];
        }
        break;
      case 10: // move a subtree from elsewhere into a constructed node
        if (c) c.kids!.splice(pick(c.kids!.length + 1), 0, structuredClone(nodes[pick(nodes.length)]!));
        break;
      default: // truncate or extend a primitive
        if (p)
          p.value =
            rnd() < 0.5
              ? p.value!.subarray(0, pick(p.value!.length + 1))
              : concat([p.value!, Uint8Array.of(pick(256))]);
        break;
    }
  }
  return encode(root);
}

function rawMutation(der: Uint8Array, pick: (n: number) => number): Uint8Array {
  const out = Uint8Array.from(der);
  switch (pick(3)) {
    case 0: {
      for (let i = 0, n = 1 + pick(3); i < n; i++) {
        const at = pick(out.length);
        out[at] = out[at]! ^ (1 << pick(8));
      }
      return out;
    }
    case 1:
      return out.subarray(0, pick(out.length));
    default: {
      const at = pick(out.length);
      return concat([
        out.subarray(0, at),
        Uint8Array.from({ length: 1 + pick(4) }, () => pick(256)),
        out.subarray(at),
      ]);
    }
  }
}

/** The DER tree of `der` (constructed nodes and DER-in-OCTET/BIT-STRING opened up). */
export function tree(der: Uint8Array): Node {
  const t = readTlv(der, 0);
  if (!t) throw new Error('not DER');
  return parseNode(t.tag, der.subarray(t.start, t.end), 0);
}

/** The node at `path` (child indexes; wrapped contents count as children). */
export function at(root: Node, ...path: number[]): Node {
  let n = root;
  for (const i of path) n = (n.kids ?? n.wrapped?.kids)![i]!;
  return n;
}
