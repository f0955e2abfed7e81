/** HOSPITALS_FILE: validated at start-up; absent, the demo hospital outside production and nothing in production. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_HOSPITAL, loadHospitals } from '../../gateway/hospitals.js';

const file = (content: unknown) => {
  const path = join(mkdtempSync(join(tmpdir(), 'gw-hospitals-')), 'hospitals.json');
  writeFileSync(path, JSON.stringify(content));
  return path;
};

describe('loadHospitals', () => {
  it('reads a valid file', () => {
    const hospitals = [{ id: 'H37100200001', name: '威海市立医院', region: '371002', level: 3, drgPublic: true }];
    expect(loadHospitals(file(hospitals), true)).toEqual({ hospitals, demo: false });
  });

  it('refuses an invalid file, naming the field', () => {
    expect(() => loadHospitals(file([{ id: 'H1', name: '', region: '3710' }]), false)).toThrow(/0\.name.*0\.region|0\.region.*0\.name/s);
  });

  it('without a file: the demo hospital in development, none in production', () => {
    expect(loadHospitals(undefined, false)).toEqual({ hospitals: [DEMO_HOSPITAL], demo: true });
    expect(loadHospitals(undefined, true)).toEqual({ hospitals: [], demo: false });
  });
});
