// The wire protocol: messages, their codecs, input compression and datagram-size arithmetic.
export * from './messages.js';
export * from './codec.js';
export * from './inputsCodec.js';
export { FramesBodyCache, encodeFramesPacket, encodeCatchUp } from './framesCodec.js';
export type { EncodedPacket } from './envelope.js';
export { isValidUsername } from './fields.js';
export * from './inputCompression.js';
export { BitReader, BitWriter } from './bits.js';
export * from './datagramBudget.js';
