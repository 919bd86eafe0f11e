import { defineConfig } from 'vitest/config';

/**
 * The test files that run keyplate as a process (test/util.ts's runCli, startCli, whileRunning). They run twice:
 * project `node` against `node dist/keyplate.cjs`, project `exe` against the compiled executable
 * (exe/keyplate-linux-x64, `npm run build:exe`). Everything else is Node-only: unit tests of src/, and the
 * tests of Node's own mechanics (launcher and V8 code cache, start path under --trace-opt, the Node-API reaper).
 */
const processLevel = [
  'test/cli-*.test.ts',
  'test/consul-tls.test.ts',
  'test/demo.test.ts',
  'test/exe.test.ts', // the executable alone: project `exe` only
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Backend tests start real etcd and Consul servers: keep the machine (2 cores) from thrashing.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'node', include: ['test/**/*.test.ts'], exclude: ['test/exe.test.ts'] } },
      { extends: true, test: { name: 'exe', include: processLevel, env: { KEYPLATE_TEST_BIN: 'exe' } } },
    ],
  },
});
