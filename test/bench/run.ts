/** npm run bench: every benchmark in turn, printed as the tables the README quotes. */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { benchEngine } from './engine.js';
import { benchHttp, median } from './http.js';

console.log(`machine: ${availableParallelism()} cores, ${cpus()[0]?.model ?? 'unknown cpu'}, node ${process.version}, load average ${loadavg()[0]!.toFixed(2)}, ${new Date().toISOString()}`);
const engine = Array.from({ length: 5 }, () => benchEngine(2000));
console.log(`engine alone, one core (20-item bill, the four public layers computed, two supplementary programmes): median of 5 runs ${median(engine.map((r) => r.perCpuSecond)).toLocaleString('en')} settlements per CPU-second (${engine.map((r) => r.perCpuSecond).join(', ')}); ${median(engine.map((r) => r.perSecond)).toLocaleString('en')}/s by the wall clock`);
const http = await benchHttp();
console.log(http.rows.join('\n'));
const { benchStream } = await import('./stream.js');
await benchStream(http.gatewayRps);
await import('./nhsa-security.js');
const { benchCityYear, CITY_YEAR_SETTLEMENTS } = await import('./city-year.js');
console.log(`city year on Redis: ${CITY_YEAR_SETTLEMENTS.toLocaleString('en')} stored 三明 settlements (BENCH_CITY_SETTLEMENTS)`);
for (const r of await benchCityYear()) console.log(`| ${r.what} | ${r.seconds.toFixed(1)} s | ${Math.round(r.perSecond).toLocaleString('en')} settlements/s | peak RSS ${Math.round(r.peakRssMb)} MB |`);
