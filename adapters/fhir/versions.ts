/**
 * Versions of a settlement's ClaimResponse and ExplanationOfBenefit. Both are views of one ledger record,
 * which changes once at most: version 1 is the settlement as first answered (at settledAt), version 2 its
 * reversal (at reversedAt). So `meta.versionId`, the ETag and `_history` come from the record itself and
 * need no counter of their own; a preview (never stored) has no version.
 */
import type * as fhir4 from 'fhir/r4.js';
import type { Request } from 'express';
import type { Split } from '../../schemas/settlement.js';

export type VersionId = '1' | '2';

/** The split as first answered: the ledger's current split adds only status, reversedAt and reversal to it (ledger/stored.ts). */
function asFirstAnswered(split: Split): Split {
  const { reversedAt: _at, reversal: _note, ...settled } = split;
  return { ...settled, status: 'settled' };
}

export const versionIdOf = (split: Split): VersionId => (split.status === 'reversed' ? '2' : '1');

/** `meta` of a stored settlement's resources; none for a preview. */
export function metaOf(split: Split): fhir4.Meta | undefined {
  if (split.status === 'preview') return undefined;
  const lastUpdated = split.status === 'reversed' ? split.reversedAt ?? split.settledAt : split.settledAt;
  return { versionId: versionIdOf(split), ...(lastUpdated ? { lastUpdated } : {}) };
}

/** Every version of a stored settlement, the latest first (R4 history order). */
export function versionsOf(split: Split): Split[] {
  return split.status === 'reversed' ? [split, asFirstAnswered(split)] : [split];
}

/** The split as it was at `versionId`, or undefined when there is no such version. */
export const versionAt = (split: Split, versionId: string): Split | undefined => versionsOf(split).find((v) => versionIdOf(v) === versionId);

/** A weak ETag (R4 http.html#versioning): the version id. */
export const etagOf = (versionId: VersionId): string => `W/"${versionId}"`;

/** The caller already holds this version (`If-None-Match: W/"1"`, `"1"`, or `*`). */
export function alreadyHeld(req: Request, etag: string): boolean {
  const header = req.headers['if-none-match'];
  if (typeof header !== 'string') return false;
  const bare = etag.replace(/^W\//, '');
  return header.split(',').map((t) => t.trim()).some((t) => t === '*' || t.replace(/^W\//, '') === bare);
}

/**
 * A `history` Bundle of the versions (the latest first). Version 1 is the settlement — the resource's creation
 * (POST) — and version 2 its reversal, an update of it (PUT), whichever door the reversal came by.
 */
export function historyOf(baseUrl: string, type: string, id: string, versions: readonly Split[], render: (version: Split) => fhir4.Resource): fhir4.Bundle {
  const resourceUrl = `${baseUrl}/${type}/${id}`;
  return {
    resourceType: 'Bundle', type: 'history', total: versions.length,
    link: [{ relation: 'self', url: `${resourceUrl}/_history` }],
    entry: versions.map((version) => {
      const versionId = versionIdOf(version);
      const lastModified = metaOf(version)?.lastUpdated;
      return {
        fullUrl: resourceUrl,
        resource: render(version),
        request: versionId === '1' ? { method: 'POST', url: type } : { method: 'PUT', url: `${type}/${id}` },
        response: { status: versionId === '1' ? '201' : '200', etag: etagOf(versionId), ...(lastModified ? { lastModified } : {}) },
      };
    }),
  };
}
