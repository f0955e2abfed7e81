/**
 * The reports page (/reports): static HTML, script and style, and the chart library (chart.js, from
 * node_modules, served here: no CDN; CSP default-src 'self'). The page holds no data: it calls the /v1
 * report routes with the token the officer types in, kept in sessionStorage for the tab only.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Surface } from '../http/app.js';
import { plainProblems } from '../http/openapi.js';
import { bindRoutes, routeOf } from '../http/route-table.js';

const PAGE_DIR = fileURLToPath(new URL('./page', import.meta.url));
const CHART_JS = join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js');

const route = routeOf<void>();
const file = (path: string, summary: string, mediaType: string, onDisk: string) => route({
  method: 'get', path, summary, access: 'public',
  answers: { 200: { description: summary, content: { [mediaType]: { text: summary } } } }, problems: {},
  handler: () => ({ res }) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(onDisk);
  },
});

const reportsPageRoutes = [
  file('/reports', 'The reports page (loss ratio, payouts, second payout, what-if)', 'text/html', join(PAGE_DIR, 'reports.html')),
  file('/reports/reports.js', "The page's script", 'text/javascript', join(PAGE_DIR, 'reports.js')),
  file('/reports/reports.css', "The page's styles", 'text/css', join(PAGE_DIR, 'reports.css')),
  file('/reports/vendor/chart.umd.min.js', 'chart.js, served from node_modules (no CDN)', 'text/javascript', CHART_JS),
];

export const reportsPage = (): Surface => ({ prefix: '', routes: bindRoutes(reportsPageRoutes, undefined), problems: plainProblems });
