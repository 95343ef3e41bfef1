/** A PEM block as text, with its label, for handing to the right core parser. */
export interface PemTextBlock {
  label: string;
  text: string;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]{1,64})-----[\s\S]*?-----END \1-----/g;

/** Every well-formed PEM block of `text`, in order (malformed ones are left to the core parsers). */
export function pemBlocks(text: string): PemTextBlock[] {
  return [...text.matchAll(BLOCK)].map((m) => ({ label: m[1]!, text: `${m[0]}\n` }));
}
