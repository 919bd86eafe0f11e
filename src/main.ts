// Entry point of the bundle: run the CLI and exit with its code.
import { main } from './cli.js';
import { writeOut } from './output.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    writeOut(2, `keyplate: ${(error as Error).stack ?? error}\n`);
    process.exitCode = 1;
  },
);
