export { type CreateTestPkiOptions, createTestPki, type TestPki } from './pki/create-test-pki.js';
