/** The 医保 part's variables: validated with the core's at start-up; the platform's token by reference, the plain one of earlier releases only outside production. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, readPartConfig } from '../../../gateway/config.js';
import { nhsaVariables, platformTokenOf } from '../../../adapters/nhsa/variables.js';

const varsOf = (env: Record<string, string>) => readPartConfig(nhsaVariables, loadConfig(env));
const problemsOf = (run: () => unknown): readonly string[] => {
  try { run(); } catch (error) { if (error instanceof ConfigError) return error.problems; throw error; }
  return [];
};

describe('the 医保 part\'s variables', () => {
  it('are judged with the core\'s when main passes the part\'s schema: every problem at once, by name, never by value', () => {
    const problems = problemsOf(() => loadConfig({ PORT: 'x', NHSA_DELIVERY_MAX_ATTEMPTS: '0', NHSA_SIGN_IN: 'sometimes' }, [nhsaVariables]));
    expect(problems.map((p) => p.split(':')[0])).toEqual(['PORT', 'NHSA_DELIVERY_MAX_ATTEMPTS', 'NHSA_SIGN_IN']);
    expect(problems.join('\n')).not.toContain('sometimes');
  });

  it('are read by the part from the environment the configuration was read from, with their defaults', () => {
    expect(varsOf({ NHSA_SIGN_IN: 'required' })).toMatchObject({ NHSA_SIGN_IN: 'required', NHSA_DELIVERY_GROUP: 'nhsa-delivery', NHSA_DELIVERY_MAX_ATTEMPTS: 10 });
  });
});

describe('the platform\'s token', () => {
  const warnings: string[] = [];
  const how = (production: boolean, env: NodeJS.ProcessEnv = {}) => ({ production, warn: (m: string) => warnings.push(m), env });

  it('is read by reference, from the environment or a file', () => {
    expect(platformTokenOf(varsOf({ NHSA_PLATFORM_TOKEN_SECRET: '{"env":"NHSA_TOKEN"}' }), how(true, { NHSA_TOKEN: 'from-env' }))).toBe('from-env');
    const file = join(mkdtempSync(join(tmpdir(), 'nhsa-token-')), 'token');
    writeFileSync(file, 'from-file\n');
    expect(platformTokenOf(varsOf({ NHSA_PLATFORM_TOKEN_SECRET: JSON.stringify({ file }) }), how(true))).toBe('from-file');
    expect(platformTokenOf(varsOf({}), how(true))).toBeUndefined();
  });

  it('refuses a reference that names nothing, naming the variable and never a value', () => {
    expect(problemsOf(() => platformTokenOf(varsOf({ NHSA_PLATFORM_TOKEN_SECRET: '{"env":"NHSA_TOKEN_UNSET"}' }), how(false)))).toEqual([expect.stringMatching(/^NHSA_PLATFORM_TOKEN_SECRET: .*NHSA_TOKEN_UNSET is not set/)]);
    expect(problemsOf(() => varsOf({ NHSA_PLATFORM_TOKEN_SECRET: 'plain-token' }))).toEqual([expect.stringMatching(/^NHSA_PLATFORM_TOKEN_SECRET: a secret reference/)]);
  });

  it('in plain text is read outside production with a warning, refused in production, and never beside a reference', () => {
    warnings.length = 0;
    expect(platformTokenOf(varsOf({ NHSA_PLATFORM_TOKEN: 'dev-plain' }), how(false))).toBe('dev-plain');
    expect(warnings).toEqual([expect.stringContaining('NHSA_PLATFORM_TOKEN_SECRET')]);
    expect(problemsOf(() => platformTokenOf(varsOf({ NHSA_PLATFORM_TOKEN: 'prod-plain' }), how(true)))).toEqual([expect.stringMatching(/^NHSA_PLATFORM_TOKEN: .*refused in production/)]);
    expect(problemsOf(() => platformTokenOf(varsOf({ NHSA_PLATFORM_TOKEN: 'x', NHSA_PLATFORM_TOKEN_SECRET: '{"env":"X"}' }), how(false)))).toEqual([expect.stringMatching(/one place/)]);
  });
});
