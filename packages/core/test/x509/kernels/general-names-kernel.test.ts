// The WebAssembly SIMD kernels behind large SAN lists. They may only pass over entries that
// the JavaScript rules would pass over, so every reader is run here both ways, on seeded
// random and mutated values, and must give the same answers (and the same errors).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { cnMiscopiesSan } from '../../../src/chain/names/check-leaf-identity.js';
import { summarizeGeneralNames } from '../../../src/chain/names/general-names.js';
import { matchHostnameInSan } from '../../../src/chain/names/hostname.js';
import { createCertificateAuthority, verifyChain } from '../../../src/index.js';
import { children, DerError, readSingle } from '../../../src/x509/der.js';
import { type GeneralNamesIndex, indexGeneralNames } from '../../../src/x509/general-names-scan.js';
import {
  KERNEL_MIN_BYTES,
  SHARED_KERNEL_BYTES,
  setGeneralNamesKernels,
} from '../../../src/x509/kernels/general-names-kernel.js';

afterAll(() => {
  setGeneralNamesKernels(true);
});

const latin1 = (b: Uint8Array) => String.fromCharCode(...b);
const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

function header(tag: number, len: number): number[] {
  if (len < 0x80) return [tag, len];
  if (len < 0x100) return [tag, 0x81, len];
  if (len < 0x10000) return [tag, 0x82, len >> 8, len & 0xff];
  return [tag, 0x83, len >> 16, (len >> 8) & 0xff, len & 0xff];
}
function sequence(entries: number[]): Uint8Array {
  return Uint8Array.from([...header(0x30, entries.length), ...entries]);
}
function entry(tag: number, body: Uint8Array | number[]): number[] {
  return [...header(tag, body.length), ...body];
}

/** Runs `read` with the kernels on and off, each time on a fresh copy (indexes are cached per value). */
function bothWays<T>(bytes: Uint8Array, read: (v: Uint8Array) => T): { on: T | string; off: T | string } {
  const run = (on: boolean): T | string => {
    setGeneralNamesKernels(on);
    try {
      return read(Uint8Array.from(bytes));
    } catch (e) {
      expect(e).toBeInstanceOf(DerError);
      return `throws: ${(e as Error).message}`;
    }
  };
  const on = run(true);
  const off = run(false);
  setGeneralNamesKernels(true);
  return { on, off };
}

// The quick preferred-name rule, written independently of both implementations.
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?';
const PLAIN = new RegExp(`^(?:\\*\\.)?${LABEL}(?:\\.${LABEL})*$`);
const plain = (tag: number, name: Uint8Array) =>
  tag === 0x82 && name.length >= 1 && name.length <= 63 && PLAIN.test(latin1(name));

/** A seeded generator of GeneralNames values with every kind of entry, good and bad. */
function generator(seed: number) {
  let s = seed >>> 0;
  const rand = (n: number) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % n;
  };
  const pick = <T>(xs: readonly T[]) => xs[rand(xs.length)]!;
  const CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const label = (n: number) => Array.from({ length: n }, () => CHARS[rand(CHARS.length)]).join('');
  const dnsName = (): string => {
    const labels = Array.from({ length: 1 + rand(4) }, () =>
      rand(8) === 0 ? `${label(1)}--${label(2)}` : label(1 + rand(rand(10) === 0 ? 70 : 12)),
    );
    let name = labels.join('.');
    if (rand(6) === 0) name = `*.${name}`;
    // Damage one in three: a byte every rule cares about, at any place.
    if (rand(3) === 0) {
      const at = rand(name.length + 1);
      const bad = pick(['_', '-', '.', '*', ' ', '@', '`', '\u0080', '\u00ff', '..', '-.', '.-', '']);
      name = name.slice(0, at) + bad + name.slice(at + (rand(2) ? 1 : 0));
    }
    if (rand(10) === 0) name += '.';
    return name;
  };
  const value = (size: number): { bytes: Uint8Array; names: string[] } => {
    const entries: number[] = [];
    const names: string[] = [];
    while (entries.length < size) {
      const kind = rand(20);
      if (kind < 14) {
        const name = dnsName();
        names.push(name);
        entries.push(...entry(0x82, ascii(name)));
      } else if (kind === 14)
        entries.push(
          ...entry(
            0x87,
            Array.from({ length: pick([4, 16, 5, 0]) }, () => rand(256)),
          ),
        );
      else if (kind === 15) entries.push(...entry(0x81, ascii(`${label(5)}@${dnsName()}`)));
      else if (kind === 16) entries.push(...entry(0x86, ascii(`spiffe://${dnsName()}/x`)));
      else if (kind === 17)
        entries.push(...entry(0x82, ascii(label(100 + rand(300))))); // long forms
      else if (kind === 18) entries.push(...entry(0x82, []));
      else entries.push(...entry(pick([0xa0, 0xa4, 0x88, 0x89]), ascii(label(rand(6)))));
    }
    return { bytes: sequence(entries), names };
  };
  /** One byte changed, cut or added: framing errors of every kind. */
  const mutate = (bytes: Uint8Array): Uint8Array => {
    const b = [...bytes];
    const at = rand(b.length);
    const how = rand(3);
    if (how === 0) b[at] = rand(256);
    else if (how === 1) b.length = at;
    else b.splice(at, 0, rand(256));
    return Uint8Array.from(b);
  };
  return { rand, pick, value, mutate, dnsName };
}

const entriesOf = (ix: GeneralNamesIndex) =>
  Array.from({ length: ix.count }, (_, k) => [ix.tags[k]!, ix.starts[k]!, ix.ends[k]!]);

describe('general-names kernels', () => {
  it('are the compilation of general-names.wat, and load on this platform', () => {
    const root = fileURLToPath(new URL('../../../../../', import.meta.url));
    execFileSync(process.execPath, ['scripts/build-wasm.mjs', '--check'], { cwd: root, stdio: 'pipe' });
    // Node 20 has WebAssembly SIMD: if the kernels stopped loading, large SAN lists would
    // silently take the slow loops.
    expect(setGeneralNamesKernels(true)).toBe(true);
  });

  it('index like the strict element reader and list exactly the entries that are not plain dNSNames (1,500 seeded values)', () => {
    const g = generator(0x5eed_0001);
    const seen = { kernel: 0, gaveUp: 0, throws: 0, odd: 0, plain: 0 };
    for (let i = 0; i < 1_500; i++) {
      const { bytes: good } = g.value(KERNEL_MIN_BYTES + g.rand(3_000));
      const bytes = i % 3 === 2 ? g.mutate(good) : good;
      // The reference: readNode's framing, and the plain-name rule above.
      let want: number[][] | string;
      try {
        const seq = readSingle(bytes);
        want =
          seq.tag === 0x30
            ? children(seq).map((c) => [c.tag, c.value.byteOffset, c.value.byteOffset + c.value.length])
            : 'throws';
      } catch {
        want = 'throws';
      }
      const { on, off } = bothWays(bytes, (v) => {
        const ix = indexGeneralNames(v);
        if (ix.odd) {
          seen.kernel++;
          const odd = entriesOf(ix).flatMap(([tag, s, e], k) => (plain(tag!, v.subarray(s, e)) ? [] : [k]));
          expect([...ix.odd]).toEqual(odd);
          seen.odd += odd.length;
          seen.plain += ix.count - odd.length;
        } else if (ix.kernel) seen.gaveUp++;
        return entriesOf(ix);
      });
      if (typeof off === 'string') seen.throws++;
      expect(on).toEqual(off);
      if (typeof want === 'string') expect(off).toMatch(/^throws/);
      else expect(off).toEqual(want);
    }
    // Every path was taken many times.
    expect(seen.kernel).toBeGreaterThan(500);
    expect(seen.throws).toBeGreaterThan(200);
    expect(seen.odd).toBeGreaterThan(10_000);
    expect(seen.plain).toBeGreaterThan(10_000);
  });

  it('leave every header they do not read to the JavaScript index, which refuses or reads it', () => {
    const names = (n: number, from: number) =>
      Array.from({ length: n }, (_, i) => entry(0x82, ascii(`name${from + i}.example.com`))).flat();
    const a = (n: number) => new Array(n).fill(0x61);
    const cases: [string, number[], 'throws' | 'reads'][] = [
      ['0x81 length form for a short length', [0x82, 0x81, 5, ...a(5)], 'throws'],
      ['leading zero length octet', [0x82, 0x82, 0, 0x90, ...a(0x90)], 'throws'],
      ['indefinite length', [0x82, 0x80, ...a(4), 0, 0], 'throws'],
      ['five length octets', [0x82, 0x85, 0, 0, 0, 0, 1, 0x61], 'throws'],
      ['high tag number', [0x9f, 1, 0x61], 'throws'],
      ['three length octets, leading zero', [0x82, 0x83, 0, 1, 0, ...a(256)], 'throws'],
      ['three length octets', [0x82, 0x83, 1, 0, 0, ...a(65_536)], 'reads'],
    ];
    for (const [what, bad, expected] of cases) {
      const bytes = sequence([...names(150, 0), ...bad, ...names(150, 150)]);
      const { on, off } = bothWays(bytes, (v) => {
        const ix = indexGeneralNames(v);
        return [
          entriesOf(ix),
          matchHostnameInSan('name299.example.com', v),
          matchHostnameInSan('name7.example.com', v),
        ];
      });
      expect(on, what).toEqual(off);
      if (expected === 'throws') expect(off, what).toMatch(/^throws/);
      else {
        expect((off as unknown[]).slice(1), what).toEqual([true, true]);
        // The kernel gave up: no list of plain names, and its searches use the JavaScript index.
        const ix = indexGeneralNames(Uint8Array.from(bytes));
        expect(ix.kernel, what).toBeDefined();
        expect(ix.odd, what).toBeUndefined();
      }
    }
    // An entry running past the end of the SEQUENCE.
    const cut = sequence([...names(200, 0), 0x82, 40, ...a(10)]);
    const { on, off } = bothWays(cut, (v) => indexGeneralNames(v).count);
    expect(on).toEqual(off);
    expect(off).toMatch(/^throws/);
  });

  it('give the SAN summary, the host name match and the CN check the same answers (1,000 seeded values)', () => {
    const g = generator(0x5eed_0002);
    let matches = 0;
    let miscopies = 0;
    for (let i = 0; i < 1_000; i++) {
      const { bytes: good, names } = g.value(KERNEL_MIN_BYTES + g.rand(4_000));
      const bytes = i % 5 === 4 ? g.mutate(good) : good;
      const summary = bothWays(bytes, (v) => summarizeGeneralNames(v));
      expect(summary.on).toEqual(summary.off);
      // References: names of the value in other cases, with or without a trailing dot, a host
      // under a wildcard name, and names that are not there.
      const refs: string[] = [];
      for (let r = 0; r < 6; r++) {
        const name = g.pick(names);
        const flip = [...name].map((c) => (g.rand(2) ? c.toUpperCase() : c.toLowerCase())).join('');
        refs.push(
          g.pick([
            name,
            flip,
            name.replace(/\.$/, ''),
            `${name}.`,
            name.startsWith('*.') ? `host${name.slice(1)}` : name,
            g.dnsName(),
          ]),
        );
      }
      for (const ref of refs) {
        const host = bothWays(bytes, (v) => {
          indexGeneralNames(v);
          return matchHostnameInSan(ref, v);
        });
        expect(host.on, `${ref} in value ${i}`).toEqual(host.off);
        if (host.off === true) matches++;
        const cn = bothWays(bytes, (v) => {
          indexGeneralNames(v);
          return cnMiscopiesSan(ref, v, []);
        });
        expect(cn.on, `CN ${ref} in value ${i}`).toEqual(cn.off);
        if (cn.off === true) miscopies++;
      }
    }
    expect(matches).toBeGreaterThan(1_000);
    expect(miscopies).toBeGreaterThan(500);
  });

  it('keep each value apart when several large ones are read in turn, one too large to share the instance', () => {
    const g = generator(0x5eed_0003);
    const a = g.value(200_000);
    const b = g.value(50_000);
    // A million empty dNSNames: an index too large for the shared instance.
    const body = 2_000_000;
    const huge = new Uint8Array(5 + body);
    huge.set(header(0x30, body));
    for (let i = 5; i < huge.length; i += 2) huge[i] = 0x82;
    expect(9 * (body / 2)).toBeGreaterThan(SHARED_KERNEL_BYTES);
    const values = [a.bytes, b.bytes, huge].map((x) => Uint8Array.from(x));
    for (const v of values) expect(indexGeneralNames(v).kernel).toBeDefined();
    const refs = [...a.names.slice(-3), ...b.names.slice(-3), 'x.example'];
    setGeneralNamesKernels(false);
    const plainValues = [a.bytes, b.bytes, huge].map((x) => Uint8Array.from(x));
    const want = plainValues.map((v) => refs.map((r) => matchHostnameInSan(r, v)));
    setGeneralNamesKernels(true);
    for (let round = 0; round < 3; round++)
      for (const [j, v] of values.entries())
        expect(refs.map((r) => matchHostnameInSan(r, v))).toEqual(want[j]);
    expect(want.flat().filter(Boolean).length).toBeGreaterThanOrEqual(6);
  });

  it('step aside when their memory cannot grow: the plain loops read the value', () => {
    const g = generator(0x5eed_0004);
    const { bytes, names } = g.value(3_000_000);
    const grow = vi.spyOn(WebAssembly.Memory.prototype, 'grow').mockImplementation(() => {
      throw new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded');
    });
    try {
      const v = Uint8Array.from(bytes);
      const ix = indexGeneralNames(v);
      expect(grow).toHaveBeenCalled();
      expect(ix.odd).toBeUndefined();
      const refs = [...names.slice(-3), 'x.example'];
      const got = refs.map((r) => matchHostnameInSan(r, v));
      setGeneralNamesKernels(false);
      const plainValue = Uint8Array.from(bytes);
      expect(entriesOf(indexGeneralNames(plainValue))).toEqual(entriesOf(ix));
      expect(refs.map((r) => matchHostnameInSan(r, plainValue))).toEqual(got);
      const summary = (x: Uint8Array) => {
        try {
          return summarizeGeneralNames(x);
        } catch (e) {
          return String(e);
        }
      };
      expect(summary(v)).toEqual(summary(plainValue));
    } finally {
      grow.mockRestore();
      setGeneralNamesKernels(true);
    }
  });

  it('leave verifyChain verdicts unchanged on a real certificate with 3,000 SANs', async () => {
    const ca = await createCertificateAuthority({ subject: { commonName: 'Kernel CA' } });
    const dnsNames = Array.from({ length: 3_000 }, (_, i) => `n${i}.Example.com`);
    dnsNames.push('*.wild.example.com');
    const leaf = await ca.issue({
      subject: { commonName: 'N2999.example.COM' },
      profile: 'server',
      dnsNames,
    });
    const hosts = [
      'n2999.example.com',
      'N17.EXAMPLE.COM.',
      'a.wild.example.com',
      'wild.example.com',
      'n3000.example.com',
    ];
    const verdicts = async () =>
      Promise.all(
        hosts.flatMap((hostname) =>
          (['webpki', 'rfc5280'] as const).map(async (profile) => {
            const v = await verifyChain({
              leaf: leaf.certificate.der,
              trustAnchors: ca.certificatePem,
              purpose: 'serverAuth',
              profile,
              hostname,
            });
            return v.ok ? 'ok' : `${v.code}: ${v.message}`;
          }),
        ),
      );
    const on = await verdicts();
    setGeneralNamesKernels(false);
    const off = await verdicts();
    setGeneralNamesKernels(true);
    expect(on).toEqual(off);
    // Three hosts match: webpki then refuses the CN, a miscopy of a SAN; rfc5280 accepts.
    expect(on.filter((v) => v.startsWith('NAME_MISMATCH') && v.includes('7.1.4.3')).length).toBe(3);
    expect(on.filter((v) => v === 'ok').length).toBe(3);
    expect(on.filter((v) => v.startsWith('NAME_MISMATCH: ') && v.includes('is not valid for')).length).toBe(
      4,
    );
  });
});
