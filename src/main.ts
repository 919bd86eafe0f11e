// Entry point of the bundle: run the CLI and exit with its code.
import { main } from './cli/cli.js';
import { streamsInUse, writeOut } from './ops/output.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Everything keyplate does is done and its output written synchronously: exit now rather than let Node tear
    // the whole environment down first (1.4 ms of a 100-resource --onetime start). Not while a stream may still
    // hold output.
    if (!streamsInUse()) process.exit(code);
  },
  (error: unknown) => {
    writeOut(2, `keyplate: ${(error as Error).stack ?? error}\n`);
    process.exitCode = 1;
  },
);
