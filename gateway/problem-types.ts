/** The problem types (code, status, Chinese title, type URI): one table, in schemas/ beside the problem schema. */
export * from '../schemas/problem-types.js';
