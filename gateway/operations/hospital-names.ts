/**
 * Hospitals' names for the reports, from HOSPITALS_FILE as the desk reads it for the slip (the same file,
 * the same reader): a report lists a hospital the file does not name by its id.
 */
import type { Config } from '../config.js';
import { loadHospitals } from '../hospitals.js';

export function hospitalNames(config: Pick<Config, 'HOSPITALS_FILE' | 'NODE_ENV'>): (id: string) => string | undefined {
  const names = new Map(loadHospitals(config.HOSPITALS_FILE, config.NODE_ENV === 'production').hospitals.map((h) => [h.id, h.name]));
  return (id) => names.get(id);
}
