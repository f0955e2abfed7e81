/** Debian's Chromium driven by playwright-core, for the desk's browser tests: one fresh profile per launch. */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync', '--lang=zh-CN'];

export interface Browser { context: BrowserContext; close(): Promise<void> }

export async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)`);
  const profile = mkdtempSync(join(tmpdir(), 'desk-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: ARGS, env: { ...process.env, LANG: 'zh_CN.UTF-8', LANGUAGE: 'zh_CN' }, viewport: { width: 1366, height: 768 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai',
  });
  return { context, async close() { await context.close(); rmSync(profile, { recursive: true, force: true }); } };
}

/** Pages of a PDF: its page objects (`/Type /Page`, not the `/Pages` tree nodes). */
export function pdfPageCount(pdf: Buffer): number {
  return pdf.toString('latin1').match(/\/Type\s*\/Page(?!s)\b/g)?.length ?? 0;
}

/** Screenshots go to docs/ only when asked (UPDATE_SCREENSHOTS=1), so a test run leaves the tree clean. */
export function screenshotPath(name: string): string | undefined {
  if (process.env.UPDATE_SCREENSHOTS !== '1') return undefined;
  const dir = join(import.meta.dirname, '../../docs');
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}
