/** `node --import tsx gateway/desk/bundle-cli.ts <file>`: writes the desk's script bundle, for a compiled build (dist/) that carries no TypeScript. */
import { writeDeskBundle } from './assets.js';

const file = process.argv[2];
if (!file) {
  console.error('usage: bundle-cli.ts <output file>');
  process.exit(2);
}
await writeDeskBundle(file);
