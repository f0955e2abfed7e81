/**
 * The `programme` of a split line that no pack decided. Stored in every split and event as they are (records
 * outlive code), so their text never changes; a pack may not take either as its id (schemas/pack.ts).
 */

/** No programme of the line's layer applies to the stay: the layer pays nothing. */
export const NO_PROGRAMME = 'none';
/** No pack of the layer is in force, and the amount is the upstream settlement's (request.upstream). */
export const UPSTREAM_PROGRAMME = 'upstream';

export const RESERVED_PROGRAMME_IDS: readonly string[] = [NO_PROGRAMME, UPSTREAM_PROGRAMME];
