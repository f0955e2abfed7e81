/**
 * One call's deadline as the service and roster loading see it (HTTP sets it per request: `req.call`).
 * Once `signal` is aborted (the caller was answered, e.g. 503 after the request timeout) no work of the call goes on: queued work is skipped and no write is
 * sent, so that answer stays true. `writeSent` turns true when a write left the process: a timeout
 * after that must say the outcome is unknown, never that nothing happened.
 */
export interface CallControl {
  /**
   * Only `aborted` is read (nobody listens for the event): a plain flag serves, and an AbortSignal fits too.
   * An AbortController per request cost ~5 µs of a settlement's CPU (measured), for an event nobody hears.
   */
  signal: Deadline;
  writeSent: boolean;
  /**
   * What the timeout's answer says for a call that is not a settlement (a roster load): nothing written,
   * or written in part. Unset: a settlement's wording (retry with the same settlement id).
   */
  timeoutTexts?: { nothingWritten: string; outcomeUnknown: string };
}

/** Whether a call's deadline has passed: what the service and the ledger read of it. */
interface Deadline { readonly aborted: boolean }
