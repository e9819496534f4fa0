// Shared vitest setup (see vitest.config.ts). Intentionally empty: each test file prepares what it needs.
export {};
