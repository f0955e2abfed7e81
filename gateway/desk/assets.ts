/**
 * The desk's files, all served by the gateway itself (no CDN): the page, its stylesheet, its script —
 * TypeScript bundled by esbuild once at start-up, in memory, so there is no build step to forget and
 * no generated file in the tree — and the bundled CJK font (Noto Sans SC, from @fontsource: woff2
 * subsets by unicode-range, so a page loads only the subsets its characters need).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

export interface Asset { body: Buffer; type: string }

const WEB = join(import.meta.dirname, 'web');
const FONT_WEIGHTS = ['400', '700'] as const;
const FONT_BASE = '/desk/fonts/';
export const FONT_STYLESHEET = `${FONT_BASE}noto-sans-sc.css`;

/** The page's script: its TypeScript bundled (from the sources), or the bundle a build wrote beside the page (dist/). */
async function deskScript(): Promise<Buffer> {
  return existsSync(join(WEB, 'main.ts')) ? bundleScript() : readFileSync(join(WEB, 'desk.js'));
}

/** Writes the bundle to a file: for a compiled build (dist/), which carries no TypeScript sources. */
export async function writeDeskBundle(file: string): Promise<void> {
  writeFileSync(file, await bundleScript());
}

async function bundleScript(): Promise<Buffer> {
  const result = await build({
    entryPoints: [join(WEB, 'main.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error('esbuild produced no desk bundle');
  return Buffer.from(output.contents);
}

/** The font's stylesheet with woff2 sources only, pointed at our own paths; and the files it names. */
function fontFaces(): { css: string; files: Map<string, string> } {
  const require = createRequire(import.meta.url);
  const files = new Map<string, string>();
  const parts: string[] = [];
  for (const weight of FONT_WEIGHTS) {
    const path = require.resolve(`@fontsource/noto-sans-sc/${weight}.css`);
    const css = readFileSync(path, 'utf8')
      .replace(/,\s*url\(\.\/files\/[^)]+\.woff\) format\('woff'\)/g, '')
      .replace(/url\(\.\/files\/([^)]+\.woff2)\)/g, (_match, name: string) => {
        files.set(name, join(dirname(path), 'files', name));
        return `url(${FONT_BASE}${name})`;
      });
    parts.push(css);
  }
  return { css: parts.join('\n'), files };
}

export class DeskAssets {
  /** Font subsets read once, when first asked for (about 40 KB each; a page needs a handful). */
  private readonly fontCache = new Map<string, Asset>();

  private constructor(
    private readonly pages: Map<string, Asset>,
    private readonly fontFiles: Map<string, string>,
  ) {}

  static async load(): Promise<DeskAssets> {
    const fonts = fontFaces();
    const pages = new Map<string, Asset>([
      ['index.html', { body: readFileSync(join(WEB, 'index.html')), type: 'text/html; charset=utf-8' }],
      ['desk.css', { body: readFileSync(join(WEB, 'desk.css')), type: 'text/css; charset=utf-8' }],
      ['desk.js', { body: await deskScript(), type: 'text/javascript; charset=utf-8' }],
      ['fonts/noto-sans-sc.css', { body: Buffer.from(fonts.css), type: 'text/css; charset=utf-8' }],
    ]);
    return new DeskAssets(pages, fonts.files);
  }

  /** A file by its path under /desk/, or null: only the files above and the font subsets the stylesheet names. */
  get(path: string): Asset | null {
    const page = this.pages.get(path === '' ? 'index.html' : path);
    if (page) return page;
    const name = path.startsWith('fonts/') ? path.slice('fonts/'.length) : '';
    const file = this.fontFiles.get(name);
    if (!file) return null;
    let font = this.fontCache.get(name);
    if (!font) { font = { body: readFileSync(file), type: 'font/woff2' }; this.fontCache.set(name, font); }
    return font;
  }
}
