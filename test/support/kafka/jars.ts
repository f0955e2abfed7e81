/**
 * Apache Kafka's jars for the tests, resolved once through Maven into a cache directory outside the
 * work tree (~/.cache/settlement-gateway/kafka-<version>, or $KAFKA_JARS_CACHE) and reused by every
 * later run. A warm cache never starts Maven; a cold one downloads into a private directory first and
 * renames it into place, so two test runs fetching at once cannot leave half a classpath behind.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const POM = join(dirname(fileURLToPath(import.meta.url)), 'pom.xml');

/** The one pin, read from the pom so that Maven and the harness cannot disagree. */
export const KAFKA_VERSION = (() => {
  const match = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(POM, 'utf8'));
  if (!match) throw new Error(`${POM} names no <kafka.version>`);
  return match[1]!;
})();

export function kafkaCacheDir(): string {
  return process.env.KAFKA_JARS_CACHE ?? join(homedir(), '.cache', 'settlement-gateway', `kafka-${KAFKA_VERSION}`);
}

const COMPLETE = 'complete'; // written last: its presence means the jars directory is whole

export interface KafkaJars { version: string; classpath: string; downloaded: boolean }

/** The classpath of Kafka's broker, fetching the jars with Maven only when the cache lacks them. */
export async function kafkaJars(): Promise<KafkaJars> {
  const cache = kafkaCacheDir();
  const jars = join(cache, 'jars');
  let downloaded = false;
  if (!existsSync(join(jars, COMPLETE))) {
    await fetchInto(cache, jars);
    downloaded = true;
  }
  const files = (await readdir(jars)).filter((f) => f.endsWith('.jar')).sort();
  return { version: KAFKA_VERSION, classpath: files.map((f) => join(jars, f)).join(':'), downloaded };
}

async function fetchInto(cache: string, jars: string): Promise<void> {
  await mkdir(cache, { recursive: true });
  const work = await mkdtemp(join(cache, 'fetch-'));
  try {
    await copyFile(POM, join(work, 'pom.xml'));
    const out = join(work, 'jars');
    try {
      await run('mvn', ['-q', '-B', '-f', join(work, 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${out}`, '-DincludeScope=runtime'], { timeout: 600_000, maxBuffer: 16 << 20 });
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(`Maven could not fetch Apache Kafka ${KAFKA_VERSION} (is mvn installed and Maven Central reachable?)\n${stdout}\n${stderr}`, { cause: error });
    }
    await writeFile(join(out, COMPLETE), `${KAFKA_VERSION}\n`);
    if (existsSync(jars) && !existsSync(join(jars, COMPLETE))) await rm(jars, { recursive: true, force: true }); // a partial copy of old
    try {
      await rename(out, jars);
    } catch (error) {
      // Another run finished first: its copy is as good as ours.
      if (!existsSync(join(jars, COMPLETE))) throw error;
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
