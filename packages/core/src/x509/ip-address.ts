/** Formats 4 or 16 address bytes (an IPv6 address in the canonical RFC 5952 form). */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16) return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

const OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
// Dotted decimal only, no leading zeros: `010.0.0.1` is not 10.0.0.1 (inet_aton reads it as
// octal 8.0.0.1), so it is not an address at all, as for Node's net.isIP.
const IPV4 = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);
const HEXTET = /^[0-9a-fA-F]{1,4}$/;

function parseIpv4(text: string): Uint8Array | undefined {
  const m = IPV4.exec(text);
  return m ? Uint8Array.from(m.slice(1, 5), Number) : undefined;
}

/** The 16-bit words of one side of `::`, the last may be dotted IPv4 when `v4Allowed`. */
function words(side: string, v4Allowed: boolean): number[] | undefined {
  if (side === '') return [];
  const parts = side.split(':');
  const out: number[] = [];
  for (const [i, p] of parts.entries()) {
    if (v4Allowed && i === parts.length - 1 && p.includes('.')) {
      const v4 = parseIpv4(p);
      if (!v4) return undefined;
      out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    } else if (HEXTET.test(p)) out.push(Number.parseInt(p, 16));
    else return undefined;
  }
  return out;
}

/**
 * Parses an IPv4 (dotted decimal, no leading zeros) or IPv6 (RFC 4291 §2.2, optionally in
 * brackets, no zone) literal to 4 or 16 bytes; undefined when it is neither.
 */
export function parseIp(text: string): Uint8Array | undefined {
  if (typeof text !== 'string') return undefined;
  const v4 = parseIpv4(text);
  if (v4) return v4;
  let s = text;
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  if (!s.includes(':') || !/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  let all: number[];
  if (halves.length === 1) {
    const w = words(s, true);
    if (w?.length !== 8) return undefined;
    all = w;
  } else {
    const head = words(halves[0]!, false);
    const tail = words(halves[1]!, true);
    if (!head || !tail || head.length + tail.length > 7) return undefined;
    all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  });
  return out;
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:10.1.2.3`), if it is one. */
export function unmapIpv4(bytes: Uint8Array): Uint8Array | undefined {
  if (bytes.length !== 16) return undefined;
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return undefined;
  return bytes[10] === 0xff && bytes[11] === 0xff ? bytes.slice(12) : undefined;
}
