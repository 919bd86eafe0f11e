// Writing to stdout and stderr without Node's stream stack: the first use of process.stderr loads net,
// stream and tty (~6 ms measured here), and a container start that logs one line would pay it every time.
import { writeSync } from 'node:fs';

const streamed = new Set<1 | 2>();

/**
 * Write all of `text` to fd 1 or 2 synchronously, as Node's own stdio does for files and pipes on Linux.
 * A non-blocking descriptor that is full (EAGAIN) hands the rest and every later write to the Node stream,
 * so nothing is lost and lines keep their order. Any other failure (a closed reader: EPIPE, a closed
 * descriptor: EBADF) drops the text: losing a log line must never stop the agent.
 */
export function writeOut(fd: 1 | 2, text: string): void {
  let rest: string | Buffer = text;
  if (!streamed.has(fd)) {
    const bytes = Buffer.from(text, 'utf8');
    let offset = 0;
    try {
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return;
      streamed.add(fd);
      rest = bytes.subarray(offset);
    }
  }
  (fd === 1 ? process.stdout : process.stderr).write(rest);
}

/** True once a write went to Node's stream, which may still hold data: the process must then exit naturally. */
export function streamsInUse(): boolean {
  return streamed.size > 0;
}

/** Where a command's results and logs go: stdout for what was asked (check's report, --noop's diff), stderr for logs. */
export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** The process's own stdout and stderr, written as writeOut writes. */
export const processIo: Io = { stdout: (t) => writeOut(1, t), stderr: (t) => writeOut(2, t) };
