/** A number literal kept as written because JSON.parse would have changed it (`1000.000`, `1E3`, `-0`); see gateway/service/json-text.ts. */
export class JsonNumberText {
  constructor(readonly text: string) {}
  /** Re-serialised (a stored request, a hash) as the number it denotes: the only form JSON.stringify can write. */
  toJSON(): number { return Number(this.text); }
}
