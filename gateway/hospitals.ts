/** The hospitals of HOSPITALS_FILE (names, level, ownership, region, the desk's form defaults): read by the desk and its slip, by operations and by the 医保 adapter. */
import { readFileSync } from 'node:fs';
import { hospitalsFile, type HospitalInfo } from '../schemas/desk.js';

/** The demo region's hospital of the quick start, named when no file is configured outside production. */
export const DEMO_HOSPITAL: HospitalInfo = { id: 'H99000000001', name: '示例市第一人民医院', region: '990100', level: 3, drgPublic: true };

export function loadHospitals(file: string | undefined, production: boolean): { hospitals: HospitalInfo[]; demo: boolean } {
  if (!file) return production ? { hospitals: [], demo: false } : { hospitals: [DEMO_HOSPITAL], demo: true };
  const parsed = hospitalsFile.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return { hospitals: parsed.data, demo: false };
}
