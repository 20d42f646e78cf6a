/** The ONNX bridge: every core network to ONNX bytes and back. */
export * from './export.ts';
export * from './import.ts';
export { OnnxError } from './proto.ts';
