/**
 * What the command-line tools (replay, report, what-if) share besides their books (gateway/storage.ts):
 * one way to end — an exit code from the tool, 2 for anything it did not expect. These tools print to the
 * terminal on purpose; they are not the service.
 */
import { GatewayError } from '../errors.js';

/** Runs a tool's main and sets the exit code: its own, or 2 with the message (a GatewayError's fields too) when it throws. */
export function runCli(main: (argv: string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (error: unknown) => {
    if (error instanceof GatewayError) {
      console.error([error.message, ...error.errors.map((e) => `  ${e.path}: ${e.message}`)].join('\n'));
    } else {
      console.error(error instanceof Error ? error.stack ?? error.message : error);
    }
    process.exitCode = 2;
  });
}
