// Static checks on a parsed template: every helper called with arguments must exist.
import { ConfigError } from '../errors.js';
import { helperNames } from './helpers/index.js';

const builtins = new Set(['if', 'unless', 'each', 'with', 'lookup', 'log', 'blockHelperMissing', 'helperMissing']);

interface Loc {
  start: { line: number; column: number };
}
interface PathNode {
  type: string;
  parts: string[];
  original: string;
  data: boolean;
}
type Node = Record<string, unknown> & { type?: string };

/** Throws a ConfigError naming file:line:column for the first call of an unknown helper. */
export function validateHelpers(file: string, ast: unknown): void {
  const known = new Set([...builtins, ...helperNames]);
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    const n = node as Node;
    if ((n.type === 'MustacheStatement' || n.type === 'SubExpression' || n.type === 'BlockStatement') && n.path) {
      const p = n.path as PathNode;
      const params = (n.params as unknown[]) ?? [];
      const isCall = params.length > 0 || n.type === 'SubExpression' || (n.hash as unknown) !== undefined;
      if (p.type === 'PathExpression' && p.parts.length === 1 && !p.data && isCall && !known.has(p.original)) {
        const loc = n.loc as Loc | undefined;
        const where = loc ? `:${loc.start.line}:${loc.start.column + 1}` : '';
        throw new ConfigError(`${file}${where}: unknown helper \`${p.original}\`; keyplate has: ${[...helperNames].sort().join(', ')}`);
      }
    }
    for (const [k, v] of Object.entries(n)) if (k !== 'loc' && k !== 'strip') visit(v);
  };
  visit(ast);
}
