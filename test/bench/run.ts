/** npm run bench: every benchmark in turn, printed as the tables the README quotes. */
import { availableParallelism, cpus } from 'node:os';
import { benchEngine } from './engine.js';
import { benchHttp } from './http.js';

console.log(`machine: ${availableParallelism()} cores, ${cpus()[0]?.model ?? 'unknown cpu'}, node ${process.version}`);
const engine = benchEngine(5000);
console.log(`engine alone, one core: ${engine.perSecond.toLocaleString('en')} settlements/s (20-item bill, five layers computed, two supplementary programmes)`);
console.log((await benchHttp()).join('\n'));
await import('./stream.js');
