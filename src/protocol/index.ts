export * from './messages.js';
export * from './codec.js';
export * from './inputCompression.js';
export { BitReader, BitWriter } from './bits.js';
export * from './datagramBudget.js';
