/**
 * The reports page (/reports): static HTML, script and style, and the chart library (chart.js, from
 * node_modules, served here: no CDN; CSP default-src 'self'). The page holds no data: it calls the /v1
 * report routes with the token the officer types in, kept in sessionStorage for the tab only.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';

const PAGE_DIR = fileURLToPath(new URL('./page', import.meta.url));
const CHART_JS = join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js');

export function mountReportsPage(app: express.Express): void {
  const files: Record<string, string> = {
    '/reports': join(PAGE_DIR, 'reports.html'),
    '/reports/reports.js': join(PAGE_DIR, 'reports.js'),
    '/reports/reports.css': join(PAGE_DIR, 'reports.css'),
    '/reports/vendor/chart.umd.min.js': CHART_JS,
  };
  for (const [path, file] of Object.entries(files)) {
    app.get(path, (_req, res) => {
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(file);
    });
  }
}
