/**
 * The `mtlskit` command line (`inspect`, `verify`, `doctor`, `compare`, `gen`, `limbo`, `demo`) as functions.
 *
 * @module @mtlskit/cli
 */
export * from '../../packages/cli/src/index.js';
