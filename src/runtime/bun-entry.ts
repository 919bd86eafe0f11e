// Entry of the compiled executable (scripts/build-exe.mjs): makes Bun give keyplate what Node gives it, then
// runs the same main as dist/keyplate.cjs. Imported in this order: the set-up runs before main's modules.
import './bun-setup.js';
import '../main.js';
