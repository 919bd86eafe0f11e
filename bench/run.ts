// `npm run bench`: start time always; the issue-14 scale shape for this build and BENCH_BEFORE's (bench/scale.ts);
// the single executable against Node's (bench/exe.ts); Go templates against Handlebars; live-backend benches when
// etcd/Consul are installed (bash scripts/install-test-deps.sh). `npm run bench -- startup|scale|exe|go|one|live` runs one.
import { benchGo } from './go.js';
import { benchStartup } from './startup.js';

const only = process.argv[2];
if (!only || only === 'startup') benchStartup();
if (!only || only === 'go') benchGo();
if (!only || only === 'exe') {
  const { benchExe } = await import('./exe.js');
  await benchExe();
}
if (!only || only === 'scale') {
  const { benchScale } = await import('./scale.js');
  await benchScale();
}
if (!only || only === 'one') {
  const { benchOneResource } = await import('./one-resource.js');
  await benchOneResource();
}
if (!only || only === 'live') {
  const { benchLive } = await import('./live.js');
  await benchLive();
}
