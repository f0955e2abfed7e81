/** A number literal kept as written because JSON.parse would have changed it (`1000.000`, `1E3`, `-0`); see gateway/service/json-text.ts. */
export class JsonNumberText {
  constructor(readonly text: string) {}
  /**
   * Re-serialised (the stored request, its fingerprint) as its exact text in a JSON string: JSON.stringify
   * cannot write a number literal of our choosing, and the double it denotes would lose digits — two
   * different shares (…678 and …679 in the 18th decimal) would store and hash alike, and a retry with the
   * other would be taken for the same request. Every schema that accepts such a literal (money, share)
   * accepts the same text as a string, so the stored request reads back as it was settled.
   */
  toJSON(): string { return this.text; }
}
