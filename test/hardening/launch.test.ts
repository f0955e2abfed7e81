/**
 * gateway/launch.mjs, which `npm run whatif`, `npm run report` and the other tools start through: the compiled tool in
 * dist/ when it is newer than every source (the image has dist/ alone), else the TypeScript through tsx — never a build
 * older than the sources. Run in a scratch checkout of a tool that says which of its two forms ran.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');

describe('the command-line tools\' launcher', () => {
  it('runs the build when it is newer than every source, else the sources, with the tool\'s arguments either way', async () => {
    const root = mkdtempSync(join(tmpdir(), 'launch-'));
    try {
      mkdirSync(join(root, 'gateway', 'tools'), { recursive: true });
      mkdirSync(join(root, 'dist', 'gateway', 'tools'), { recursive: true });
      copyFileSync(join(ROOT, 'gateway', 'launch.mjs'), join(root, 'gateway', 'launch.mjs'));
      symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
      writeFileSync(join(root, 'package.json'), JSON.stringify({ type: 'module' }));
      const source = join(root, 'gateway', 'tools', 'say-cli.ts');
      const built = join(root, 'dist', 'gateway', 'tools', 'say-cli.js');
      writeFileSync(join(root, 'gateway', 'tools', 'words.ts'), 'export const form: string = "sources";\n');
      writeFileSync(source, 'import { form } from "./words.ts";\nconst args: string[] = process.argv.slice(2);\nconsole.log(form, args.join(" "), process.argv[1]);\n');
      writeFileSync(built, 'console.log("build", process.argv.slice(2).join(" "), process.argv[1]);\n');
      const at = (path: string, seconds: number) => utimesSync(path, seconds, seconds);
      const launch = async () => (await run(process.execPath, [join(root, 'gateway', 'launch.mjs'), 'gateway/tools/say-cli.ts', '--from', '2024-01-01'], { cwd: root })).stdout.trim();

      at(source, 1_000); at(join(root, 'gateway', 'tools', 'words.ts'), 1_000); at(built, 2_000);
      expect(await launch()).toBe(`build --from 2024-01-01 ${built}`);
      // Any source edited after the build (not only the tool's own file): the sources run.
      at(join(root, 'gateway', 'tools', 'words.ts'), 3_000);
      expect(await launch()).toBe(`sources --from 2024-01-01 ${source}`);
      // No build at all: the sources.
      rmSync(built);
      expect(await launch()).toBe(`sources --from 2024-01-01 ${source}`);
      // No sources at all (the image: the launcher beside dist/): the build.
      writeFileSync(built, 'console.log("build", process.argv.slice(2).join(" "), process.argv[1]);\n');
      rmSync(join(root, 'gateway', 'tools'), { recursive: true });
      expect(await launch()).toBe(`build --from 2024-01-01 ${built}`);
      // Not a tool of the checkout: refused, exit code 2.
      await expect(run(process.execPath, [join(root, 'gateway', 'launch.mjs'), '../etc/passwd'], { cwd: root })).rejects.toMatchObject({ code: 2 });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);
});
