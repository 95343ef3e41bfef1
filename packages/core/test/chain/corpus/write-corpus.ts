// Writes a freshly keyed corpus as an x509-limbo suite, for `mtlskit limbo <file>` or other
// harnesses: npx tsx packages/core/test/chain/corpus/write-corpus.ts out.json [keyTypesPerClause]
import { writeFileSync } from 'node:fs';
import { generateCorpus } from './generate-corpus.js';

const [out = 'mtlskit-corpus.json', per = '2'] = process.argv.slice(2);
const { suite } = await generateCorpus(Number(per));
writeFileSync(out, `${JSON.stringify(suite, null, 1)}\n`);
console.log(`wrote ${suite.testcases.length} testcases to ${out}`);
