import type { SettlementRequest } from '../../schemas/settlement.js';

/**
 * What a condition or a claim's risk group asks of the loaded disease catalogues. The ProgrammeSet answers
 * it; the rules and their helpers name only this, so they do not import the set that imports them.
 */
export interface CatalogueLookup {
  catalogueEntry(catalogueId: string, encounter: SettlementRequest['encounter']): { entry: number; by: string } | null;
  catalogueName(catalogueId: string, entry: number): string;
}
