import { defineConfig } from "vitest/config";

// Two projects: `unit` (pure code, emulator, files; fast) and `ad` (needs the real Samba AD domain
// controller that test/ad/global-setup.ts provisions once per run on a loopback address).
// test/chaos/ is the chaos suite (`npm run test:chaos`): its files needing the DC live in
// test/chaos/ad/ and run in the `ad` project, the others in `unit`; `npm test` runs them all.
export default defineConfig({
  test: {
    setupFiles: ["test/setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 240_000,
    pool: "forks",
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: ["test/integration/**", "test/e2e/**", "test/chaos/ad/**"],
        },
      },
      {
        extends: true,
        test: {
          name: "ad",
          include: ["test/integration/**/*.test.ts", "test/e2e/**/*.test.ts", "test/chaos/ad/**/*.test.ts"],
          globalSetup: ["test/ad/global-setup.ts"],
          // One domain controller serves every file of this project: run them one after another.
          fileParallelism: false,
        },
      },
    ],
  },
});
