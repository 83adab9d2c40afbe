// Transpile only (isolatedModules): `tsc --noEmit` type-checks the whole tree once, before jest.
const tsJest = {
  tsconfig: {
    allowJs: true,
    isolatedModules: true,
    module: 'commonjs',
    moduleResolution: 'node10',
    ignoreDeprecations: '6.0',
  },
};

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': ['ts-jest', tsJest],
    '^.+\\.m?js$': ['ts-jest', tsJest],
  },
  // ESM-only packages, compiled to CommonJS for jest: middy, the Trino grammar the search tests parse with, and the Parquet writer and reader.
  transformIgnorePatterns: [
    '/node_modules/(?!(@middy|dt-sql-parser|antlr4ng|antlr4-c3|hyparquet|hyparquet-writer)/)',
  ],
  setupFiles: ['<rootDir>/test/setup-env.js'],
  testTimeout: 60_000,
};
