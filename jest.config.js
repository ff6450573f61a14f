/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/apps', '<rootDir>/test'],
  testMatch: ['**/test/**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }],
  },
  moduleNameMapper: {
    '^@vectort/shared$': '<rootDir>/packages/shared/src/index.ts',
  },
  setupFiles: ['<rootDir>/test/support/jest-setup.ts'],
  testTimeout: 30000,
  // Every test file talks to real services; two workers fit the two cores here.
  maxWorkers: 2,
};
