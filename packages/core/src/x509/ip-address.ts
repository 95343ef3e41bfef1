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

/** Parses an IPv4 or IPv6 literal to 4 or 16 bytes; undefined when it is neither. */
export function parseIp(text: string): Uint8Array | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const parts = v4.slice(1).map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    return new Uint8Array(parts);
  }
  let s = text;
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(':')) return undefined;
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  const last = s.slice(lastColon + 1);
  if (last.includes('.')) {
    const t = parseIp(last);
    if (t?.length !== 4) return undefined;
    tail = [(t[0]! << 8) | t[1]!, (t[2]! << 8) | t[3]!];
    s = `${s.slice(0, lastColon + 1)}${tail.length ? '0' : ''}`;
    s = s.replace(/:0$/, tail.length ? ':' : '');
    if (s.endsWith('::')) s = s.slice(0, -1) === ':' ? '::' : s;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parse = (h: string) => (h === '' ? [] : h.split(':'));
  const head = parse(halves[0]!.replace(/:$/, ''));
  const rest = halves.length === 2 ? parse(halves[1]!.replace(/:$/, '')) : [];
  const words: number[] = [];
  for (const w of [...head]) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(w)) return undefined;
    words.push(Number.parseInt(w, 16));
  }
  const restWords: number[] = [];
  for (const w of rest) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(w)) return undefined;
    restWords.push(Number.parseInt(w, 16));
  }
  const total = words.length + restWords.length + tail.length;
  if (halves.length === 1 && total !== 8) return undefined;
  if (halves.length === 2 && total > 7) return undefined;
  const all = [...words, ...new Array(8 - total).fill(0), ...restWords, ...tail];
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  });
  return out;
}
