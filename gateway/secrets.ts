/**
 * Secrets by reference: configuration names where a secret lives, never the secret itself, so a
 * configuration file or a manifest can be read, diffed and logged without leaking anything. Resolved
 * once at start-up, so a missing secret stops the start rather than a delivery or a connection later.
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod';

/** Where a secret lives: `{ "env": "CHINALIFE_TOKEN" }` or `{ "file": "/run/secrets/chinalife" }` (a Kubernetes secret mount). */
export const secretRef = z.union([
  z.object({ env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name') }).strict(),
  z.object({ file: z.string().min(1) }).strict(),
]);
export type SecretRef = z.infer<typeof secretRef>;

/** The secret's text (a file's trailing newline dropped); throws, naming the reference and never a value, when it is missing or empty. */
export function readSecret(ref: SecretRef, env: NodeJS.ProcessEnv): string {
  if ('env' in ref) {
    const value = env[ref.env];
    if (!value) throw new Error(`the environment variable ${ref.env} is not set`);
    return value;
  }
  const value = readFileSync(ref.file, 'utf8').trim();
  if (!value) throw new Error(`the secret file ${ref.file} is empty`);
  return value;
}

/**
 * A secret reference given as an environment variable: the same JSON as in the configuration files,
 * e.g. REDIS_PASSWORD_SECRET='{"file":"/run/secrets/redis"}'.
 */
export const secretRefText = z.string().transform((text, ctx) => {
  try {
    const ref: unknown = JSON.parse(text);
    return ref;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'a secret reference as JSON: {"env":"NAME"} or {"file":"/path"}' });
    return z.NEVER;
  }
}).pipe(secretRef);

/**
 * A certificate or key file a variable names (TLS to Redis, to Kafka): its bytes, or, when it cannot be read,
 * undefined and a problem naming the variable and the file's error code — never its contents.
 */
export function readPemFile(variable: string, file: string | undefined, problems: string[]): Buffer | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (error) {
    problems.push(`${variable}: ${file} cannot be read (${error instanceof Error && 'code' in error ? String(error.code) : 'error'})`);
    return undefined;
  }
}
