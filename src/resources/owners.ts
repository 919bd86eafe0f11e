// User and group names → ids from /etc/passwd and /etc/group (Node has no getpwnam).
import { readFileSync } from 'node:fs';

function lookup(file: string, name: string): number | undefined {
  if (/^\d+$/.test(name)) return Number(name);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const parts = line.split(':');
    if (parts[0] === name && parts.length > 2) return Number(parts[2]);
  }
  return undefined;
}

/** A user name (or a number) → its uid from /etc/passwd; undefined when there is none. */
export const lookupUser = (name: string): number | undefined => lookup('/etc/passwd', name);
/** A group name (or a number) → its gid from /etc/group; undefined when there is none. */
export const lookupGroup = (name: string): number | undefined => lookup('/etc/group', name);
